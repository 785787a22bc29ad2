"""Soak: the article layer run like production, on a synthetic corpus with known faults and an LLM
endpoint that fails a share of its calls.

1. scripts/generate_synthetic_corpus.py writes the corpus (20,000 valid articles over the 12
   languages and 60 countries, 5% faulty lines of every reject reason) and a manifest of what
   ingestion must accept and reject, per partition and reason.
2. A real Dagster webserver and daemon start on a temporary DAGSTER_HOME with deploy/local/dagster.yaml
   (QueuedRunCoordinator, 4 runs in flight), over a temporary warehouse. The LLM summariser
   (ASKNEWS_SUMMARIZER=llm) points at asknews_assets_tests/support/fakes/fault_server.py, which fails --failure-rate of the
   calls with timeouts, 429 + Retry-After, 500, malformed bodies and empty answers.
3. The source's country x language pairs are registered and a backfill of raw_articles, translated_articles and
   article_summaries over every partition the source holds is launched through GraphQL, as the UI does.
4. Verified afterwards: raw accepted and rejected counts by reason equal the manifest, per partition;
   every translated article is summarised or recorded as failed, once; no table holds a duplicate
   row; no run's event log or captured output mentions a DuckDB lock error; every run succeeded.
5. The same backfill runs again: the LLM cache must be honoured, so the second pass may only call the
   endpoint for articles whose summary failed in the first pass (at most 1 + retries calls each).

Embeddings and topic clustering are left out: they are CPU-bound model steps that do not exercise
runs in flight, the warehouse lock or the LLM fault handling, and they have their own benchmarks
(benchmarks/embedding.py, benchmarks/clustering.py, and the per-article costs in benchmarks/capacity.py).

Each backfill run executes its three steps in the run's own process (the code location's default
in_process executor): on a 2-core machine a process per step would spend most of the soak importing
the code location. Production runs each step as its own pod instead.

    python -m benchmarks.soak                      # 20,000 articles, 60 countries (~15-25 min on 2 busy cores)
    python -m benchmarks.soak --quick              # 2,000 articles, 4 countries (~3-4 min)
    python -m benchmarks.soak --failure-rate 0.2 --max-retries 2 --keep /tmp/soak
    python -m benchmarks.soak --warehouse ducklake # the same into DuckLake (PostgreSQL catalog started for it)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter

from asknews_assets.resources.summaries import LLMSummarizer
from asknews_assets.warehouse import tables
from asknews_assets.warehouse.resource import Warehouse
from asknews_assets.settings import PROJECT_ROOT
from asknews_assets.summaries.prompt import summary_messages
from asknews_assets_tests.support.fakes.fault_server import FaultInjector, fault_server, prompt_digest
from asknews_assets_tests.support.processes.dagster_processes import (
    ADD_PARTITION,
    BACKFILL_STATUS,
    GRAPHQL_TIMEOUT,
    LAUNCH_BACKFILL,
    REPOSITORY,
    DagsterServer,
    dagster_processes,
)
from asknews_assets_tests.support.processes.postgres_server import postgres_bin_dir, postgres_server

SOAK_ASSETS = ("raw_articles", "translated_articles", "article_summaries")
# DuckDB's own lock errors, the warehouse's when a run gave up waiting for its lock, and DuckLake's
# when a write kept losing commit conflicts.
LOCK_ERROR = re.compile(r"Could not set lock|Conflicting lock|WarehouseLockTimeout|CommitConflict")
# What makes a row unique in each table the soak writes.
UNIQUE_KEYS = {
    tables.RAW_ARTICLES: "country, language, article_id",
    tables.RAW_ARTICLE_REJECTS: "country, language, source_location",
    tables.RAW_INGEST_STATS: "country, language",
    tables.TRANSLATED_ARTICLES: "country, language, article_id",
    tables.ARTICLE_SUMMARIES: "country, language, article_id",
    tables.ARTICLE_SUMMARY_FAILURES: "country, language, article_id",
    tables.ARTICLE_SUMMARY_STATS: "country, language",
    tables.LLM_CACHE: "model, prompt_version, input_hash",
}
MODEL = "fault-model"


@dataclass(frozen=True)
class SoakSettings:
    articles: int = 20_000
    countries: int = 60
    corpus_fault_rate: float = 0.05
    failure_rate: float = 0.1
    seed: int = 7
    # One retry leaves ~failure_rate**2 of the articles failed after pass 1 (with the client's
    # default of 4 nearly none would be), so that pass 2 has failures to retry through the cache.
    max_retries: int = 1
    llm_timeout_s: float = 2.0
    llm_concurrency: int = 4
    backfill_timeout_s: float = 3600.0
    warehouse: str = "duckdb"  # or "ducklake": a PostgreSQL catalog started for the soak, Parquet under its folder


# One partition per language for the first 4 languages: a single wave of 4 runs in flight.
QUICK = SoakSettings(articles=2_000, countries=4)


@dataclass
class PassResult:
    seconds: float  # from the launch to the daemon marking the backfill complete
    runs_seconds: float  # from the first run's creation to the last run's end
    most_in_flight: int
    runs: Counter  # run status -> runs
    lock_errors: int
    server_calls: int
    server_outcomes: Counter
    prompts: set[str]
    warehouse: dict


# The full soak takes ~20 minutes: `python -m benchmarks` runs it only when named (or with --quick).
IN_DEFAULT_SUITE = False

def generate_corpus(out: Path, settings: SoakSettings) -> dict:
    """The corpus and its manifest, written by the generator script as a user would run it."""
    command = [
        sys.executable, str(PROJECT_ROOT / "scripts" / "generate_synthetic_corpus.py"), "--out", str(out),
        "--articles", str(settings.articles), "--countries", str(settings.countries), "--seed", str(settings.seed),
        "--fault-rate", str(settings.corpus_fault_rate),
    ]  # fmt: skip
    subprocess.run(command, check=True, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
    return json.loads((out / "manifest.json").read_text())


def warehouse_fields(work: Path, settings: SoakSettings, catalog: str = "") -> dict[str, str]:
    """The Warehouse resource's fields for the soak's warehouse (see warehouse_env for the same as settings)."""
    if settings.warehouse == "ducklake":
        return {"backend": "ducklake", "database": str(work / "lake"), "catalog": catalog}
    return {"database": str(work / "warehouse.duckdb")}


def warehouse_env(work: Path, settings: SoakSettings, catalog: str = "") -> dict[str, str]:
    if settings.warehouse == "ducklake":
        return {"ASKNEWS_WAREHOUSE": "ducklake", "ASKNEWS_DUCKLAKE_CATALOG": catalog, "ASKNEWS_DUCKLAKE_DATA_PATH": str(work / "lake")}
    return {"ASKNEWS_WAREHOUSE": "duckdb"}


def dagster_env(work: Path, llm_base_url: str, settings: SoakSettings, catalog: str = "") -> dict[str, str]:
    return {
        **warehouse_env(work, settings, catalog),
        "ASKNEWS_DEPLOYMENT": "local",
        "ASKNEWS_SOURCE_DIR": str(work / "corpus"),
        "ASKNEWS_DUCKDB_PATH": str(work / "warehouse.duckdb"),
        "ASKNEWS_DATA_DIR": str(work / "data"),
        "ASKNEWS_DISCOVERY_SENSOR": "off",  # the soak registers and launches itself
        "HF_HUB_OFFLINE": "1",
        "ASKNEWS_SUMMARIZER": "llm",
        "ASKNEWS_LLM_BASE_URL": llm_base_url,
        "ASKNEWS_LLM_MODEL": MODEL,
        "ASKNEWS_LLM_API_KEY_ENV": "",  # the fault server has no authentication
        "ASKNEWS_LLM_TIMEOUT_S": str(settings.llm_timeout_s),
        "ASKNEWS_LLM_MAX_RETRIES": str(settings.max_retries),
        "ASKNEWS_LLM_CONCURRENCY": str(settings.llm_concurrency),
        "ASKNEWS_PARTITIONS_PER_RUN": "1",  # one run per partition: the soak is about runs in flight
    }


def register_partitions(server: DagsterServer, partitions: list[str]) -> None:
    for key in partitions:
        added = server.graphql(ADD_PARTITION, {"repositorySelector": REPOSITORY, "key": key}, GRAPHQL_TIMEOUT)
        kind = added["addDynamicPartition"]["__typename"]
        if kind != "AddDynamicPartitionSuccess":
            raise RuntimeError(f"adding partition {key} failed: {kind}")


def run_backfill(server: DagsterServer, instance: DagsterInstance, partitions: list[str], title: str, timeout_s: float):
    """Launch the backfill through GraphQL and wait for it; (backfill id, status, seconds)."""
    params = {
        "partitionNames": partitions,
        "assetSelection": [{"path": [asset]} for asset in SOAK_ASSETS],
        "title": title,
    }
    started = time.monotonic()
    launched = server.graphql(LAUNCH_BACKFILL, {"params": params}, GRAPHQL_TIMEOUT)["launchPartitionBackfill"]
    if launched["__typename"] != "LaunchBackfillSuccess":
        raise RuntimeError(f"backfill launch failed: {launched}")
    backfill_id = launched["backfillId"]
    last_report = 0.0
    while True:
        status = server.graphql(BACKFILL_STATUS, {"id": backfill_id}, GRAPHQL_TIMEOUT)["partitionBackfillOrError"]["status"]
        elapsed = time.monotonic() - started
        if status not in ("REQUESTED", "CANCELING"):
            return backfill_id, status, elapsed
        if elapsed > timeout_s:
            raise TimeoutError(f"backfill {backfill_id} still {status} after {timeout_s:.0f}s")
        if elapsed - last_report >= 30:
            last_report = elapsed
            counts = Counter(run.status.value for run in backfill_runs(instance, backfill_id))
            print(f"   {elapsed:5.0f}s  {title}: {dict(sorted(counts.items()))} of {len(partitions)} partitions", flush=True)
        time.sleep(3)


def backfill_runs(instance: DagsterInstance, backfill_id: str) -> list[DagsterRun]:
    return list(instance.get_runs(RunsFilter(tags={"dagster/backfill": backfill_id})))


def lock_errors(instance: DagsterInstance, runs: list[DagsterRun], home: Path) -> int:
    """Lock errors in the runs' event logs and in every output captured under DAGSTER_HOME."""
    found = sum(bool(LOCK_ERROR.search(repr(record))) for run in runs for record in instance.all_logs(run.run_id))
    for path in home.rglob("*"):
        if path.is_file() and path.suffix in (".err", ".out", ".log"):
            found += sum(bool(LOCK_ERROR.search(line)) for line in path.read_text(errors="replace").splitlines())
    return found


