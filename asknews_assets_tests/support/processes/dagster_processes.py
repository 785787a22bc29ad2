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

import yaml
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

from asknews_assets.settings import PROJECT_ROOT

PRODUCTION_YAML = PROJECT_ROOT / "deploy" / "production" / "dagster.yaml"
# Sections whose classes live in libraries only a cluster has (dagster-k8s, dagster-aws): replaced
# by Dagster's local equivalents here; everything else is used as shipped.
CLUSTER_ONLY = {"run_launcher": "dagster_k8s", "compute_logs": "dagster_aws.s3.compute_log_manager"}

REPOSITORY = {"repositoryLocationName": "asknews_assets", "repositoryName": "__repository__"}
GRAPHQL_TIMEOUT = 180  # launching loads the code location; slow on a busy 2-core machine

ADD_PARTITION = """
mutation($repositorySelector: RepositorySelector!, $key: String!) {
  addDynamicPartition(repositorySelector: $repositorySelector, partitionsDefName: "article_pairs", partitionKey: $key) {
    __typename
  }
}"""
LAUNCH_RUN = """
mutation($executionParams: ExecutionParams!) {
  launchRun(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""
TERMINATE_RUN = """
mutation($runId: String!) {
  terminateRun(runId: $runId, terminatePolicy: MARK_AS_CANCELED_IMMEDIATELY) {
    __typename
    ... on TerminateRunFailure { message }
    ... on PythonError { message }
  }
}"""
WORKSPACE = """
query {
  workspaceOrError {
    ... on Workspace { locationEntries { name loadStatus locationOrLoadError { __typename } } }
  }
}"""
REEXECUTE_RUN = """
mutation($params: ReexecutionParams!) {
  launchRunReexecution(reexecutionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}"""

LAUNCH_BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on PartitionKeysNotFoundError { partitionKeys }
  }
}"""
BACKFILL_STATUS = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } }
}"""
SENSOR_TICKS = """
query($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { status ticks(limit: 20) { status skipReason runIds error { message } } } }
  }
}"""
# What the asset page shows: the partition keys and the counts of the partitions bar.
ASSET_PARTITIONS = """
query($key: AssetKeyInput!) {
  assetNodeOrError(assetKey: $key) {
    ... on AssetNode {
      partitionKeysByDimension { name partitionKeys }
      partitionStats { numMaterialized numPartitions numFailed numMaterializing }
    }
  }
}"""


def ui_wildcard(keys: list[str], pattern: str) -> list[str]:
    """The partitions the UI's partition text box selects for `prefix*suffix` (e.g. `fr-*`), in order."""
    prefix, _, suffix = pattern.partition("*")
    return [key for key in keys if key.startswith(prefix) and key.endswith(suffix)]


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


def stop_process(process: subprocess.Popen, grace: float = 20) -> None:
    """Stop a process group we started, children included, by its own PID.

    SIGTERM first so the webserver and daemon shut down cleanly (grace=0: SIGKILL at once); then
    SIGKILL to the group, since a code server child can outlive its parent and hold the port or the
    warehouse.
    """
    if grace:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


