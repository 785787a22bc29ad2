"""Article summaries as plain logic: the LLM prompt and checks, and an extractive summariser."""

from asknews_assets.summaries.articles import NO_TEXT, ArticleText, summarize_extractively, summarize_with_llm
from asknews_assets.summaries.extractive import EXTRACTIVE_VERSION, extractive_summary, split_sentences
from asknews_assets.summaries.prompt import PROMPT_VERSION, clean_summary, summary_messages, summary_problem

__all__ = [
    "EXTRACTIVE_VERSION",
    "NO_TEXT",
    "PROMPT_VERSION",
    "ArticleText",
    "clean_summary",
    "extractive_summary",
    "split_sentences",
    "summarize_extractively",
    "summarize_with_llm",
    "summary_messages",
    "summary_problem",
]