def runs_timing(instance: DagsterInstance, runs: list[DagsterRun]) -> tuple[float, int]:
    """Seconds from the first run's creation to the last run's end, and the most runs executing at once."""
    records = [instance.get_run_record_by_id(run.run_id) for run in runs]
    stats = [instance.get_run_stats(run.run_id) for run in runs]
    intervals = [(s.start_time, s.end_time) for s in stats if s.start_time and s.end_time]
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    in_flight = most = 0
    for _, change in events:
        in_flight += change
        most = max(most, in_flight)
    first_created = min(r.create_timestamp.timestamp() for r in records)
    last_end = max(end for _, end in intervals)
    return last_end - first_created, most


def check_warehouse(warehouse: Warehouse, manifest: dict) -> dict:
    """What the warehouse holds, compared with the manifest and with itself."""
    with warehouse.get_connection() as conn:

        def scalar(sql: str) -> int:
            return conn.execute(sql).fetchone()[0] or 0

        per_partition = {
            f"{language}-{country}": {"lines": read, "accepted": accepted, "rejected": {}}
            for country, language, read, accepted in conn.execute(
                f"SELECT country, language, read, accepted FROM {tables.RAW_INGEST_STATS}"
            ).fetchall()
        }
        for country, language, reason, count in conn.execute(
            f"SELECT country, language, reason, count(*) FROM {tables.RAW_ARTICLE_REJECTS} GROUP BY ALL ORDER BY ALL"
        ).fetchall():
            per_partition[f"{language}-{country}"]["rejected"][reason] = count
        accepted_rows = scalar(f"SELECT count(*) FROM {tables.RAW_ARTICLES}")
        rejected = dict(conn.execute(f"SELECT reason, count(*) FROM {tables.RAW_ARTICLE_REJECTS} GROUP BY 1 ORDER BY 1").fetchall())
        # Every translated article has exactly one outcome, and every outcome is a translated article.
        unaccounted = scalar(
            f"""
            WITH outcomes AS (
                SELECT country, language, article_id FROM {tables.ARTICLE_SUMMARIES}
                UNION ALL SELECT country, language, article_id FROM {tables.ARTICLE_SUMMARY_FAILURES}
            ), counted AS (
                SELECT count(o.article_id) AS outcomes, bool_or(t.article_id IS NOT NULL) AS translated
                FROM outcomes o FULL JOIN {tables.TRANSLATED_ARTICLES} t USING (country, language, article_id)
                GROUP BY country, language, article_id
            )
            SELECT count(*) FROM counted WHERE outcomes != 1 OR NOT translated
            """
        )
        failed = conn.execute(
            f"SELECT f.reason, t.title_en, t.text_en FROM {tables.ARTICLE_SUMMARY_FAILURES} f"
            f" JOIN {tables.TRANSLATED_ARTICLES} t USING (country, language, article_id)"
        ).fetchall()
        figures = {
            "lines": sum(p["lines"] for p in per_partition.values()),
            "accepted": accepted_rows,
            "rejected": rejected,
            "partitions_off_manifest": sorted(
                key for key, expected in manifest["per_partition"].items() if per_partition.get(key) != expected
            ),
            "translated": scalar(f"SELECT count(*) FROM {tables.TRANSLATED_ARTICLES}"),
            "summarised": scalar(f"SELECT count(*) FROM {tables.ARTICLE_SUMMARIES}"),
            "failed": dict(Counter(reason for reason, _, _ in failed).most_common()),
            "failed_prompts": {_prompt_digest(title, text) for _, title, text in failed},
            "unaccounted": unaccounted,
            "duplicates": {
                table.name: scalar(f"SELECT count(*) - count(DISTINCT ({key})) FROM {table}")
                for table, key in UNIQUE_KEYS.items()
            },
            "client_calls": scalar(f"SELECT sum(new_calls) FROM {tables.ARTICLE_SUMMARY_STATS}"),
            "cache_hits": scalar(f"SELECT sum(cache_hits) FROM {tables.ARTICLE_SUMMARY_STATS}"),
        }
    return figures


