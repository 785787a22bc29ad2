"""summaries.rows: a partition's completions become summary rows, failure rows and statistics."""

from datetime import datetime, timezone

import pandas as pd

from asknews_assets.llm import Completion
from asknews_assets.partitions import ArticlePartition
from asknews_assets.summaries import ArticleText
from asknews_assets.summaries.rows import article_texts, summarize_partition, summary_totals

MX_ES = ArticlePartition("MX", "es")
NOW = datetime(2024, 3, 1, tzinfo=timezone.utc)
TRANSLATED = pd.DataFrame(
    {
        "article_id": ["a1", "a2", "a3"],
        "title_en": ["Floods in Monterrey", None, "Debate"],
        "text_en": ["Heavy rain flooded Monterrey.", "Pemex reported a loss.", None],
    }
)


class ScriptedSummarizer:
    """Answers from a script: a1 from the cache, a2 after two calls, a3 fails."""

    backend, model_name, prompt_version = "scripted", "script-1", "v9"

    def __init__(self):
        self.seen = None

    def summarize(self, articles):
        self.seen = articles
        return [
            Completion("a1", "Rain flooded Monterrey on Monday.", None, 0, "h1", cached=True),
            Completion("a2", "Pemex lost two billion dollars this quarter.", None, 2, "h2"),
            Completion("a3", None, "no_text", 0, ""),
        ]


def test_null_titles_and_texts_become_empty_strings():
    assert article_texts(TRANSLATED) == [
        ArticleText("a1", "Floods in Monterrey", "Heavy rain flooded Monterrey."),
        ArticleText("a2", "", "Pemex reported a loss."),
        ArticleText("a3", "Debate", ""),
    ]


def test_completions_become_summaries_failures_and_statistics():
    summarizer = ScriptedSummarizer()
    outcome = summarize_partition(MX_ES, TRANSLATED, summarizer, "run-1", NOW)
    assert summarizer.seen == article_texts(TRANSLATED)
    produced_by = {"summary_backend": "scripted", "summary_model": "script-1", "prompt_version": "v9"}
    keys = {"country": "MX", "language": "es"}
    assert outcome.summaries == [
        {**keys, "article_id": "a1", "summary": "Rain flooded Monterrey on Monday.", **produced_by, "input_hash": "h1"},
        {**keys, "article_id": "a2", "summary": "Pemex lost two billion dollars this quarter.", **produced_by, "input_hash": "h2"},
    ]
    assert outcome.failures == [{**keys, "article_id": "a3", "reason": "no_text", "attempts": 0}]
    assert outcome.stats == {
        **keys, **produced_by, "articles": 3, "summarised": 2, "failed": 1, "cache_hits": 1, "new_calls": 2,
        "run_id": "run-1", "materialized_at": NOW,
    }  # fmt: skip
    assert [(p["partition"], p["article_id"], p["title"]) for p in outcome.preview] == [
        ("es-MX", "a1", "Floods in Monterrey"),
        ("es-MX", "a2", None),
    ]


def test_totals_add_partitions_and_rank_failure_reasons():
    first = summarize_partition(MX_ES, TRANSLATED, ScriptedSummarizer(), "run-1", NOW)
    second = summarize_partition(ArticlePartition("AR", "es"), TRANSLATED, ScriptedSummarizer(), "run-1", NOW)
    totals = summary_totals([first, second])
    assert {k: totals[k] for k in ("articles", "summarised", "failed", "cache_hits", "new_calls")} == {
        "articles": 6, "summarised": 4, "failed": 2, "cache_hits": 2, "new_calls": 4,
    }  # fmt: skip
    assert totals["failures_by_reason"] == [("no_text", 2)]
    assert totals["average_words"] == 6.0  # summaries of 5 and 7 words
    assert summary_totals([])["average_words"] == 0.0
