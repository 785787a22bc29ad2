"""Backfills of the article stages launched through the webserver as the UI does, on the sample corpus:
this checkout beside the code of another git revision (default `main`), measured in the same run.

For each version a real webserver and daemon start on a fresh DAGSTER_HOME (deploy/local/dagster.yaml
of that version: 4 runs in flight) and a fresh warehouse, with the discovery sensor off. Then:

1. the per-language backfill of `fr` exactly as the version's README says: with pair partitions the
   UI's `fr-*` (the 4 French pairs of the sample corpus); with the old country x language partitions
   "language fr, all countries" (one run per country the source holds, 41, of which 37 are empty);
2. the whole backfill: every pair the source holds (42 partitions).

Raw articles, translations, summaries and embeddings with their checks are selected, as the UI's
"Materialize" on the article assets does. A figure is the time from the launch to the backfill's
end; a backfill that runs past --limit is stopped and reported as at least the limit. The machine
this runs on may be shared: the 1-minute load average is printed at the start and end.

    python -m benchmarks backfill                   # this checkout: fr and whole; main: fr
    python -m benchmarks.backfill --baseline-whole  # main's whole backfill too (about 45 min on 2 cores)
    python -m benchmarks.backfill --baseline none   # this checkout only
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from asknews_assets.settings import PROJECT_ROOT
from asknews_assets_tests.support.processes.dagster_processes import (
    BACKFILL_STATUS,
    GRAPHQL_TIMEOUT,
    LAUNCH_BACKFILL,
    DagsterServer,
    dagster_processes,
    ui_wildcard,
)

IN_DEFAULT_SUITE = False  # starts servers and runs for minutes: only when named
ARTICLE_ASSETS = ["raw_articles", "translated_articles", "article_summaries", "article_embeddings"]
SAMPLE = PROJECT_ROOT / "data" / "sample"
FR_TARGET_S = 120
WHOLE_TARGET_S = 300
ADD_PARTITION = """
mutation($repositorySelector: RepositorySelector!, $name: String!, $key: String!) {
  addDynamicPartition(repositorySelector: $repositorySelector, partitionsDefName: $name, partitionKey: $key) {
    __typename
  }
}"""
CANCEL_BACKFILL = """
mutation($id: String!) { cancelPartitionBackfill(backfillId: $id) { __typename } }
"""


@dataclass(frozen=True)
class Version:
    """A version of the code and how its partitions are named."""

    label: str
    root: Path
    location: str
    pair_partitions: bool  # pairs as one dynamic dimension (fr-BE), or country x language (BE|fr)

    @property
    def repository(self) -> dict:
        return {"repositoryLocationName": self.location, "repositoryName": "__repository__"}

    def registrations(self, pairs: list[tuple[str, str]]) -> tuple[str, list[str]]:
        """The dynamic partitions definition and the keys to register for the source's pairs."""
        if self.pair_partitions:
            return "article_pairs", sorted(f"{language}-{country}" for country, language in pairs)
        return "country", sorted({country for country, _ in pairs})

    def language_backfill(self, pairs: list[tuple[str, str]], language: str) -> list[str]:
        """The partitions the README's per-language backfill selects."""
        if self.pair_partitions:
            return ui_wildcard(self.registrations(pairs)[1], f"{language}-*")
        return [f"{country}|{language}" for country in self.registrations(pairs)[1]]  # "all countries"

    def whole_backfill(self, pairs: list[tuple[str, str]]) -> list[str]:
        if self.pair_partitions:
            return self.registrations(pairs)[1]
        return sorted(f"{country}|{language}" for country, language in pairs)


def sample_pairs(corpus: Path) -> list[tuple[str, str]]:
    return sorted({(path.name.split(".")[0], path.parent.name) for path in corpus.glob("*/*.jsonl")})


