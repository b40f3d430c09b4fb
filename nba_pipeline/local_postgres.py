"""A PostgreSQL cluster of our own on loopback, for the Postgres-backed Dagster instance.

Used by `make dev-postgres` (a persistent cluster in `.nba_pipeline_data/postgres` when no server
is given), by the tests (a throwaway cluster per session) and by the bench. It runs Debian's
server binaries (`initdb`, `pg_ctl`; `apt-get install postgresql`). PostgreSQL refuses to run as
root, so as root the cluster's files belong to an unprivileged user (`nobody` unless
NBA_PIPELINE_PG_OS_USER says otherwise) and the server runs as that user.

TCP connections need the password (scram-sha-256) so the instance's password plumbing is what
is exercised; the password is written to a 0600 file in the cluster folder, never printed.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "postgres"
OS_USER_ENV = "NBA_PIPELINE_PG_OS_USER"
INSTALL_HINT = ("PostgreSQL server binaries (initdb, pg_ctl) not found: install them with "
                "`apt-get install postgresql` (or `make postgres`)")
START_TIMEOUT_S = 60


class PostgresMissingError(RuntimeError):
    """initdb / pg_ctl are not installed."""


@dataclass(frozen=True)
class Cluster:
    """A running cluster: where it lives and how to reach it (the password stays in a file)."""

    data_dir: Path
    port: int
    bin_dir: Path
    host: str = "127.0.0.1"
    username: str = SUPERUSER

    @property
    def password(self) -> str:
        return (self.data_dir.parent / "password").read_text().strip()

    def env(self, db: str) -> dict[str, str]:
        """The DAGSTER_PG_* variables the Postgres instance yaml reads for database `db`."""
        return {"DAGSTER_PG_HOST": self.host, "DAGSTER_PG_PORT": str(self.port),
                "DAGSTER_PG_USERNAME": self.username, "DAGSTER_PG_PASSWORD": self.password,
                "DAGSTER_PG_DB": db}

    def create_database(self, name: str) -> None:
        """Create `name` (no-op if it exists), over TCP with the password."""
        env = {**os.environ, "PGPASSWORD": self.password}
        listed = subprocess.run(
            [str(self.bin_dir / "psql"), "-h", self.host, "-p", str(self.port), "-U",
             self.username, "-d", "postgres", "-tAc",
             f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
            env=env, capture_output=True, text=True, check=True)
        if listed.stdout.strip() != "1":
            subprocess.run([str(self.bin_dir / "createdb"), "-h", self.host, "-p",
                            str(self.port), "-U", self.username, name],
                           env=env, capture_output=True, text=True, check=True)


DEBIAN_BIN_DIRS = "/usr/lib/postgresql/*/bin"


def bin_dir(debian_dirs: str = DEBIAN_BIN_DIRS) -> Path:
    """Where initdb and pg_ctl are: on PATH, else Debian's /usr/lib/postgresql/<v>/bin (the
    package does not put the server binaries on PATH)."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    for candidate in sorted(glob.glob(debian_dirs), reverse=True):
        if (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    raise PostgresMissingError(INSTALL_HINT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _os_user() -> pwd.struct_passwd | None:
    """The user the server runs as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get(OS_USER_ENV, "nobody")
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise RuntimeError(f"running as root, PostgreSQL needs an unprivileged user: {name!r} "
                           f"does not exist (set {OS_USER_ENV})") from None


def _as_server_user(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    user = _os_user()
    if user is not None:
        kwargs.update(user=user.pw_uid, group=user.pw_gid, extra_groups=[])
        kwargs["env"] = {**kwargs.get("env", os.environ), "HOME": str(kwargs["cwd"])}
    return subprocess.run(argv, capture_output=True, text=True, **kwargs)


def _own(path: Path) -> None:
    user = _os_user()
    if user is not None:
        os.chown(path, user.pw_uid, user.pw_gid)


def _check_reachable(root: Path) -> None:
    """As root, every folder above `root` must let the server user through (o+x)."""
    user = _os_user()
    if user is None:
        return
    for folder in root.resolve().parents:
        info = folder.stat()
        if info.st_uid != user.pw_uid and not info.st_mode & 0o001:
            raise RuntimeError(f"PostgreSQL runs as {user.pw_name!r}, which cannot enter "
                               f"{folder} (mode {oct(info.st_mode & 0o777)}): put the cluster "
                               "in a folder it can reach (e.g. under tempfile.mkdtemp())")


def _check(proc: subprocess.CompletedProcess, what: str, log: Path | None = None) -> None:
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
        raise RuntimeError(f"{what} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
                           f"{tail}")


def start(root: Path, port: int | None = None) -> Cluster:
    """Initialise `root/data` on first use, then start the server on 127.0.0.1:`port`.

    Idempotent: a cluster already running from `root` is returned as it is (its port is read
    from `root/port`). Every folder on the way to `root` must be traversable by the server user.
    """
    bins = bin_dir()
    root.mkdir(parents=True, exist_ok=True)
    _check_reachable(root)
    data, sockets, log = root / "data", root / "sockets", root / "server.log"
    password_file = root / "password"
    if not (data / "PG_VERSION").exists():
        password_file.write_text(secrets.token_urlsafe(24) + "\n")
        password_file.chmod(0o600)
        pwfile = root / "pwfile"  # initdb reads it as the server user; removed right after
        pwfile.write_text(password_file.read_text())
        _own(pwfile)
        _own(root)
        data.mkdir(exist_ok=True)
        _own(data)
        proc = _as_server_user(
            [str(bins / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth-local=trust",
             "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8",
             "--no-instructions"], cwd=root)
        pwfile.unlink()
        _check(proc, "initdb")
    running = (data / "postmaster.pid").exists() and (root / "port").exists()
    if running and _as_server_user([str(bins / "pg_ctl"), "status", "-D", str(data)],
                                   cwd=root).returncode == 0:
        return Cluster(data, int((root / "port").read_text()), bins)
    port = port or free_port()
    sockets.mkdir(exist_ok=True)
    _own(sockets)
    if not log.exists():
        log.touch()
    _own(log)
    options = (f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c shared_buffers=32MB")
    proc = _as_server_user([str(bins / "pg_ctl"), "start", "-D", str(data), "-l", str(log),
                            "-w", "-t", str(START_TIMEOUT_S), "-o", options], cwd=root)
    _check(proc, "pg_ctl start", log)
    (root / "port").write_text(str(port))
    return Cluster(data, port, bins)


def stop(cluster: Cluster) -> None:
    """Stop the server (fast: open sessions are disconnected)."""
    proc = _as_server_user([str(cluster.bin_dir / "pg_ctl"), "stop", "-D", str(cluster.data_dir),
                            "-m", "fast", "-w"], cwd=cluster.data_dir.parent)
    _check(proc, "pg_ctl stop")
    (cluster.data_dir.parent / "port").unlink(missing_ok=True)


def wait_accepting(cluster: Cluster, timeout: float = 30) -> None:
    """pg_ctl -w already waits; this guards against a port that is not reachable over TCP."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((cluster.host, cluster.port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
