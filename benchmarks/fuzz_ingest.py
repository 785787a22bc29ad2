"""A long fuzz run of ingest and of the model-answer parsers (the property tests' strategies, many
more examples).

Generated JSONL files (arbitrary JSON values, bytes, Unicode with lone surrogates and control
characters, dates of every year and offset, broken URLs, fields of every type and size) and Parquet
tables (columns of every type) go through the file source and `ingest_partition`, and what comes out
is written to DuckDB as raw_articles does; generated answers go through the summary, entity and
topic-label checks. Every record must end accepted or rejected with a known reason (accepted +
rejected = read), every answer usable or failed with a known reason, and nothing may raise: the
figure held to 0 is "step failures".

    python -m benchmarks.fuzz_ingest            # 1,000 files, tables and answers each (about 10 minutes on 2 cores)
    python -m benchmarks.fuzz_ingest --quick    # 100 each
"""

from __future__ import annotations

import sys
import tempfile
import traceback
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from asknews_assets.annotation.prompt import entities_problem
from asknews_assets.ingest.articles import IngestLimits, RejectReason, article_rows, ingest_partition, reject_rows
from asknews_assets.partitions import ArticlePartition
from asknews_assets.resources.ingest import FileNewsSource
from asknews_assets.warehouse import tables
from asknews_assets.summaries.prompt import summary_problem
from asknews_assets.topics.labeling import topic_label_problem
from asknews_assets_tests.support.data.strategies import answers, jsonl_lines, parquet_tables

MX_ES = ArticlePartition("MX", "es")
LIMITS = IngestLimits(max_text_chars=50_000, max_record_bytes=100_000)
KNOWN_REASONS = {reason.value for reason in RejectReason}
EXAMPLES, QUICK_EXAMPLES = 1_000, 100


class Tally:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.failures: list[str] = []

    def ingest(self, root: Path, expected_read: int) -> None:
        try:
            result = ingest_partition(FileNewsSource(directory=str(root)).read_partition(MX_ES, LIMITS.max_record_bytes), MX_ES, LIMITS)
            conn = duckdb.connect()
            try:
                tables.RAW_ARTICLES.replace_partition(conn, MX_ES, article_rows(result.accepted))
                rejects = [{"country": "MX", "language": "es", **r} for r in reject_rows(result.rejected)]
                tables.RAW_ARTICLE_REJECTS.replace_partition(conn, MX_ES, rejects)
            finally:
                conn.close()
        except Exception:  # noqa: BLE001: counted, that is the figure
            self.failures.append(traceback.format_exc(limit=3))
            return
        self.counts["records read"] += result.read
        self.counts["accepted"] += len(result.accepted)
        self.counts["rejected"] += len(result.rejected)
        if result.read != expected_read or len(result.accepted) + len(result.rejected) != result.read:
            self.counts["accounting errors"] += 1
        for reject in result.rejected:
            self.reasons[reject.reason.value] += 1
            if reject.reason.value not in KNOWN_REASONS:
                self.counts["unknown reasons"] += 1

    def answer(self, name: str, check, answer: str, known: set[str]) -> None:
        try:
            problem = check(answer)
        except Exception:  # noqa: BLE001
            self.failures.append(traceback.format_exc(limit=3))
            return
        self.counts[f"{name} answers"] += 1
        self.reasons[f"{name}: {problem or 'usable'}"] += 1
        if problem is not None and problem not in known:
            self.counts["unknown reasons"] += 1


def fuzz(examples: int) -> Tally:
    tally = Tally()
    options = settings(
        max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip

    with tempfile.TemporaryDirectory(prefix="fuzz-ingest-") as work:
        counter = iter(range(10**9))

        @options
        @given(st.lists(jsonl_lines(), min_size=1, max_size=20))
        def jsonl(lines):
            root = Path(work) / f"j{next(counter)}"
            (root / "es").mkdir(parents=True)
            (root / "es" / "MX.jsonl").write_bytes(b"\n".join(lines) + b"\n")
            tally.counts["lines generated"] += len(lines)
            tally.ingest(root, sum(1 for line in lines if line.strip()))

        @options
        @given(parquet_tables(max_rows=20))
        def parquet(table):
            root = Path(work) / f"p{next(counter)}"
            (root / "es").mkdir(parents=True)
            pq.write_table(table, root / "es" / "MX.parquet")
            tally.counts["parquet rows generated"] += table.num_rows
            tally.ingest(root, table.num_rows)

        @options
        @given(answers, st.integers(20, 300))
        def model_answers(answer, max_words):
            tally.answer("summary", lambda a: summary_problem(a, max_words), answer, {"empty_answer", "refusal", "too_short", "too_long"})
            tally.answer("entities", entities_problem, answer, {"invalid_json", "no_entity_list", "invalid_entity",
                                                                  "answer_too_large", "json_too_deep", "too_many_entities"})  # fmt: skip
            tally.answer("topic label", topic_label_problem, answer, {"empty_answer", "refusal", "too_long"})

        jsonl()
        parquet()
        model_answers()
    return tally


def _row(figure: str, value: float, target: float | None = None) -> dict:
    return {"benchmark": "fuzz_ingest", "figure": figure, "value": value, "target": target,
            "passed": None if target is None else value == target}  # fmt: skip


def run(quick: bool = False) -> list[dict]:
    tally = fuzz(QUICK_EXAMPLES if quick else EXAMPLES)
    for failure in tally.failures[:3]:
        print(failure, file=sys.stderr)
    rows = [_row(name, value) for name, value in sorted(tally.counts.items()) if name not in ("accounting errors", "unknown reasons")]
    rows += [_row(f"reason: {reason}", count) for reason, count in sorted(tally.reasons.items())]
    rows += [
        _row("distinct reject reasons seen", len([r for r in tally.reasons if ":" not in r])),
        _row("step failures (exceptions)", len(tally.failures), 0),
        _row("accounting errors (accepted + rejected != read)", tally.counts["accounting errors"], 0),
        _row("unknown reasons", tally.counts["unknown reasons"], 0),
    ]
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv[1:]):
        passed = "" if row["passed"] is None else row["passed"]
        print(f"{row['figure']:56} {row['value']:>10} {'' if row['target'] is None else row['target']:>6}  {passed}")