def export_revision(revision: str, into: Path) -> Version:
    """The code of a git revision in a folder of its own, as a second code location root."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(PROJECT_ROOT), "archive", revision], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    partitions = (into / "asknews_assets" / "partitions" / "__init__.py").read_text()
    workspace = (into / "workspace.yaml").read_text()
    location = "asknews_assets" if "location_name: asknews_assets" in workspace else "asknews_assets.definitions"
    return Version(revision, into, location, pair_partitions="MultiPartitionsDefinition" not in partitions)


def this_checkout() -> Version:
    return Version("this checkout", PROJECT_ROOT, "asknews_assets", pair_partitions=True)


def run_backfill(server: DagsterServer, version: Version, partitions: list[str], limit_s: float) -> tuple[str, float]:
    params = {"partitionNames": partitions, "assetSelection": [{"path": [a]} for a in ARTICLE_ASSETS], "title": "bench"}
    started = time.monotonic()
    launched = server.graphql(LAUNCH_BACKFILL, {"params": params}, GRAPHQL_TIMEOUT)["launchPartitionBackfill"]
    if launched["__typename"] != "LaunchBackfillSuccess":
        raise RuntimeError(f"{version.label}: backfill launch failed: {launched}")
    backfill_id = launched["backfillId"]
    while time.monotonic() - started < limit_s:
        status = server.graphql(BACKFILL_STATUS, {"id": backfill_id}, GRAPHQL_TIMEOUT)["partitionBackfillOrError"]["status"]
        if status not in ("REQUESTED", "CANCELING"):
            return status, time.monotonic() - started
        time.sleep(2)
    server.graphql(CANCEL_BACKFILL, {"id": backfill_id}, GRAPHQL_TIMEOUT)
    return "STOPPED AT LIMIT", time.monotonic() - started


def run_stats(home: Path, title_runs_since: float) -> tuple[int, float, int]:
    """Runs since a time: how many, their mean seconds, how many did not succeed."""
    with DagsterInstance.from_config(str(home)) as instance:
        runs = [r for r in instance.get_run_records(RunsFilter(created_after=_utc(title_runs_since)))]
        seconds = []
        for record in runs:
            stats = instance.get_run_stats(record.dagster_run.run_id)
            if stats.start_time and stats.end_time:
                seconds.append(stats.end_time - stats.start_time)
        failed = sum(record.dagster_run.status != DagsterRunStatus.SUCCESS for record in runs)
    return len(runs), (sum(seconds) / len(seconds) if seconds else 0.0), failed


def _utc(timestamp: float):
    from datetime import datetime, timezone

    return datetime.fromtimestamp(timestamp, tz=timezone.utc)


def measure(version: Version, work: Path, whole: bool, limit_s: float) -> dict[str, dict]:
    corpus = work / "corpus"
    shutil.copytree(SAMPLE, corpus)
    pairs = sample_pairs(corpus)
    env = {
        "ASKNEWS_SOURCE_DIR": str(corpus),
        "ASKNEWS_DUCKDB_PATH": str(work / "warehouse.duckdb"),
        "ASKNEWS_DATA_DIR": str(work / "data"),
        "ASKNEWS_DISCOVERY_SENSOR": "off",
        "ASKNEWS_PUBLISH_SENSOR": "off",
        "HF_HUB_OFFLINE": "1",
    }
    home = work / "home"
    figures = {}
    with dagster_processes(home, env, root=version.root, location=version.location) as server:
        name, keys = version.registrations(pairs)
        for key in keys:
            added = server.graphql(ADD_PARTITION, {"repositorySelector": version.repository, "name": name, "key": key})
            if added["addDynamicPartition"]["__typename"] != "AddDynamicPartitionSuccess":
                raise RuntimeError(f"{version.label}: adding {key} to {name} failed: {added}")
        backfills = {"fr": version.language_backfill(pairs, "fr")}
        if whole:
            backfills["whole"] = version.whole_backfill(pairs)
        for label, partitions in backfills.items():
            since = time.time()
            print(f"   {version.label}: {label} backfill of {len(partitions)} partitions ...", flush=True)
            status, seconds = run_backfill(server, version, partitions, limit_s)
            runs, mean_run_s, failed = run_stats(home, since)
            figures[label] = {"status": status, "seconds": seconds, "partitions": len(partitions), "runs": runs,
                              "mean_run_s": mean_run_s, "failed_runs": failed}  # fmt: skip
            print(f"   {version.label}: {label}: {status} in {seconds:.0f}s, {runs} runs (mean {mean_run_s:.0f}s)", flush=True)
    return figures


def rows_of(current: dict, baseline: dict | None, baseline_label: str, load: tuple[float, float]) -> list[dict]:
    rows = []
    for label, target in (("fr", FR_TARGET_S), ("whole", WHOLE_TARGET_S)):
        if label not in current:
            continue
        ours = current[label]
        old = (baseline or {}).get(label)
        if old:
            at_least = "" if old["status"].startswith("COMPLETED") else ">= "
            rows.append({
                "benchmark": "backfill",
                "figure": f"{label}: {baseline_label}, {old['partitions']} partitions, {old['runs']} runs, "
                          f"mean run {old['mean_run_s']:.0f}s ({old['status'].lower()}) [s]",
                "value": f"{at_least}{old['seconds']:.0f}", "target": None, "passed": True,
            })  # fmt: skip
        row = {
            "benchmark": "backfill",
            "figure": f"{label}: this checkout, {ours['partitions']} partitions, {ours['runs']} runs, "
                      f"mean run {ours['mean_run_s']:.0f}s [s]",
            "value": round(ours["seconds"], 1),
            "target": f"< {target}",
            "passed": ours["status"].startswith("COMPLETED") and ours["failed_runs"] == 0 and ours["seconds"] < target,
        }  # fmt: skip
        if old:
            row["ratio"] = round(old["seconds"] / ours["seconds"], 1)  # times faster (a lower bound if cut off)
        rows.append(row)
    rows.append({"benchmark": "backfill", "figure": "load average (1 min) at start / end", "value": f"{load[0]:.1f} / {load[1]:.1f}",
                 "target": None, "passed": True})  # fmt: skip
    return rows


def benchmark(baseline: str | None, baseline_whole: bool, limit_s: float, keep: Path | None = None) -> list[dict]:
    work = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="backfill-bench-"))
    load_start = os.getloadavg()[0]
    try:
        current = measure(this_checkout(), work / "current", whole=True, limit_s=limit_s)
        old = None
        if baseline:
            old = measure(export_revision(baseline, work / "baseline-code"), work / "baseline", baseline_whole, limit_s)
        return rows_of(current, old, baseline or "", (load_start, os.getloadavg()[0]))
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def run(quick: bool = False) -> list[dict]:
    # The baseline's fr backfill is 41 runs: cut off at 10 minutes in a quick run.
    return benchmark("main", baseline_whole=False, limit_s=600 if quick else 1800)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default="main", help="git revision to compare with, or 'none' (default main)")
    parser.add_argument("--baseline-whole", action="store_true", help="also run the baseline's whole backfill")
    parser.add_argument("--limit", type=float, default=1800, help="seconds after which a backfill is stopped")
    parser.add_argument("--keep", type=Path, help="keep the instances and warehouses in this new folder")
    args = parser.parse_args(argv)
    baseline = None if args.baseline == "none" else args.baseline
    rows = benchmark(baseline, args.baseline_whole, args.limit, args.keep)
    for row in rows:
        print(f"{row['figure']:<90} {row['value']!s:>8}  {row.get('target') or '':>7}  {row.get('ratio', '')!s:>6}  "
              f"{'' if row['passed'] else 'FAILED'}")  # fmt: skip
    return 0 if all(row["passed"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
