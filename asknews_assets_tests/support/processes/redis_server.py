"""A real, throw-away Redis server (the Celery broker) for one test: 127.0.0.1, a free port, no
persistence, its files under the test's folder; stopped by its own PID, as postgres_server does."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from asknews_assets_tests.support.processes.dagster_processes import free_port, stop_process

REQUIRE_CELERY_ENV = "ASKNEWS_REQUIRE_CELERY"


@dataclass(frozen=True)
class RedisServer:
    host: str
    port: int
    pid: int

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"


def require_celery_stack() -> str:
    """The redis-server binary, after checking dagster-celery is importable; otherwise skip with an
    install hint, or fail where CI requires these tests (ASKNEWS_REQUIRE_CELERY=1)."""
    missing = []
    binary = shutil.which("redis-server")
    if binary is None:
        missing.append("the Redis server (apt-get install redis-server)")
    try:
        import dagster_celery  # noqa: F401
        import redis  # noqa: F401
    except ImportError:
        missing.append("dagster-celery and redis (pip install 'asknews-assets[celery]')")
    if missing:
        message = "Celery tests need " + " and ".join(missing)
        if os.environ.get(REQUIRE_CELERY_ENV) == "1":  # CI installs them: a skip there would hide a gap
            pytest.fail(f"{message} ({REQUIRE_CELERY_ENV}=1)")
        pytest.skip(message)
    return binary  # type: ignore[return-value]


@contextmanager
def redis_server(root: Path, binary: str) -> Iterator[RedisServer]:
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = open(root / "redis.log", "wb")
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(root), "--save", "",
         "--appendonly", "no", "--protected-mode", "yes"],  # fmt: skip
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Redis did not start:\n{(root / 'redis.log').read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        yield RedisServer("127.0.0.1", port, process.pid)
    finally:
        stop_process(process)
        log.close()
