"""Start the Dagster webserver and daemon as real processes, and talk to them as the UI does."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from asknews_assets.settings import PROJECT_ROOT

REPOSITORY = {"repositoryLocationName": "asknews_assets.definitions", "repositoryName": "__repository__"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class DagsterServer:
    url: str
    home: Path

    def graphql(self, query: str, variables: dict | None = None, timeout: float = 60) -> dict:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = json.loads(response.read())
        if body.get("errors"):
            raise AssertionError(f"GraphQL errors: {body['errors']}")
        return body["data"]


def _stop(process: subprocess.Popen) -> None:
    """Stop a process group we started (its children too), by its own PID."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextmanager
def dagster_processes(home: Path, env: dict[str, str], daemon: bool = True) -> Iterator[DagsterServer]:
    """Webserver (and daemon) on 127.0.0.1 over the repository's workspace, with DAGSTER_HOME=home."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "deploy" / "local" / "dagster.yaml", home / "dagster.yaml")
    port = free_port()
    full_env = {**os.environ, **env, "DAGSTER_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    bin_dir = Path(sys.executable).parent
    workspace = str(PROJECT_ROOT / "workspace.yaml")
    logs = home / "logs"
    logs.mkdir(exist_ok=True)
    commands = [[str(bin_dir / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), "-w", workspace]]
    if daemon:
        commands.append([str(bin_dir / "dagster-daemon"), "run", "-w", workspace])
    processes = []
    try:
        for command in commands:
            log = open(logs / f"{Path(command[0]).name}.log", "wb")
            processes.append(
                subprocess.Popen(command, cwd=PROJECT_ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            )
        server = DagsterServer(f"http://127.0.0.1:{port}", home)
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{server.url}/server_info", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                    raise RuntimeError(f"webserver did not start; see {logs}") from None
                time.sleep(0.5)
        yield server
    finally:
        for process in processes:
            _stop(process)
