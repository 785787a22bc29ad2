"""End to end: a per-language backfill launched through the webserver's GraphQL API (as the UI
does), executed by the daemon with several runs in flight, lands in DuckDB without lock errors or
duplicate rows."""

import duckdb
import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from asknews_assets_tests.conftest import article, write_corpus
from asknews_assets_tests.dagster_processes import (
    ADD_PARTITION,
    BACKFILL_STATUS,
    LAUNCH_BACKFILL,
    REPOSITORY,
    dagster_processes,
)

pytestmark = pytest.mark.e2e

FRENCH_COUNTRIES = ["BE", "CA", "CI", "FR", "SN"]


def _corpus(root):
    files = {}
    for country in FRENCH_COUNTRIES:
        rows = [article(f"{country}-{n}", country, "fr", text=f"Article {n} de {country}: une histoire unique.") for n in range(4)]
        rows.append(article(f"{country}-0", country, "fr"))  # duplicate id
        rows.append("{broken")
        files[f"fr/{country}.jsonl"] = rows
    files["en/CA.jsonl"] = [article("CA-en", "CA", "en")]  # another language: not part of the backfill
    return write_corpus(root, files)


def test_per_language_backfill_through_the_webserver(tmp_path):
    _corpus(tmp_path / "corpus")
    database = tmp_path / "warehouse.duckdb"
    env = {
        "ASKNEWS_SOURCE_DIR": str(tmp_path / "corpus"),
        "ASKNEWS_DUCKDB_PATH": str(database),
        "ASKNEWS_DATA_DIR": str(tmp_path / "data"),
        "ASKNEWS_DISCOVERY_SENSOR": "off",
    }
    with dagster_processes(tmp_path / "home", env) as server:
        for country in FRENCH_COUNTRIES:  # CA covers the English file too
            result = server.graphql(ADD_PARTITION, {"repositorySelector": REPOSITORY, "key": country})
            assert result["addDynamicPartition"]["__typename"] == "AddDynamicPartitionSuccess"
        params = {
            "partitionNames": [f"{country}|fr" for country in FRENCH_COUNTRIES],
            "assetSelection": [{"path": ["raw_articles"]}],
            "title": "French, all countries",
        }
        launched = server.graphql(LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        status = _wait_for_backfill(server, launched["backfillId"])
        assert status in ("COMPLETED", "COMPLETED_SUCCESS"), status

    with _instance(tmp_path / "home") as instance:
        runs = instance.get_runs(RunsFilter(tags={"dagster/backfill": launched["backfillId"]}))
        assert len(runs) == len(FRENCH_COUNTRIES)
        assert all(run.status == DagsterRunStatus.SUCCESS for run in runs)
        stats = [instance.get_run_stats(run.run_id) for run in runs]
        assert _max_overlap([(s.start_time, s.end_time) for s in stats]) >= 2, "runs never overlapped"

    conn = duckdb.connect(str(database), read_only=True)
    assert conn.execute("SELECT count(*), count(DISTINCT (country, article_id)) FROM raw_articles").fetchone() == (20, 20)
    assert conn.execute("SELECT DISTINCT language FROM raw_articles").fetchall() == [("fr",)]
    assert conn.execute("SELECT reason, count(*) FROM raw_article_rejects GROUP BY 1 ORDER BY 1").fetchall() == [
        ("duplicate article id", 5),
        ("invalid JSON", 5),
    ]
    assert conn.execute("SELECT sum(read) FROM raw_ingest_stats").fetchone() == (30,)


def _instance(home):
    return DagsterInstance.from_config(str(home))


def _wait_for_backfill(server, backfill_id, timeout=300):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = server.graphql(BACKFILL_STATUS, {"id": backfill_id})["partitionBackfillOrError"]["status"]
        if status not in ("REQUESTED", "CANCELING"):
            return status
        time.sleep(2)
    raise AssertionError(f"backfill still running after {timeout}s")


def _max_overlap(intervals):
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = best = 0
    for _, delta in events:
        running += delta
        best = max(best, running)
    return best
