"""Benchmark: a big file through the app (gunicorn) vs a direct boto3 transfer.

    .venv/bin/python bench/app_transfer.py [--size-mb 1024] [--workers 1]

Starts a moto server, MariaDB and gunicorn (app/gunicorn.conf.py), generates a
random file in a temporary directory, then:

* app:    POST /api/files (a streamed multipart body with a Content-Length) and
          GET /api/files/<name> (streamed to disk), through gunicorn;
* direct: boto3 ``upload_file`` / ``download_file`` of the same file to the same
          moto endpoint, in a child process so that its memory is measured alone.

Prints throughput and the peak RSS (VmHWM) of the gunicorn worker(s) beside the
direct transfer's, and checks every byte with SHA-256. The file is deleted at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import requests  # noqa: E402

from harness.emulator.clients import FAKE_CREDENTIALS  # noqa: E402
from harness.emulator.launcher import MotoServer  # noqa: E402
from harness.net import free_port  # noqa: E402
from harness.stack.standins import TlsMariaDB  # noqa: E402
from harness.wait import wait_for  # noqa: E402

MiB = 1024 * 1024
BUCKET = "filestore-bench"
PARAM = "/filestore/bench/db/password"


# ------------------------------------------------------------------ helpers


def make_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    block = 4 * MiB
    with open(path, "wb") as fh:
        left = size
        while left:
            data = os.urandom(min(block, left))
            digest.update(data)
            fh.write(data)
            left -= len(data)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(4 * MiB):
            digest.update(chunk)
    return digest.hexdigest()


class FileMultipart:
    """A multipart/form-data body read from disk chunk by chunk, with a known length
    (requests then streams it with Content-Length instead of building it in memory)."""

    def __init__(self, path: Path, filename: str) -> None:
        self.path = path
        self.boundary = uuid.uuid4().hex
        self.head = (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()

    def __len__(self) -> int:
        return len(self.head) + self.path.stat().st_size + len(self.tail)

    def __iter__(self):
        yield self.head
        with open(self.path, "rb") as fh:
            while chunk := fh.read(1 * MiB):
                yield chunk
        yield self.tail


def proc_status(pid: int, key: str) -> int:
    """A /proc/<pid>/status figure in bytes (VmHWM = peak RSS, VmRSS = now)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out.extend(int(p) for p in text)
    return out


def mb(n: float) -> str:
    return f"{n / MiB:,.1f}"


# ------------------------------------------------------------- direct boto3


def direct_child(args) -> int:
    """Runs in a child process: the direct boto3 managed transfer, JSON on stdout."""
    import resource

    import boto3
    from boto3.s3.transfer import TransferConfig

    s3 = boto3.client(
        "s3",
        endpoint_url=args.endpoint,
        region_name="us-east-1",
    )
    src = Path(args.file)
    size = src.stat().st_size
    t0 = time.perf_counter()
    s3.upload_file(
        str(src), args.bucket, args.key, Config=TransferConfig(preferred_transfer_client="classic")
    )
    up = time.perf_counter() - t0
    dst = src.with_name(src.name + ".direct")
    # One streamed GET, like the app's download: moto answers every ranged GET by
    # reading the whole object, so download_file's default parallel ranged GETs are
    # quadratic on the emulator (~6 MiB/s at 1 GiB) and would measure moto, not boto3.
    single_get = TransferConfig(preferred_transfer_client="classic", multipart_threshold=size + 1)
    t0 = time.perf_counter()
    s3.download_file(args.bucket, args.key, str(dst), Config=single_get)
    down = time.perf_counter() - t0
    ok = sha256_of(dst) == args.sha256
    dst.unlink()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"upload_s": up, "download_s": down, "peak_rss": peak, "ok": ok}))
    return 0


# ---------------------------------------------------------------------- main


