"""Hostile input: partition keys and article fields crafted for SQL or path injection, enormous and
binary lines, deeply nested JSON, directly and through the webserver's GraphQL API.

What must hold: a hostile partition key is refused (by Dagster, or by the asset with a clear error,
at once and without retries) before it reaches SQL or a path; a hostile record is rejected with a
reason, or stored verbatim as inert data where the field is free text; the DuckDB tables stay intact;
and nothing is written outside ASKNEWS_DATA_DIR.
"""

import json
import os
import uuid
from pathlib import Path

import duckdb
import pytest
from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    build_sensor_context,
    instance_for_test,
    materialize,
)

from asknews_assets.assets.ingest import raw_articles
from asknews_assets.checks.ingest import raw_articles_accounted, raw_articles_unique
from asknews_assets.ingest.articles import RejectReason
from asknews_assets.resources.ingest import FileNewsSource
from asknews_assets.warehouse.resource import Warehouse
from asknews_assets.sensors.discovery import news_source_discovery_sensor
from asknews_assets.settings import PROJECT_ROOT
from asknews_assets_tests.support.data.corpus import article, write_corpus
from asknews_assets_tests.support.processes.dagster_processes import (
    ADD_PARTITION,
    GRAPHQL_TIMEOUT,
    LAUNCH_BACKFILL,
    LAUNCH_RUN,
    REPOSITORY,
    dagster_processes,
    partition_launch_params,
    run_finished,
    wait_for,
)

TOKEN = uuid.uuid4().hex[:12]
EVIL_PATH = f"../../../tmp/asknews-evil-{TOKEN}"
SQL = "FR'; DROP TABLE raw_articles;--"
HOSTILE_COUNTRIES = ["../../etc", SQL, "FR/../../x", EVIL_PATH, "FR\x00", "fr", " FR", "ＦＲ"]
HOSTILE_LANGUAGES = ["fr/../../x", "fr'; DROP TABLE raw_articles;--", "../fr"]
# Names that a path built from the inputs above would create somewhere.
TELLTALES = (TOKEN, "evil", "DROP", "passwd")
TELLTALE_NAMES = {"x", "etc", "..%2F..%2Fetc"}
# How a refused key is explained: the key's shape, or the part that is not a country or language.
REFUSALS = ("expected a 'language-COUNTRY' partition key", "not an ISO 3166-1 alpha-2 country code",
            "not one of the platform's languages")  # fmt: skip


def _line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def hostile_lines() -> list[tuple[str | bytes, RejectReason | None]]:
    """(line, expected reject reason or None when the record must be stored verbatim)."""
    inert = {
        "title": "Robert'); DROP TABLE raw_articles;--",
        "text": "Quoted \"text\"; DELETE FROM raw_article_rejects WHERE 1=1; -- and ../../etc/passwd",
        "source_id": "..\\..\\windows/system32; DROP TABLE x",
        "classification": "'; SELECT * FROM duckdb_settings();--",
    }
    forty_mb = 40 * 1024 * 1024
    return [
        (_line(article(SQL, "FR", "fr", **inert)), None),
        (_line(article(EVIL_PATH, "FR", "fr", article_url="https://x.example/a", text="Evil path id.")), None),
        (_line(article('"quoted";id\\', "FR", "fr", article_url="https://x.example/b", text="Quotes in id.")), None),
        (_line(article("nul-\x00-id", "FR", "fr", article_url="https://x.example/c")), RejectReason.INVALID_FIELD),
        (_line(article("newline", "FR", "fr", article_url="https://x.example/d\n/../etc")), RejectReason.INVALID_FIELD),
        (_line(article("c1", "../../etc", "fr", article_url="https://x.example/e")), RejectReason.INVALID_COUNTRY),
        (_line(article("c2", SQL, "fr", article_url="https://x.example/f")), RejectReason.INVALID_COUNTRY),
        (_line(article("l1", "FR", "fr/../../x", article_url="https://x.example/g")), RejectReason.UNKNOWN_LANGUAGE),
        (_line(article("d1", "FR", "fr", pub_date=f"2024-03-01{SQL[2:]}")), RejectReason.INVALID_DATE),
        ('{"article_id": "raw-nul\x00"}', RejectReason.INVALID_JSON),
        (_line(article("huge", "FR", "fr", text="A" * forty_mb)), RejectReason.RECORD_TOO_LARGE),
        ("\x00" * forty_mb, RejectReason.RECORD_TOO_LARGE),
        (bytes(range(256)).replace(b"\n", b"").replace(b"\r", b"") * 100, RejectReason.INVALID_ENCODING),
        (_nested(200_000), RejectReason.INVALID_JSON),
        ('{"article_id": "deep", "extra": ' + _nested(100_000) + "}", RejectReason.INVALID_JSON),
        (_line(article("list", "FR", "fr", text=[{"$ne": None}])), RejectReason.INVALID_FIELD),
    ]


# --- Watching the filesystem -------------------------------------------------------------------