def _prompt_digest(title: str | None, text: str | None) -> str:
    """Digest of the summary prompt LLMSummarizer sends for an article (with its default settings)."""
    fields = LLMSummarizer.model_fields
    messages = summary_messages(title or "", text or "", fields["max_words"].default, fields["max_input_words"].default)
    return prompt_digest(messages[-1]["content"])


def soak_pass(
    server: DagsterServer,
    instance: DagsterInstance,
    injector: FaultInjector,
    work: Path,
    manifest: dict,
    title: str,
    settings: SoakSettings,
    warehouse: Warehouse,
) -> PassResult:
    partitions = sorted(manifest["per_partition"])
    backfill_id, status, seconds = run_backfill(server, instance, partitions, title, settings.backfill_timeout_s)
    runs = backfill_runs(instance, backfill_id)
    outcomes, prompts = injector.reset()
    print(f"   {title}: backfill {status} in {seconds:.0f}s, {len(runs)} runs", flush=True)
    runs_seconds, most_in_flight = runs_timing(instance, runs)
    return PassResult(
        seconds=seconds,
        runs_seconds=runs_seconds,
        most_in_flight=most_in_flight,
        runs=Counter(run.status.value for run in runs),
        lock_errors=lock_errors(instance, runs, work / "home"),
        server_calls=sum(outcomes.values()),
        server_outcomes=outcomes,
        prompts=prompts,
        warehouse=check_warehouse(warehouse, manifest),
    )


