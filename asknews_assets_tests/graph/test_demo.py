"""The main job (asknews_assets.demo): every partition runs, failures are reported with their
reason, later jobs are skipped after a failure, and the exit status says whether anything failed."""

from __future__ import annotations

import os
import subprocess
import sys

from dagster import Definitions, load_asset_checks_from_package_module, load_assets_from_package_module

from asknews_assets import assets, checks, jobs
from asknews_assets.demo import FAILED, SKIPPED, SUCCEEDED, Outcome, RunSummary, format_summary, run_graph
from asknews_assets.partitions import ArticlePartition
from asknews_assets.resources import build_resources
from asknews_assets.resources.ingest import Unroutable
from asknews_assets.settings import PROJECT_ROOT, Settings
from asknews_assets_tests.support.data.corpus import article, write_corpus


def _definitions(source, warehouse) -> Definitions:
    return Definitions(
        assets=load_assets_from_package_module(assets),
        asset_checks=load_asset_checks_from_package_module(checks),
        jobs=jobs.ALL_JOBS,
        resources={**build_resources(Settings.from_env(deployment="local")), "source": source, "warehouse": warehouse},
    )


def test_a_failing_partition_does_not_stop_the_others_and_the_summary_says_why(tmp_path, instance, warehouse):
    """Regression: the main job stopped at its first failing partition."""
    source = write_corpus(
        tmp_path / "corpus",
        {
            "ar/EG.jsonl": [article("eg-1", "EG", "ar", text="وافق المجلس على الخطة.")],
            "es/MX.jsonl": [article("mx-1"), article("mx-2", eng_text=None, eng_title=None)],  # no English: fails
            "es/AR.jsonl": [article("ar-1", "AR")],
        },
    )
    partitions = source.list_partitions()
    instance.add_dynamic_partitions("article_pairs", sorted(str(p) for p in partitions))
    lines: list[str] = []
    summary = run_graph(
        _definitions(source, warehouse), instance, partitions, jobs=[("dataset_job", None), ("model_job", "small")],
        progress=lines.append,
    )  # fmt: skip

    status = {o.partition: o.status for o in summary.partitions}
    assert status == {"ar-EG": SUCCEEDED, "es-MX": FAILED, "es-AR": SUCCEEDED}  # the one after the failure ran too
    [failed] = [o for o in summary.partitions if o.status == FAILED]
    assert failed.reason.startswith("translated_articles: ") and "ASKNEWS_MISSING_ENGLISH" in failed.reason
    # The dataset build refuses the gap the failed partition left; the model job depends on it: skipped.
    dataset, model = summary.jobs
    assert dataset.status == FAILED and "check article_supply_complete: 1 of 3 partitions have gaps" in dataset.reason
    assert (model.status, model.reason) == (SKIPPED, "dataset_job failed")
    assert summary.exit_code == 1
    assert any("es-MX FAILED: translated_articles" in line for line in lines)

    text = format_summary(summary)
    assert "Partitions: 2 succeeded, 1 failed, 0 skipped (of 3)" in text
    assert "failed es-MX: translated_articles:" in text
    assert "Whole-graph jobs: 0 succeeded, 1 failed, 1 skipped" in text


def test_no_partition_succeeding_skips_every_whole_graph_job(tmp_path, instance, warehouse):
    source = write_corpus(tmp_path / "corpus", {"es/MX.jsonl": [article("mx-1", eng_text=None)]})
    instance.add_dynamic_partitions("article_pairs", ["es-MX"])
    summary = run_graph(_definitions(source, warehouse), instance, [ArticlePartition("MX", "es")], jobs=[("dataset_job", None)])
    assert [o.status for o in summary.partitions] == [FAILED]
    assert [(o.status, o.reason) for o in summary.jobs] == [(SKIPPED, "no partition succeeded")]


def test_a_clean_run_exits_zero_and_lists_unroutable_files():
    summary = RunSummary(partitions=[Outcome("article_partition_job", "fr-FR", SUCCEEDED)], jobs=[Outcome("dataset_job", None, SUCCEEDED)])
    assert summary.exit_code == 0
    text = format_summary(summary, [Unroutable("src/nl/NL.jsonl", "nl", "language 'nl' is not one of the platform's languages", 7)])
    assert "Unroutable source files (not read): 1, 7 records" in text and "src/nl/NL.jsonl" in text


def test_a_source_of_unsupported_languages_only_says_so(tmp_path):
    """Regression: such a source failed later with 'table article_embeddings does not exist yet'."""
    write_corpus(tmp_path / "corpus", {"nl/NL.jsonl": [article("n1", "NL", "nl")], "zh/CN.jsonl": [article("z1", "CN", "zh")]})
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home), "ASKNEWS_SOURCE_DIR": str(tmp_path / "corpus"),
           "ASKNEWS_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(PROJECT_ROOT)}  # fmt: skip
    env.pop("ASKNEWS_SOURCE", None)
    done = subprocess.run([sys.executable, "-m", "asknews_assets.demo"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "holds no partition in the platform's languages" in done.stderr and "2 files are outside them" in done.stderr
    assert "language 'nl' is not one of the platform's languages (1 records)" in done.stdout
    assert "does not exist yet" not in done.stdout + done.stderr