def _tree(root: Path, skip: tuple[Path, ...] = ()) -> set[str]:
    found = set()
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if Path(folder, d) not in skip and d not in (".venv", ".git", "__pycache__")]
        found.update(str(Path(folder, name).relative_to(root)) for name in files + dirs)
    return found


class FilesystemWatch:
    """What exists outside ASKNEWS_DATA_DIR before the test, to compare with after it.

    tmp_path and its siblings belong to this test session: they must not change at all (the corpus
    is only read). The repository and /tmp are shared with other processes, so there the check is
    that nothing appeared whose name a hostile input would produce.
    """

    def __init__(self, tmp_path: Path, data_dir: Path) -> None:
        self.tmp_path, self.data_dir = tmp_path, data_dir
        self.before = self._snapshot()

    def _snapshot(self) -> dict[str, set[str]]:
        return {
            "tmp_path": _tree(self.tmp_path, skip=(self.data_dir,)),
            "siblings": set(os.listdir(self.tmp_path.parent)),
            "repository": _tree(PROJECT_ROOT),
            "/tmp": set(os.listdir("/tmp")),
        }

    def assert_nothing_written_outside_data_dir(self) -> None:
        after = self._snapshot()
        for area in ("tmp_path", "siblings"):
            assert after[area] == self.before[area], f"{area} changed: {after[area] ^ self.before[area]}"
        for area in ("repository", "/tmp"):
            new = after[area] - self.before[area]
            suspicious = [p for p in new if any(t in p for t in TELLTALES) or Path(p).name in TELLTALE_NAMES]
            assert not suspicious, f"written in {area}: {suspicious}"
        assert not list(Path("/tmp").glob(f"*{TOKEN}*"))


def _tables(database: Path) -> dict[str, list[tuple]]:
    conn = duckdb.connect(str(database), read_only=True)
    try:
        listed = conn.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()
        names = [name for (name,) in listed]
        return {name: conn.execute(f'SELECT * FROM "{name}" ORDER BY ALL').fetchall() for name in names}
    finally:
        conn.close()


@pytest.fixture
def instance(tmp_path):
    """The in-process tests' Dagster instance, kept inside the data dir like the rest of their writes."""
    home = tmp_path / "data" / "instance"
    home.mkdir(parents=True)
    with instance_for_test(temp_dir=str(home)) as temporary:
        yield temporary


@pytest.fixture
def setting(tmp_path, instance):
    """A corpus with one clean partition (es-ES) already materialised into a warehouse in the data dir."""
    data_dir = tmp_path / "data"
    corpus = tmp_path / "corpus"
    write_corpus(corpus, {"es/ES.jsonl": [article("es-1", "ES", "es"), article("es-2", "ES", "es", text="Otra.")]})
    database = data_dir / "warehouse" / "asknews.duckdb"
    instance.add_dynamic_partitions("article_pairs", ["es-ES"])
    resources = {"source": FileNewsSource(directory=str(corpus)), "warehouse": Warehouse(database=str(database))}
    assert materialize([raw_articles], partition_key="es-ES", instance=instance, resources=resources).success
    return data_dir, corpus, database, resources


def test_hostile_partition_keys_fail_at_once_and_touch_nothing(tmp_path, instance, setting):
    data_dir, corpus, database, resources = setting
    before = _tables(database)
    watch = FilesystemWatch(tmp_path, data_dir)

    hostile = {f"fr-{country}": country for country in HOSTILE_COUNTRIES}
    hostile |= {f"{language}-ES": language for language in HOSTILE_LANGUAGES}
    for key, offending in hostile.items():
        instance.add_dynamic_partitions("article_pairs", [key])  # Dagster itself accepts any dynamic key
        result = materialize([raw_articles], partition_key=key, instance=instance, resources=resources,
                             raise_on_error=False)  # fmt: skip
        assert not result.success, key
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        message = failure.step_failure_data.error.message
        assert any(refusal in message for refusal in REFUSALS) and repr(offending)[1:-1] in message, message
        assert not [e for e in result.all_events if e.event_type == DagsterEventType.STEP_UP_FOR_RETRY], (
            f"an invalid key {key!r} was retried"
        )
    with pytest.raises(Exception, match="partition"):  # a key never registered: Dagster refuses it
        materialize([raw_articles], partition_key="fr-BE", instance=instance, resources=resources)

    assert _tables(database) == before
    watch.assert_nothing_written_outside_data_dir()