def _processes_carrying(marker: str) -> dict[int, str]:
    """Live processes whose environment names `marker` (the soak's folder): pid -> command line."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            alive = (proc / "stat").read_text().rsplit(") ", 1)[1][0] not in "ZX"
            if alive and marker.encode() in (proc / "environ").read_bytes():
                found[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
    return found


def stop_leftovers(marker: str, grace_s: float = 30.0) -> dict[int, str]:
    """Processes of the soak still alive `grace_s` after Dagster was stopped, killed by PID.

    Every process carrying the soak's folder in its environment was started by it (the webserver,
    the daemon, their code servers and run workers); a SIGKILLed group takes a moment to die.
    """
    deadline = time.monotonic() + grace_s
    while (left := _processes_carrying(marker)) and time.monotonic() < deadline:
        time.sleep(1)
    for pid, command in left.items():
        print(f"   still running after {grace_s:.0f}s, killed: {pid} {command[:160]}", file=sys.stderr)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


@contextmanager
def _catalog(work: Path, settings: SoakSettings) -> Iterator[str]:
    """The DuckLake catalog's connection string: a PostgreSQL server of the soak's own ('' for the file)."""
    if settings.warehouse != "ducklake":
        yield ""
        return
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise SystemExit("--warehouse ducklake needs PostgreSQL's server binaries (initdb, postgres): apt-get install postgresql")
    with postgres_server(work / "postgres", bin_dir) as server:
        yield server.create_database("lake")


def soak(settings: SoakSettings, keep: Path | None = None) -> tuple[dict, PassResult, PassResult]:
    work = Path(keep or tempfile.mkdtemp(prefix="asknews-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        started = time.monotonic()
        manifest = generate_corpus(work / "corpus", settings)
        print(
            f"corpus: {manifest['lines']} lines, {manifest['partitions']} partitions, "
            f"{len(manifest['languages'])} languages, {len(manifest['countries'])} countries ({work})",
            flush=True,
        )
        injector = FaultInjector(settings.failure_rate, settings.seed, timeout_delay_s=settings.llm_timeout_s + 1.5)
        with fault_server(injector, MODEL) as llm, _catalog(work, settings) as catalog:
            env = dagster_env(work, llm.base_url, settings, catalog)
            warehouse = Warehouse(**warehouse_fields(work, settings, catalog))
            with dagster_processes(work / "home", env) as server, DagsterInstance.from_config(str(work / "home")) as instance:
                print(f"dagster up after {time.monotonic() - started:.0f}s ({settings.warehouse} warehouse)", flush=True)
                register_partitions(server, sorted(manifest["per_partition"]))
                first = soak_pass(server, instance, injector, work, manifest, "soak pass 1", settings, warehouse)
                second = soak_pass(server, instance, injector, work, manifest, "soak pass 2 (cache)", settings, warehouse)
        leftovers = stop_leftovers(str(work))
        context = {
            "manifest": manifest,
            "settings": settings,
            "total_seconds": time.monotonic() - started,
            "leftover_processes": len(leftovers),
        }
        return context, first, second
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)


def rows_of(context: dict, first: PassResult, second: PassResult) -> list[dict]:
    manifest, settings = context["manifest"], context["settings"]
    rows: list[dict] = []

    def row(figure: str, value, target=None, passed=None) -> None:
        rows.append({"benchmark": "soak", "figure": figure, "value": value, "target": target, "passed": passed})

    def same(figure: str, value, expected) -> None:
        row(figure, value, f"= {expected}", value == expected)

    expected_rejected = manifest["expected_rejected"]
    row("articles (valid) / lines", f"{manifest['expected_accepted']} / {manifest['lines']}")
    row("partitions / languages / countries",
        f"{manifest['partitions']} / {len(manifest['languages'])} / {len(manifest['countries'])}")  # fmt: skip
    for number, result in ((1, first), (2, second)):
        w = result.warehouse
        tag = f"pass {number}"
        same(f"{tag}: runs succeeded", result.runs.get(DagsterRunStatus.SUCCESS.value, 0), manifest["partitions"])
        same(f"{tag}: accepted", w["accepted"], manifest["expected_accepted"])
        same(f"{tag}: rejected", sum(w["rejected"].values()), sum(expected_rejected.values()))
        same(f"{tag}: partitions off the manifest", len(w["partitions_off_manifest"]), 0)
        same(f"{tag}: translated", w["translated"], w["accepted"])
        row(f"{tag}: summarised", w["summarised"])
        row(f"{tag}: summary failures", sum(w["failed"].values()))
        same(f"{tag}: summarised + failed - translated (+ unmatched)", w["unaccounted"], 0)
        same(f"{tag}: duplicate rows (all tables)", sum(w["duplicates"].values()), 0)
        same(f"{tag}: lock errors", result.lock_errors, 0)
        row(f"{tag}: wall time s (launch to backfill complete)", round(result.seconds, 1))
        row(f"{tag}: runs span s (first run created to last run ended)", round(result.runs_seconds, 1))
        row(f"{tag}: articles/s (over the wall time)", round(manifest["expected_accepted"] / result.seconds, 1))
        row(f"{tag}: most runs in flight", result.most_in_flight, ">= 2", result.most_in_flight >= 2)
        same(f"{tag}: LLM calls (server) = calls (client)", result.server_calls, w["client_calls"])
    for reason, count in sorted(expected_rejected.items()):
        same(f"rejected: {reason}", first.warehouse["rejected"].get(reason, 0), count)
    for reason, count in Counter(first.server_outcomes).most_common():
        row(f"pass 1 LLM calls: {reason}", count)
    for reason, count in first.warehouse["failed"].items():
        row(f"pass 1 failed: {reason}", count)
    failed_first = sum(first.warehouse["failed"].values())
    bound = failed_first * (settings.max_retries + 1)
    row("pass 2: LLM calls", second.server_calls, f"<= {bound} (failed x (1 + retries))", second.server_calls <= bound)
    same("pass 2: calls for articles that had not failed", len(second.prompts - first.warehouse["failed_prompts"]), 0)
    same("pass 2: summaries served from the cache", second.warehouse["cache_hits"], first.warehouse["summarised"])
    row("pass 2: failed again", sum(second.warehouse["failed"].values()))
    row("total wall time s (corpus, startup, 2 passes)", round(context["total_seconds"], 1))
    same("processes still running 30 s after shutdown", context["leftover_processes"], 0)
    return rows


def run(quick: bool = False) -> list[dict]:
    return rows_of(*soak(QUICK if quick else SoakSettings()))


def _print_table(rows: list[dict]) -> None:
    columns = ["figure", "value", "target", "passed"]
    cells = [["" if row.get(c) is None else str(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    for line in [columns, ["-" * w for w in widths], *cells]:
        print("  ".join(value.ljust(width) for value, width in zip(line, widths)))


def main(argv: list[str] | None = None) -> int:
    defaults = SoakSettings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK.articles} articles, {QUICK.countries} countries")
    parser.add_argument("--articles", type=int, help=f"valid articles (default {defaults.articles})")
    parser.add_argument("--countries", type=int, help=f"distinct countries, 1-60 (default {defaults.countries})")
    parser.add_argument("--failure-rate", type=float, default=defaults.failure_rate, help="share of LLM calls that fail")
    parser.add_argument("--max-retries", type=int, default=defaults.max_retries, help="LLM client retries per article")
    parser.add_argument("--llm-timeout", type=float, default=defaults.llm_timeout_s, help="LLM client timeout, seconds")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--warehouse", choices=("duckdb", "ducklake"), default="duckdb", help="warehouse backend")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (corpus, warehouse, DAGSTER_HOME)")
    args = parser.parse_args(argv)
    settings = replace(
        QUICK if args.quick else defaults,
        failure_rate=args.failure_rate,
        max_retries=args.max_retries,
        llm_timeout_s=args.llm_timeout,
        seed=args.seed,
        warehouse=args.warehouse,
    )
    if args.articles:
        settings = replace(settings, articles=args.articles)
    if args.countries:
        settings = replace(settings, countries=args.countries)
    rows = rows_of(*soak(settings, args.keep))
    _print_table(rows)
    return 0 if all(row["passed"] is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
