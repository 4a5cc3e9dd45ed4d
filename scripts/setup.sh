#!/usr/bin/env bash
# make setup: system packages for the chosen target, the two virtual environments, the
# offline toolchain. Idempotent and fast when everything is already there.
#   TARGET=emulator (default): everything `make test` runs; TARGET=aws: the AWS lifecycle.
# Which packages, per platform and target, is harness/toolchain/platform_packages.py's decision (and why).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
TARGET=${TARGET:-emulator}

log() { printf '[setup] %s\n' "$*"; }
t0=$(date +%s)
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

# 1. System packages (standard library only: this runs before any virtualenv exists)
"$PY" -m harness.toolchain.platform_packages --target "$TARGET"
eval "$("$PY" -m harness.toolchain.platform_packages --target "$TARGET" --shell)"
read -r -a install <<<"$INSTALL"
read -r -a remove <<<"$REMOVE"
missing=()
for pkg in "${install[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#remove[@]})); then
  log "removing packages that conflict with MariaDB: ${remove[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get purge -y -q "${remove[@]}"
fi
if ((${#missing[@]})); then
  log "installing $PLATFORM packages: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  # the services of what was just installed are not used (the harness starts private
  # instances); a server that was there before setup stays as its owner left it
  services=()
  [[ " ${missing[*]} " == *" mariadb-server "* ]] && services+=(mariadb)
  [[ " ${missing[*]} " == *" openssh-server "* ]] && services+=(ssh)
  if ((${#services[@]})); then
    $SUDO systemctl disable --now "${services[@]}" >/dev/null 2>&1 || true
  fi
fi
# what the tests must see (the browser on Ubuntu runners): later workflow steps via GITHUB_ENV
for kv in $TEST_ENV; do
  if [ -n "${GITHUB_ENV:-}" ]; then echo "$kv" >>"$GITHUB_ENV"; else log "for the tests: export $kv"; fi
done

if [ "$TARGET" = emulator ]; then
  # sshd (the tunnel test) needs its privilege-separation directory, which systemd removes
  # with the disabled service; /run is root's
  [ -d /run/sshd ] || $SUDO install -d -m 0755 /run/sshd
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

# 3. Go (for the offline toolchain) must be on PATH
command -v go >/dev/null || { echo "Go >= 1.26 is needed to build the offline toolchain" >&2; exit 1; }

# 4. In parallel (CPU-bound Go builds beside network/disk-bound downloads): the checkov and prowler venvs,
# the toolchain (tofu/terraform from PATH, or OpenTofu + providers + tools built once into
# ~/.cache) and, for the emulator target, the instance image (Debian bookworm from
# debootstrap into ~/.cache/filestore/image/<key>, harness/instances/image.py). Each logs to a file
# shown in full if it fails.
logs=$(mktemp -d)
pids=() names=()
job() { # name command...
  local name=$1; shift
  ("$@" >"$logs/$name.log" 2>&1) &
  pids+=($!) names+=("$name")
}
# checkov pins old boto3 and ships a package named `hcl2` that would shadow python-hcl2
job checkov-venv make_venv .venv-checkov policies/requirements.txt
# Prowler (the runtime scanner of harness/compliance/prowler.py) pins its own boto3 and SDKs
job prowler-venv make_venv .venv-prowler controls/prowler-requirements.txt
job toolchain .venv/bin/python -m harness.toolchain.locate
[ "$TARGET" = emulator ] && job instance-image .venv/bin/python -m harness.instances.image build
failed=0
for i in "${!pids[@]}"; do
  if wait "${pids[$i]}"; then
    log "${names[$i]}: ok"; tail -n 3 "$logs/${names[$i]}.log" | sed 's/^/    /'
  else
    log "${names[$i]}: FAILED"; cat "$logs/${names[$i]}.log" >&2; failed=1
  fi
done
rm -rf "$logs"
[ "$failed" = 0 ] || exit 1

log "done in $(( $(date +%s) - t0 ))s"