@contextmanager
def dagster_processes(
    home: Path,
    env: dict[str, str],
    daemon: bool = True,
    root: Path = PROJECT_ROOT,
    location: str = REPOSITORY["repositoryLocationName"],
) -> Iterator[DagsterServer]:
    """Webserver (and daemon) on 127.0.0.1 over the workspace of the code at `root` (this checkout
    unless a benchmark compares another version), with DAGSTER_HOME=home.

    The instance is the embedded default's (deploy/local/dagster.yaml) unless home already holds a
    dagster.yaml (e.g. the PostgreSQL-backed production one)."""
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(root / "deploy" / "local" / "dagster.yaml", home / "dagster.yaml")
    # The webserver and the daemon both create missing storages when they start; on a fresh home
    # they can race ("table alembic_version already exists") and one dies. Create them first.
    with DagsterInstance.from_config(str(home)) as instance:
        instance.get_runs(limit=1)
        instance.get_dynamic_partitions("article_pairs")
        instance.all_instigator_state()
    port = free_port()
    full_env = {**os.environ, **env, "DAGSTER_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    if root != PROJECT_ROOT:
        full_env["PYTHONPATH"] = str(root)
    bin_dir = Path(sys.executable).parent
    workspace = str(root / "workspace.yaml")
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
                subprocess.Popen(command, cwd=root, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
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
        wait_for_code_location(server, location)
        yield server
    finally:
        for process in processes:
            stop_process(process)


def wait_for_code_location(server: DagsterServer, location: str, timeout: float = 180) -> None:
    """Mutations on a location that is still loading are answered with UnauthorizedError."""

    def loaded():
        entries = server.graphql(WORKSPACE, timeout=GRAPHQL_TIMEOUT)["workspaceOrError"]["locationEntries"]
        entry = next(e for e in entries if e["name"] == location)
        if entry["loadStatus"] == "LOADED":
            assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", entry
            return True
        return False

    wait_for(loaded, timeout, "the code location to load")


def wait_for(predicate, timeout: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def partition_launch_params(job: str, partition: str, assets: list[str]) -> dict:
    """What the UI sends to launch one partition of a job, restricted to some assets."""
    tags = {"dagster/partition": partition}
    return {
        "selector": {**REPOSITORY, "jobName": job, "assetSelection": [{"path": [a]} for a in assets]},
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
        "mode": "default",
    }


def run_finished(instance: DagsterInstance, run_id: str) -> DagsterRunStatus | None:
    status = instance.get_run_by_id(run_id).status
    return status if status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED) else None


def wait_for_backfill(server: DagsterServer, backfill_id: str, timeout: float = 300, interval: float = 2) -> str:
    """The backfill's final status, once it is neither requested nor cancelling."""

    def finished() -> str | None:
        status = server.graphql(BACKFILL_STATUS, {"id": backfill_id})["partitionBackfillOrError"]["status"]
        return None if status in ("REQUESTED", "CANCELING") else status

    return wait_for(finished, timeout, f"backfill {backfill_id}", interval)


def production_instance_yaml(home: Path) -> Path:
    """$DAGSTER_HOME/dagster.yaml: the production file with the cluster-only sections swapped."""
    config = yaml.safe_load(PRODUCTION_YAML.read_text())
    for section, module in CLUSTER_ONLY.items():
        assert config[section]["module"] == module, f"{section} no longer uses {module}: update this test"
    config["run_launcher"] = {"module": "dagster._core.launcher", "class": "DefaultRunLauncher"}
    config["compute_logs"] = {
        "module": "dagster._core.storage.local_compute_log_manager",
        "class": "LocalComputeLogManager",
        "config": {"base_dir": str(home / "compute_logs")},
    }
    home.mkdir(parents=True, exist_ok=True)
    path = home / "dagster.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def step_started(instance: DagsterInstance, run_id: str, step: str) -> bool:
    return any(e.step_key == step for e in instance.all_logs(run_id, of_type=DagsterEventType.STEP_START))


def worker_pids(instance: DagsterInstance, run_id: str) -> list[int]:
    """Processes working on the run: the run worker and its step subprocesses report their pid."""
    pids = {}  # in the order they started: the run worker first, as a lost node takes it first
    worker_events = {DagsterEventType.ENGINE_EVENT, DagsterEventType.STEP_WORKER_STARTED}
    for record in instance.all_logs(run_id, of_type=worker_events):
        metadata = record.dagster_event.event_specific_data.metadata
        if "pid" in metadata:
            pids.setdefault(int(metadata["pid"].value), None)
    return [pid for pid in pids if alive(pid) and pid != os.getpid()]


def alive(pid: int) -> bool:
    """True until every thread of the process has exited.

    A killed process's main thread turns zombie ("Z") at once, while its other threads (DuckDB's
    among them) may still be finishing I/O and holding the warehouse's file lock; the lock goes only
    with the last thread. An unreaped zombie, alone in its thread group, counts as gone.
    """
    try:
        threads = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return False
    for thread in threads:
        try:
            state = (thread / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            continue
        if state not in ("Z", "X"):
            return True
    return False


def failure_messages(instance: DagsterInstance, run_id: str) -> str:
    return json.dumps([r.message for r in instance.all_logs(run_id) if r.dagster_event and r.dagster_event.is_failure])
