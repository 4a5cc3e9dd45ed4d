#!/usr/bin/env bash
# make setup: Debian packages, the two virtual environments, the offline toolchain.
# Idempotent and fast when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
APT_PACKAGES=(mariadb-server openssh-server chromium)

log() { printf '[setup] %s\n' "$*"; }
t0=$(date +%s)

# 1. Debian packages (MariaDB for the app tests, sshd for the tunnel test, Chromium for the browser test)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  # the packages' own services are not used: the harness starts private instances
  $SUDO systemctl disable --now mariadb ssh >/dev/null 2>&1 || true
fi

# The AWS SDK addresses S3 Control as {account-id}.{endpoint host}; on the emulator that is
# 123456789012.localhost (moto's default account), which must resolve to loopback.
if ! getent hosts 123456789012.localhost >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  log "mapping 123456789012.localhost to 127.0.0.1 in /etc/hosts (S3 Control on the emulator)"
  echo "127.0.0.1 123456789012.localhost" | $SUDO tee -a /etc/hosts >/dev/null
fi

# 2. Virtual environments (pip's wheel cache under ~/.cache/pip keeps warm runs fast)
make_venv() { # dir requirements
  local dir=$1 req=$2 stamp="$1/.requirements.sha256"
  local want; want=$(sha256sum "$req" $(grep -E '^-r ' "$req" | sed "s|^-r |$(dirname "$req")/|") | sha256sum | cut -c1-16)
  if [ -x "$dir/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return
  fi
  log "creating $dir from $req"
  "$PY" -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check --upgrade pip
  "$dir/bin/pip" install -q --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
}
make_venv .venv requirements-dev.txt
# checkov pins old boto3 and ships a package named `hcl2` that would shadow python-hcl2
make_venv .venv-checkov policies/requirements.txt

# 3. Go (for the offline toolchain) must be on PATH
command -v go >/dev/null || { echo "Go >= 1.26 is needed to build the offline toolchain" >&2; exit 1; }

# 4. The toolchain: tofu/terraform from PATH, or OpenTofu + providers built once into ~/.cache
.venv/bin/python -m harness.toolchain

log "done in $(( $(date +%s) - t0 ))s"
