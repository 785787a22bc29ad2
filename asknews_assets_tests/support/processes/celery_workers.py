"""Celery workers as real processes (`celery -A asknews_assets.celery_app worker`), each in its own
working directory, and the worker that ran each step as the run's events record it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, EventRecordsFilter

from asknews_assets.settings import PROJECT_ROOT
from asknews_assets_tests.support.processes.dagster_processes import stop_process

# dagster-celery's task reports the worker it runs on in this engine event metadata key.
WORKER_METADATA_KEY = "Celery worker"


@dataclass
class CeleryWorker:
    name: str
    process: subprocess.Popen
    directory: Path

    @property
    def node(self) -> str:
        """The node name Celery reports (name@host)."""
        return f"{self.name}@{os.uname().nodename}"

    def kill(self) -> None:
        """SIGKILL to the worker and its pool children, as when a node dies."""
        stop_process(self.process, grace=0)


@contextmanager
def celery_worker(name: str, directory: Path, env: dict[str, str], queues: str = "dagster,gpu") -> Iterator[CeleryWorker]:
    """One worker with one pool process, started in `directory` with `env` (plus the repository on
    PYTHONPATH, as an installed package would be); stopped by its own PID."""
    directory.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "celery", "-A", "asknews_assets.celery_app", "worker", "-Q", queues,
               "-n", f"{name}@%h", "-c", "1", "--prefetch-multiplier=1", "-l", "INFO",
               "--without-gossip", "--without-mingle"]  # fmt: skip
    full_env = {**os.environ, **env, "PYTHONPATH": str(PROJECT_ROOT), "PYTHONUNBUFFERED": "1"}
    log = open(directory / "worker.log", "wb")
    process = subprocess.Popen(
        command, cwd=directory, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    worker = CeleryWorker(name, process, directory)
    try:
        deadline = time.monotonic() + 120
        while b" ready." not in (directory / "worker.log").read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {name} did not start:\n{(directory / 'worker.log').read_text()[-3000:]}")
            time.sleep(0.2)
        yield worker
    finally:
        stop_process(process)
        log.close()


def step_workers(instance: DagsterInstance, run_id: str) -> list[tuple[str, str]]:
    """(step key, Celery worker node) for every step execution of the run, in order."""
    records = instance.get_event_records(
        EventRecordsFilter(event_type=DagsterEventType.ENGINE_EVENT), ascending=True, limit=10_000
    )
    found = []
    for record in records:
        if record.run_id != run_id:
            continue
        event = record.event_log_entry.dagster_event
        metadata = event.engine_event_data.metadata if event and event.engine_event_data else {}
        if WORKER_METADATA_KEY in metadata:
            found.append((event.step_key, str(metadata[WORKER_METADATA_KEY].value)))
    return found