def test_hostile_records_are_rejected_or_stored_inert(tmp_path, instance, setting):
    data_dir, corpus, database, resources = setting
    lines = hostile_lines()
    write_corpus(corpus, {"fr/FR.jsonl": [line for line, _ in lines]})
    # Files whose names try to escape or inject: outside the layout, so never read or registered.
    for name in ("..%2F..%2Fetc.jsonl", f"{SQL}.jsonl", "FR .jsonl", "fr.jsonl"):
        (corpus / "fr" / name).write_text(_line(article("sneaky", "FR", "fr")) + "\n")
    before = _tables(database)
    watch = FilesystemWatch(tmp_path, data_dir)

    source = resources["source"]
    sensor = news_source_discovery_sensor(build_sensor_context(instance=instance, resources={"source": source}))
    registered = [key for request in sensor.dynamic_partitions_requests for key in request.partition_keys]
    assert registered == ["fr-FR"]  # es-ES is registered already
    assert sorted(r.partition_key for r in sensor.run_requests) == ["es-ES", "fr-FR"]
    assert len(source.unroutable_files()) == 4

    instance.add_dynamic_partitions("article_pairs", ["fr-FR"])
    result = materialize([raw_articles, raw_articles_accounted, raw_articles_unique], partition_key="fr-FR",
                         instance=instance, resources=resources)  # fmt: skip
    assert result.success
    assert all(check.passed for check in result.get_asset_check_evaluations())

    after = _tables(database)
    assert sorted(after) == sorted(before) == ["raw_article_rejects", "raw_articles", "raw_ingest_stats"]
    assert [row for row in after["raw_articles"] if row[1:3] == ("ES", "es")] == [
        row for row in before["raw_articles"] if row[1:3] == ("ES", "es")
    ]
    conn = duckdb.connect(str(database), read_only=True)
    stored = conn.execute(
        "SELECT article_id, title, text, source_id, classification FROM raw_articles WHERE country = 'FR' ORDER BY 1"
    ).fetchall()
    rejects = conn.execute(
        "SELECT source_location, reason, length(excerpt) FROM raw_article_rejects WHERE country = 'FR'"
    ).fetchall()
    conn.close()

    inert = json.loads(lines[0][0])
    assert (SQL, inert["title"], inert["text"], inert["source_id"], inert["classification"]) in stored
    assert sorted(row[0] for row in stored) == sorted([SQL, EVIL_PATH, '"quoted";id\\'])
    expected = {f"fr/FR.jsonl:{n}": reason.value for n, (_, reason) in enumerate(lines, 1) if reason is not None}
    assert {location: reason for location, reason, _ in rejects} == expected
    assert max(length for _, _, length in rejects) <= 300, "excerpts of huge lines must stay bounded"
    watch.assert_nothing_written_outside_data_dir()


@pytest.mark.e2e
def test_hostile_partition_keys_through_the_webserver(tmp_path, setting):
    data_dir, corpus, database, _ = setting
    before = _tables(database)
    home = data_dir / "dagster_home"  # Dagster's own files live in the data dir too
    env = {
        "ASKNEWS_SOURCE_DIR": str(corpus),
        "ASKNEWS_DUCKDB_PATH": str(database),
        "ASKNEWS_DATA_DIR": str(data_dir),
        "ASKNEWS_DISCOVERY_SENSOR": "off",
        "HF_HUB_OFFLINE": "1",
    }
    watch = FilesystemWatch(tmp_path, data_dir)
    # A few of each kind: every launched run costs a run worker process.
    partitions = {f"fr-{SQL}": SQL, f"fr-{EVIL_PATH}": EVIL_PATH, f"{HOSTILE_LANGUAGES[0]}-ES": HOSTILE_LANGUAGES[0]}
    with dagster_processes(home, env) as server:
        launched = {}
        for partition, offending in partitions.items():
            added = server.graphql(ADD_PARTITION, {"repositorySelector": REPOSITORY, "key": partition}, GRAPHQL_TIMEOUT)
            if added["addDynamicPartition"]["__typename"] != "AddDynamicPartitionSuccess":
                continue  # refused by Dagster: as good as failing in the asset
            params = {"executionParams": partition_launch_params("article_partition_job", partition, ["raw_articles"])}
            result = server.graphql(LAUNCH_RUN, params, GRAPHQL_TIMEOUT)["launchRun"]
            if result["__typename"] == "LaunchRunSuccess":
                launched[result["run"]["runId"]] = offending
        # A key never registered: the webserver refuses the backfill.
        params = {"partitionNames": [f"{HOSTILE_LANGUAGES[1]}-ES"], "assetSelection": [{"path": ["raw_articles"]}]}
        backfill = server.graphql(LAUNCH_BACKFILL, {"params": params}, GRAPHQL_TIMEOUT)["launchPartitionBackfill"]
        assert backfill["__typename"] != "LaunchBackfillSuccess", backfill

        with DagsterInstance.from_config(str(home)) as observer:
            for run_id, offending in launched.items():
                status = wait_for(lambda: run_finished(observer, run_id), 240, f"run {run_id} to end")
                assert status == DagsterRunStatus.FAILURE
                failures = observer.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE)
                errors = [record.dagster_event.event_specific_data.error.message for record in failures]
                assert any(repr(offending)[1:-1] in error for error in errors), errors  # the error names the bad value
                starts = observer.all_logs(run_id, of_type=DagsterEventType.STEP_START)
                assert len(starts) == 1, "an invalid partition key was retried"

    assert _tables(database) == before
    watch.assert_nothing_written_outside_data_dir()
