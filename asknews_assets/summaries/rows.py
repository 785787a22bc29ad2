"""A partition's summaries as the rows the warehouse stores: the summaries, the failures with their
reasons, and the partition's statistics; and the totals over every partition of a run.

Every translated article comes out as a summary or a failure, so summarised + failed = articles.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import pandas as pd

from asknews_assets.llm import Completion
from asknews_assets.partitions import ArticlePartition
from asknews_assets.summaries.articles import ArticleText

COUNTS = ("articles", "summarised", "failed", "cache_hits", "new_calls")


class SummaryBackend(Protocol):
    """What summarising needs of a summariser (the `Summarizer` resources are one)."""

    @property
    def backend(self) -> str: ...

    @property
    def model_name(self) -> str: ...

    @property
    def prompt_version(self) -> str: ...

    def summarize(self, articles: Sequence[ArticleText]) -> list[Completion]: ...


@dataclass(frozen=True)
class SummarisedPartition:
    summaries: list[dict[str, Any]]  # rows of article_summaries
    failures: list[dict[str, Any]]  # rows of article_summary_failures
    stats: dict[str, Any]  # the row of article_summary_stats
    preview: list[dict[str, Any]]  # partition, article id, English title and summary of each summary


def _text(value: object) -> str:
    """A nullable text column's value as a string ('' for NULL)."""
    return value if isinstance(value, str) else ""


def article_texts(translated: pd.DataFrame) -> list[ArticleText]:
    """The English title and text of each row of translated_articles."""
    return [ArticleText(row.article_id, _text(row.title_en), _text(row.text_en)) for row in translated.itertuples()]


def summarize_partition(
    partition: ArticlePartition,
    translated: pd.DataFrame,
    summarizer: SummaryBackend,
    run_id: str,
    materialized_at: datetime,
) -> SummarisedPartition:
    """Summarise a partition's translated articles and turn the answers into rows."""
    produced_by = {
        "summary_backend": summarizer.backend,
        "summary_model": summarizer.model_name,
        "prompt_version": summarizer.prompt_version,
    }
    completions = summarizer.summarize(article_texts(translated))
    keys = {"country": partition.country, "language": partition.language}
    summaries = [
        {**keys, "article_id": c.key, "summary": c.text, **produced_by, "input_hash": c.input_hash} for c in completions if c.ok
    ]
    failures = [{**keys, "article_id": c.key, "reason": c.failure, "attempts": c.attempts} for c in completions if not c.ok]
    stats = {
        **keys,
        **produced_by,
        "articles": len(completions),
        "summarised": len(summaries),
        "failed": len(failures),
        "cache_hits": sum(c.cached for c in completions),
        "new_calls": sum(c.attempts for c in completions),
        "run_id": run_id,
        "materialized_at": materialized_at,
    }
    titles = dict(zip(translated["article_id"], translated["title_en"])) if len(translated) else {}
    preview = [
        {"partition": str(partition), "article_id": s["article_id"], "title": titles.get(s["article_id"]), "summary": s["summary"]}
        for s in summaries
    ]
    return SummarisedPartition(summaries, failures, stats, preview)


def summary_totals(partitions: Sequence[SummarisedPartition]) -> dict[str, Any]:
    """The counts summed over partitions, failures by reason (most frequent first) and the mean
    summary length in words."""
    totals: dict[str, Any] = {name: sum(p.stats[name] for p in partitions) for name in COUNTS}
    totals["failures_by_reason"] = Counter(f["reason"] for p in partitions for f in p.failures).most_common()
    words = [len(s["summary"].split()) for p in partitions for s in p.summaries]
    totals["average_words"] = round(sum(words) / len(words), 1) if words else 0.0
    return totals
