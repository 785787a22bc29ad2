"""A real, throw-away PostgreSQL server for one test: initdb + postgres on 127.0.0.1, a free port.

PostgreSQL refuses to run as root, so when the tests run as root the server runs as `nobody`
through `setpriv`. The data folder lives under the test's tmp_path, which pytest makes inside a
root-only (0700) folder: the server is given the one capability that lets it traverse such folders
(CAP_DAC_READ_SEARCH), and owns its own data folder. The server is stopped by its own PID.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from asknews_assets_tests.support.processes.dagster_processes import free_port

UNPRIVILEGED_USER = "nobody"


def postgres_bin_dir() -> Path | None:
    """Folder holding initdb and postgres: PATH first, then Debian's /usr/lib/postgresql/<version>/bin."""
    initdb = shutil.which("initdb")
    if initdb and Path(initdb).with_name("postgres").exists():
        return Path(initdb).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return versions[-1].parent if versions else None


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    database: str
    pid: int

    def env(self) -> dict[str, str]:
        """The variables deploy/production/dagster.yaml reads."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": self.database,
        }

    def connect(self):
        import psycopg2

        return psycopg2.connect(
            host=self.host, port=self.port, user=self.user, password=self.password, dbname=self.database
        )

    def create_database(self, name: str) -> str:
        """Create database `name` (a constant of the caller) and return its libpq connection string."""
        admin = self.connect()
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        admin.close()
        return self.dsn(name)

    def dsn(self, database: str | None = None) -> str:
        return f"dbname={database or self.database} host={self.host} port={self.port} user={self.user} password={self.password}"


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    user = pwd.getpwnam(UNPRIVILEGED_USER)
    return [
        "setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups",
        "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search", *command,
    ]  # fmt: skip


def _chown_to_server_user(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, user=UNPRIVILEGED_USER)


@contextmanager
def postgres_server(root: Path, bin_dir: Path, database: str = "dagster") -> Iterator[PostgresServer]:
    """Initialise a cluster under `root`, start it, create `database`, and stop it afterwards."""
    user, password, port = "asknews", "pg-test-password", free_port()
    root.mkdir(parents=True, exist_ok=True)
    data, sockets = root / "data", root / "sockets"
    for folder in (data, sockets):
        folder.mkdir(mode=0o700)
        _chown_to_server_user(folder)
    password_file = root / "password"
    password_file.write_text(password)
    password_file.chmod(0o644)  # read once by initdb (as the server user), then deleted

    initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", user, f"--pwfile={password_file}",
              "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8"]  # fmt: skip
    try:
        done = subprocess.run(_as_server_user(initdb), capture_output=True, text=True, timeout=120)
    finally:
        password_file.unlink()
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    log = open(root / "postgres.log", "wb")
    process = subprocess.Popen(
        _as_server_user([
            str(bin_dir / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port),
            "-k", str(sockets), "-c", "fsync=off", "-c", "max_connections=100",
        ]),  # fmt: skip
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        server = PostgresServer("127.0.0.1", port, user, password, "postgres", process.pid)
        _wait_until_ready(server, process, root / "postgres.log")
        admin = server.connect()
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{database}"')  # a constant of the caller, not input
        admin.close()
        yield PostgresServer("127.0.0.1", port, user, password, database, process.pid)
    finally:
        _stop(process)
        log.close()


def _wait_until_ready(server: PostgresServer, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    import psycopg2

    deadline = time.monotonic() + timeout
    while True:
        try:
            server.connect().close()
            return
        except psycopg2.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start:\n{log.read_text(errors='replace')[-2000:]}") from None
            time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    """SIGINT is PostgreSQL's 'fast shutdown'; SIGKILL only if it does not end in time."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
