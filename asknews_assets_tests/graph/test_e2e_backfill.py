"""End to end through the webserver's GraphQL API (as the UI does) and the daemon:

- a per-language backfill with several runs in flight lands in DuckDB without lock errors or
  duplicate rows;
- starting the UI on the demo's instance queues no run for partitions the demo materialised, and the
  README's per-language backfill (`fr-*` in the partition box) materialises exactly the language's
  real partitions, with the partition counts describing real data.
"""

import os
import shutil
import subprocess
import sys

import duckdb
import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

from asknews_assets.settings import PROJECT_ROOT
from asknews_assets_tests.support.data.corpus import article, write_corpus
from asknews_assets_tests.support.processes.dagster_processes import (
    ADD_PARTITION,
    ASSET_PARTITIONS,
    GRAPHQL_TIMEOUT,
    LAUNCH_BACKFILL,
    REPOSITORY,
    SENSOR_TICKS,
    dagster_processes,
    ui_wildcard,
    wait_for,
    wait_for_backfill,
)

pytestmark = pytest.mark.e2e

FRENCH_COUNTRIES = ["BE", "CA", "CI", "FR", "SN"]
ARTICLE_ASSETS = ["raw_articles", "translated_articles", "article_summaries", "article_embeddings"]


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
        "ASKNEWS_PARTITIONS_PER_RUN": "1",  # one run per partition: several writers in flight
    }
    with dagster_processes(tmp_path / "home", env) as server:
        for country in FRENCH_COUNTRIES:
            result = server.graphql(ADD_PARTITION, {"repositorySelector": REPOSITORY, "key": f"fr-{country}"})
            assert result["addDynamicPartition"]["__typename"] == "AddDynamicPartitionSuccess"
        params = {
            "partitionNames": [f"fr-{country}" for country in FRENCH_COUNTRIES],
            # The whole article chain: runs last long enough (the embedding model loads) to overlap.
            "assetSelection": [{"path": [a]} for a in ARTICLE_ASSETS],
            "title": "French, all countries",
        }
        launched = server.graphql(LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        status = wait_for_backfill(server, launched["backfillId"])
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


def _max_overlap(intervals):
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = best = 0
    for _, delta in events:
        running += delta
        best = max(best, running)
    return best


DEMO_CORPUS = {
    "fr/BE.jsonl": ("BE", "fr", "Le gouvernement belge a annoncé un nouveau budget pour les écoles de Bruxelles."),
    "fr/CI.jsonl": ("CI", "fr", "Le port d'Abidjan a enregistré une hausse du trafic de conteneurs cette année."),
    "fr/FR.jsonl": ("FR", "fr", "La mairie de Lyon a présenté son plan pour les transports en commun."),
    "fr/SN.jsonl": ("SN", "fr", "Les pêcheurs de Dakar attendent la nouvelle saison avec inquiétude."),
    "en/CA.jsonl": ("CA", "en", "The city of Toronto approved a new plan for public transport on Monday."),
    "en/GB.jsonl": ("GB", "en", "The council in Leeds published its budget for schools and libraries."),
    "es/MX.jsonl": ("MX", "es", "El gobierno de Monterrey presentó un plan nuevo para el transporte público."),
}


def test_ui_on_the_demo_instance_reruns_nothing_and_a_language_backfill_fills_its_real_partitions(tmp_path):
    files = {
        name: [article(f"{country}-{language}-{n}", country, language, text=f"{text} ({n})", eng_text=f"Story {n} from {country}.")
               for n in range(3)]
        for name, (country, language, text) in DEMO_CORPUS.items()
    }  # fmt: skip
    write_corpus(tmp_path / "corpus", files)
    pairs = sorted(f"{language}-{country}" for country, language, _ in DEMO_CORPUS.values())
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "deploy" / "local" / "dagster.yaml", home / "dagster.yaml")
    env = {
        "ASKNEWS_SOURCE_DIR": str(tmp_path / "corpus"),
        "ASKNEWS_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
        "ASKNEWS_DATA_DIR": str(tmp_path / "data"),
        "ASKNEWS_PUBLISH_SENSOR": "off",
        "HF_HUB_OFFLINE": "1",
    }
    # The demo's main job, article stages: what `make demo` leaves before the UI starts.
    demo = subprocess.run(
        [sys.executable, "-m", "asknews_assets.demo", "--partitions-only"],
        env={**os.environ, **env, "DAGSTER_HOME": str(home)},
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stdout + demo.stderr
    with _instance(home) as instance:
        demo_runs = {run.run_id for run in instance.get_runs()}
    assert len(demo_runs) == len(pairs)

    sensor = {**REPOSITORY, "sensorName": "news_source_discovery_sensor"}
    with dagster_processes(home, env) as server:  # the discovery sensor is on, as after `make ui`
        def first_tick():
            state = server.graphql(SENSOR_TICKS, {"selector": sensor}, GRAPHQL_TIMEOUT)["sensorOrError"]["sensorState"]
            done = [t for t in state["ticks"] if t["status"] != "STARTED"]
            return done[-1] if done else None

        tick = wait_for(first_tick, 180, "the discovery sensor's first tick", interval=1)
        assert tick["status"] == "SKIPPED" and not tick["runIds"], tick
        with _instance(home) as instance:
            new_runs = [run for run in instance.get_runs() if run.run_id not in demo_runs]
            assert new_runs == [], "a run was queued for an unchanged partition"

        # The partitions bar: exactly the source's pairs, all materialised.
        asset = server.graphql(ASSET_PARTITIONS, {"key": {"path": ["raw_articles"]}}, GRAPHQL_TIMEOUT)["assetNodeOrError"]
        (dimension,) = asset["partitionKeysByDimension"]
        assert sorted(dimension["partitionKeys"]) == pairs
        assert asset["partitionStats"] == {"numMaterialized": 7, "numPartitions": 7, "numFailed": 0, "numMaterializing": 0}

        # README: select the article assets, Materialize, type `fr-*` in the partition box.
        french = ui_wildcard(dimension["partitionKeys"], "fr-*")
        assert sorted(french) == ["fr-BE", "fr-CI", "fr-FR", "fr-SN"]
        params = {"partitionNames": french, "assetSelection": [{"path": [a]} for a in ARTICLE_ASSETS], "title": "fr"}
        launched = server.graphql(LAUNCH_BACKFILL, {"params": params}, GRAPHQL_TIMEOUT)["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        assert wait_for_backfill(server, launched["backfillId"]) in ("COMPLETED", "COMPLETED_SUCCESS")

        with _instance(home) as instance:
            runs = [run for run in instance.get_runs() if run.run_id not in demo_runs]
            outside = [run.tags for run in runs if run.tags.get("dagster/backfill") != launched["backfillId"]]
            assert outside == [], "a run outside the backfill"
            # One batched run (up to ASKNEWS_PARTITIONS_PER_RUN=8 partitions per run) over the 4 pairs.
            assert len(runs) == 1 and runs[0].status == DagsterRunStatus.SUCCESS
            tags = runs[0].tags
            assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == ("fr-BE", "fr-SN")
            run_ids = {run.run_id for run in runs}
            for name in ARTICLE_ASSETS:
                records = instance.fetch_materializations(AssetKey(name), limit=1000).records
                in_backfill = sorted(r.partition_key for r in records if r.run_id in run_ids)
                assert in_backfill == sorted(french), name
            checks = [e for run_id in run_ids for e in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)]
            assert checks and all(e.dagster_event.event_specific_data.passed for e in checks)
        asset = server.graphql(ASSET_PARTITIONS, {"key": {"path": ["article_embeddings"]}}, GRAPHQL_TIMEOUT)["assetNodeOrError"]
        assert asset["partitionStats"]["numPartitions"] == 7 and asset["partitionStats"]["numMaterialized"] == 7
