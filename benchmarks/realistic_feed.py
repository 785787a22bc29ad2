"""The whole graph over a realistic feed: the main job (python -m asknews_assets.demo) on a corpus from
`scripts/generate_synthetic_corpus.py --realistic`, then what happened, read back from the warehouse.

    python -m benchmarks.realistic_feed --articles 1500 --seed 1 --missing-english skip
    python -m benchmarks.realistic_feed --articles 1500 --seed 1 --missing-english fail

(fine-tuning left out unless --with-models) prints the run summary (partitions and jobs succeeded / failed with their reasons / skipped, exit
status), per-stage coverage (accepted, translated, summarised, embedded, and the partitions with gaps),
failures by reason at every stage, and checks the invariants against the generator's ground truth:
read = accepted + rejected + unroutable, the accepted and rejected counts it planned, no truncation
marker in any summary or topic keyword, and the licence on the published card. Takes minutes (one
Dagster run per partition, about 60 partitions): `python -m benchmarks realistic_feed` runs it in
the suite, which leaves it out by default.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from asknews_assets.settings import PROJECT_ROOT
from asknews_assets.warehouse import tables

IN_DEFAULT_SUITE = False
MARKER = re.compile(r"\[\+\s*\d[\d,.]*\s*char", re.IGNORECASE)


def _query(conn, sql: str) -> list[tuple]:
    try:
        return conn.execute(sql).fetchall()
    except duckdb.CatalogException:  # a table the run never got to write
        return []


# The main job's whole-graph jobs without fine-tuning (minutes of CPU training that say nothing about
# the feed); --with-models keeps them.
DATASET_JOBS = [("dataset_job", None), ("publish_dataset_job", None)]


def run_feed(
    work: Path, articles: int, seed: int, missing_english: str, accept_partial: bool = False, with_models: bool = False
) -> dict:
    """Generate the feed, run the main job on it in a fresh instance, and collect the figures."""
    corpus, home, data = work / "corpus", work / "home", work / "data"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "deploy" / "local" / "dagster.yaml", home / "dagster.yaml")
    subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "generate_synthetic_corpus.py"), "--realistic", "--out", str(corpus),
         "--articles", str(articles), "--seed", str(seed)],
        check=True, capture_output=True, cwd=PROJECT_ROOT,
    )  # fmt: skip
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    env = {**os.environ, "DAGSTER_HOME": str(home), "ASKNEWS_SOURCE_DIR": str(corpus), "ASKNEWS_DATA_DIR": str(data),
           "ASKNEWS_MISSING_ENGLISH": missing_english, "ASKNEWS_ACCEPT_PARTIAL_BUILD": "1" if accept_partial else "0",
           "PYTHONPATH": str(PROJECT_ROOT), "HF_HUB_OFFLINE": "1"}  # fmt: skip
    for name in ("ASKNEWS_SOURCE", "ASKNEWS_DUCKDB_PATH", "ASKNEWS_DATASET_LICENSE", "ASKNEWS_SOURCE_LICENSE", "ASKNEWS_DEPLOYMENT"):
        env.pop(name, None)
    started = time.monotonic()
    jobs = "" if with_models else f"demo.WHOLE_GRAPH_JOBS[:] = {DATASET_JOBS!r}; "
    command = [sys.executable, "-c", f"import sys, asknews_assets.demo as demo; {jobs}sys.exit(demo.main())"]
    done = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    seconds = time.monotonic() - started
    summary = done.stdout[done.stdout.find("Partitions:"):].split("\nWarehouse")[0] if "Partitions:" in done.stdout else done.stdout[-3000:]

    conn = duckdb.connect(str(data / "warehouse" / "asknews.duckdb"), read_only=True)
    try:
        from dagster import DagsterInstance

        from asknews_assets.supply import coverage_totals, materialized_partitions, stage_coverage

        with DagsterInstance.from_config(str(home)) as instance:
            coverage = stage_coverage(conn, materialized_partitions(instance))
        failures = {
            "rejected": dict(_query(conn, f"SELECT reason, count(*) FROM {tables.RAW_ARTICLE_REJECTS} GROUP BY 1 ORDER BY 2 DESC")),
            "translation": dict(_query(conn, f"SELECT reason, count(*) FROM {tables.TRANSLATION_FAILURES} GROUP BY 1 ORDER BY 2 DESC")),
            "summary": dict(_query(conn, f"SELECT reason, count(*) FROM {tables.ARTICLE_SUMMARY_FAILURES} GROUP BY 1 ORDER BY 2 DESC")),
            "annotation": dict(_query(conn, f"SELECT reason, count(*) FROM {tables.ANNOTATION_FAILURES} GROUP BY 1 ORDER BY 2 DESC")),
        }
        unroutable = _query(conn, f"SELECT count(*), coalesce(sum(records), 0) FROM {tables.SOURCE_UNROUTABLE}")
        markers = {
            "raw texts": _query(conn, f"SELECT count(*) FROM {tables.RAW_ARTICLES} WHERE regexp_matches(text, '\\[\\+\\s*\\d[\\d,.]*\\s*char')"),
            "summaries": _query(conn, f"SELECT count(*) FROM {tables.ARTICLE_SUMMARIES} WHERE regexp_matches(summary, '\\[\\+\\s*\\d[\\d,.]*\\s*char')"),
            "topic keywords": _query(conn, f"SELECT count(*) FROM {tables.TOPICS} WHERE list_contains(keywords, 'chars')"),
        }
        artefacts = dict(_query(conn, f"SELECT a, count(*) FROM (SELECT unnest(artefacts) AS a FROM {tables.RAW_ARTICLES}) GROUP BY 1 ORDER BY 1"))
    finally:
        conn.close()
    cards = sorted((data / "publish").glob("**/README.md")) if (data / "publish").is_dir() else []
    card_license = None
    for card in cards:
        text = card.read_text(encoding="utf-8")
        if "AskNews-NER" in text and text.startswith("---"):
            card_license = re.search(r"^license: (.+)$", text, re.MULTILINE).group(1)
    return {
        "manifest": manifest, "exit_code": done.returncode, "seconds": seconds, "summary": summary.strip(),
        "stderr_tail": done.stderr[-2000:], "coverage": coverage, "totals": coverage_totals(coverage), "failures": failures,
        "unroutable": unroutable[0] if unroutable else (0, 0), "markers": {k: (v[0][0] if v else None) for k, v in markers.items()},
        "artefacts": artefacts, "card_license": card_license,
    }  # fmt: skip


def report(figures: dict, missing_english: str) -> str:
    totals, manifest = figures["totals"], figures["manifest"]
    lines = [f"== realistic feed, missing_english={missing_english}: {manifest['lines']} lines, exit {figures['exit_code']},"
             f" {figures['seconds']:.0f}s", "", "Run summary:", figures["summary"], "", "Per-stage coverage (accepted articles):"]  # fmt: skip
    accepted = totals["accepted"] or 1
    for stage in ("translated", "summarised", "embedded"):
        lines.append(f"  {stage:<11} {totals[stage]:>6} of {totals['accepted']} ({totals[stage] / accepted:.1%})")
    lines.append(f"  translation failed {totals['translation_failed']}, summary failed {totals['summary_failed']}")
    lines.append(f"  partitions {totals['partitions']}, with gaps {totals['partitions_with_gaps']}")
    gaps = figures["coverage"][figures["coverage"]["status"] != "complete"]
    for row in gaps.head(15).itertuples():
        lines.append(f"    {row.language}-{row.country}: {row.status}")
    lines += ["", "Failures by reason:"]
    for stage, reasons in figures["failures"].items():
        for reason, count in reasons.items():
            lines.append(f"  {stage:<11} {count:>6}  {reason}")
    files, records = figures["unroutable"]
    lines.append(f"  unroutable  {records:>6}  records in {files} files")
    lines += ["", f"Artefacts recorded at ingest: {figures['artefacts']}", f"Truncation markers left: {figures['markers']}",
              f"Published card licence: {figures['card_license']}"]  # fmt: skip
    return "\n".join(lines)


def invariant_rows(figures: dict, mode: str) -> list[dict]:
    totals, manifest = figures["totals"], figures["manifest"]
    files, unroutable = figures["unroutable"]
    name = f"realistic_feed[{mode}]"
    rows = [
        ("read = accepted + rejected + unroutable", totals["read"] + unroutable, totals["accepted"] + totals["rejected"] + unroutable),
        ("records read (generated lines)", totals["read"] + unroutable, manifest["lines"]),
        ("accepted (as generated)", totals["accepted"], manifest["expected_accepted"]),
        ("rejected (as generated)", totals["rejected"], sum(manifest["expected_rejected"].values())),
        ("unroutable records (as generated)", unroutable, manifest["expected_unroutable"]),
        ("truncation markers in summaries", figures["markers"]["summaries"] or 0, 0),
        ("truncation markers in topic keywords", figures["markers"]["topic keywords"] or 0, 0),
    ]
    out = [{"benchmark": name, "figure": f, "value": v, "target": t, "passed": v == t} for f, v, t in rows]
    expected_exit = 0 if mode == "skip" else 1
    out.append({"benchmark": name, "figure": "exit status", "value": figures["exit_code"], "target": expected_exit,
                "passed": figures["exit_code"] == expected_exit})  # fmt: skip
    return out


def run(quick: bool = False) -> list[dict]:
    rows = []
    for mode in ("fail", "skip"):
        with tempfile.TemporaryDirectory(prefix="realistic-feed-") as work:
            figures = run_feed(Path(work), 500 if quick else 1500, seed=1, missing_english=mode)
            print(report(figures, mode), flush=True)
            rows += invariant_rows(figures, mode)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--missing-english", choices=("fail", "skip", "machine"), default="skip")
    parser.add_argument("--accept-partial-build", action="store_true")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--with-models", action="store_true", help="also fine-tune and publish the small model (slow on CPU)")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="realistic-feed-"))
    try:
        figures = run_feed(work, args.articles, args.seed, args.missing_english, args.accept_partial_build, args.with_models)
        print(report(figures, args.missing_english))
        for row in invariant_rows(figures, args.missing_english):
            print(f"  {'ok ' if row['passed'] else 'BAD'} {row['figure']}: {row['value']} (target {row['target']})")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