def run(size_mb: int, workers: int) -> int:
    size = size_mb * MiB
    with tempfile.TemporaryDirectory(prefix="filestore-bench-") as tmp_s:
        tmp = Path(tmp_s)
        with MotoServer() as moto, TlsMariaDB(names=("localhost",)) as db:
            s3 = moto.client("s3")
            s3.create_bucket(Bucket=BUCKET)
            s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
            moto.client("ssm").put_parameter(
                Name=PARAM, Value=db.password, Type="SecureString", Overwrite=True
            )
            env = {k: v for k, v in os.environ.items() if not k.startswith(("FILESTORE_", "AWS_"))}
            env.update(FAKE_CREDENTIALS)
            env.update(
                {
                    "AWS_DEFAULT_REGION": moto.region,
                    "FILESTORE_BUCKET": BUCKET,
                    "FILESTORE_AWS_ENDPOINT_URL": moto.url,
                    "FILESTORE_DB_HOST": "localhost",  # the stand-in's certificate's name
                    "FILESTORE_DB_PORT": str(db.port),
                    "FILESTORE_DB_CA_FILE": str(db.ca.cert_path),
                    "FILESTORE_DB_NAME": db.database,
                    "FILESTORE_DB_USER": db.user,
                    "FILESTORE_DB_PASSWORD_PARAM": PARAM,
                    "FILESTORE_MAX_UPLOAD_BYTES": str(size + MiB),
                    "FILESTORE_S3_READ_TIMEOUT": "300",
                    "PYTHONUNBUFFERED": "1",
                }
            )
            subprocess.run(
                [sys.executable, "-m", "flask", "--app", "app", "init-db"],
                cwd=REPO_ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
            port = free_port()
            log_path = tmp / "gunicorn.log"
            with open(log_path, "wb") as log:
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "-c",
                        str(REPO_ROOT / "app" / "gunicorn.conf.py"),
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        str(workers),
                        "--timeout",
                        "600",
                        "app:create_app()",
                    ],  # fmt: skip
                    cwd=REPO_ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            url = f"http://127.0.0.1:{port}"
            try:

                def healthy() -> bool:
                    try:
                        return requests.get(f"{url}/healthz", timeout=2).ok
                    except requests.RequestException:
                        return False

                wait_for(healthy, timeout=60, what="gunicorn")
                pids = children(proc.pid)
                base_rss = {pid: proc_status(pid, "VmRSS") for pid in pids}

                print(f"generating {size_mb} MiB of random data ...", flush=True)
                src = tmp / "payload.bin"
                digest = make_file(src, size)

                print("app: upload ...", flush=True)
                t0 = time.perf_counter()
                body = FileMultipart(src, "payload.bin")
                resp = requests.post(
                    f"{url}/api/files",
                    data=body,
                    headers={"Content-Type": f"multipart/form-data; boundary={body.boundary}"},
                    timeout=1800,
                )
                app_up = time.perf_counter() - t0
                resp.raise_for_status()
                meta = resp.json()
                assert meta["sha256"] == digest, "the app computed another SHA-256"
                peak_after_up = {pid: proc_status(pid, "VmHWM") for pid in pids}

                print("app: download ...", flush=True)
                dst = tmp / "payload.app"
                t0 = time.perf_counter()
                with requests.get(f"{url}/api/files/payload.bin", stream=True, timeout=1800) as r:
                    r.raise_for_status()
                    with open(dst, "wb") as fh:
                        for chunk in r.iter_content(1 * MiB):
                            fh.write(chunk)
                app_down = time.perf_counter() - t0
                app_ok = sha256_of(dst) == digest
                dst.unlink()
                peak = {pid: proc_status(pid, "VmHWM") for pid in pids}
                master_peak = proc_status(proc.pid, "VmHWM")
            finally:
                if proc.poll() is None:
                    os.killpg(proc.pid, 15)
                    proc.wait(timeout=30)

            print("direct boto3: upload + download ...", flush=True)
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--direct-child",
                    "--endpoint",
                    moto.url,
                    "--bucket",
                    BUCKET,
                    "--key",
                    "direct/payload.bin",
                    "--file",
                    str(src),
                    "--sha256",
                    digest,
                ],  # fmt: skip
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            direct = json.loads(child.stdout.strip().splitlines()[-1])

    worker_peak = max(peak.values())
    print()
    print(f"file: {size_mb} MiB, gunicorn workers: {workers} (gthread), endpoint: moto server")
    print(f"{'':28}{'app (gunicorn)':>18}{'direct boto3':>16}")
    print(
        f"{'upload MiB/s':28}{size / MiB / app_up:>18,.1f}{size / MiB / direct['upload_s']:>16,.1f}"
    )
    print(
        f"{'download MiB/s':28}{size / MiB / app_down:>18,.1f}"
        f"{size / MiB / direct['download_s']:>16,.1f}"
    )
    print(f"{'upload s':28}{app_up:>18,.1f}{direct['upload_s']:>16,.1f}")
    print(f"{'download s':28}{app_down:>18,.1f}{direct['download_s']:>16,.1f}")
    print(f"{'peak RSS MiB (process)':28}{mb(worker_peak):>18}{mb(direct['peak_rss']):>16}")
    print(f"{'  worker RSS before MiB':28}{mb(max(base_rss.values())):>18}")
    print(f"{'  worker peak after upload':28}{mb(max(peak_after_up.values())):>18}")
    print(f"{'  gunicorn master peak MiB':28}{mb(master_peak):>18}")
    print(f"{'bytes verified (sha256)':28}{str(app_ok):>18}{str(direct['ok']):>16}")
    return 0 if app_ok and direct["ok"] else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--direct-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--bucket", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--sha256", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.direct_child:
        return direct_child(args)
    return run(args.size_mb, args.workers)


if __name__ == "__main__":
    sys.exit(main())
