"""End to end: the main job (python -m asknews_assets.demo, a process of its own) over a small
realistic feed. With the default choice for articles without English the partitions holding such
articles fail, the others run, the dataset build refuses the gaps and the exit status is non-zero;
every record the generator wrote is accounted for (accepted, rejected with a reason, unroutable)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import duckdb
import pytest

from asknews_assets.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e


def test_the_main_job_over_a_realistic_feed(tmp_path):
    corpus, home, data = tmp_path / "corpus", tmp_path / "home", tmp_path / "data"
    subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "generate_synthetic_corpus.py"), "--realistic", "--out", str(corpus),
         "--articles", "90", "--stories", "6", "--seed", "3"],
        check=True, cwd=PROJECT_ROOT, capture_output=True,
    )  # fmt: skip
    manifest = json.loads((corpus / "manifest.json").read_text())
    truth = [json.loads(line) for line in (corpus / "truth.jsonl").read_text().splitlines()]
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "deploy" / "local" / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home), "ASKNEWS_SOURCE_DIR": str(corpus), "ASKNEWS_DATA_DIR": str(data),
           "PYTHONPATH": str(PROJECT_ROOT)}  # fmt: skip
    for name in ("ASKNEWS_SOURCE", "ASKNEWS_DUCKDB_PATH", "ASKNEWS_MISSING_ENGLISH", "ASKNEWS_ACCEPT_PARTIAL_BUILD"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-m", "asknews_assets.demo"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=1800)
    out = done.stdout

    # Which partitions must fail: those holding an accepted non-English article without English.
    failing = sorted({f"{r['language']}-{r['country']}" for r in truth if r["expected"] == "accepted" and not r["has_english"]})
    partitions = sorted({f"{r['language']}-{r['country']}" for r in truth if r["expected"] != "unroutable"})
    assert failing and len(failing) < len(partitions)
    assert done.returncode == 1, out[-3000:] + done.stderr[-3000:]
    assert f"Partitions: {len(partitions) - len(failing)} succeeded, {len(failing)} failed, 0 skipped (of {len(partitions)})" in out
    for key in failing:
        assert f"failed {key}: translated_articles: " in out and "ASKNEWS_MISSING_ENGLISH" in out
    assert f"check article_supply_complete: {len(failing)} of {len(partitions)} partitions have gaps" in out
    assert "skipped model_job [small]: dataset_job failed" in out
    assert f"Unroutable source files (not read): {len(manifest['unroutable_files'])}, {manifest['expected_unroutable']} records" in out

    conn = duckdb.connect(str(data / "warehouse" / "asknews.duckdb"), read_only=True)
    try:
        accepted = conn.execute("SELECT sum(accepted), sum(rejected) FROM raw_ingest_stats").fetchone()
        unroutable = conn.execute("SELECT sum(records) FROM source_unroutable").fetchone()[0]
        gaps = conn.execute("SELECT language || '-' || country, status FROM stage_coverage WHERE status != 'complete' ORDER BY 1").fetchall()
        markers = conn.execute("SELECT count(*) FROM raw_articles WHERE text LIKE '%chars]%'").fetchone()[0]
    finally:
        conn.close()
    assert accepted == (manifest["expected_accepted"], sum(manifest["expected_rejected"].values()))
    assert unroutable == manifest["expected_unroutable"]
    assert accepted[0] + accepted[1] + unroutable == manifest["lines"]  # read = accepted + rejected + unroutable
    assert [key for key, _ in gaps] == failing and all(status == "translated: missing" for _, status in gaps)
    assert markers == 0
