"""Summarizers: one interface, an LLM backend (any OpenAI-compatible endpoint) and an extractive one.

'local' binds the extractive summariser (no model, deterministic); 'production' binds the LLM one,
pointed at its endpoint by the ASKNEWS_LLM_* variables (see `asknews_assets.llm.endpoint_from_settings`).
ASKNEWS_SUMMARIZER ('llm' or 'extractive') overrides that choice, so that an otherwise local deployment
can summarise with a local LLM server (the soak benchmark points it at a fault-injecting one).
"""

from collections.abc import Sequence

from pydantic import Field

from asknews_assets.backend import ModelBackend
from asknews_assets.llm import Completion, LLMBackend, endpoint_from_settings
from asknews_assets.settings import Settings
from asknews_assets.summaries import (
    EXTRACTIVE_VERSION,
    PROMPT_VERSION,
    ArticleText,
    summarize_extractively,
    summarize_with_llm,
)
from asknews_assets.warehouse.resource import Warehouse


class Summarizer(ModelBackend):
    """Interface: English summaries of articles, each a `Completion` (summary text, or failure reason)."""

    def summarize(self, articles: Sequence[ArticleText]) -> list[Completion]:
        """One completion per article, in order."""
        raise NotImplementedError


class ExtractiveSummarizer(Summarizer):
    """The article's most representative sentences, no model: the offline default."""

    max_words: int = Field(default=100, description="Word budget of a summary.")

    @property
    def backend(self) -> str:
        return "extractive"

    @property
    def model_name(self) -> str:
        return f"extractive(max_words={self.max_words})"

    @property
    def prompt_version(self) -> str:
        return EXTRACTIVE_VERSION

    def summarize(self, articles: Sequence[ArticleText]) -> list[Completion]:
        return summarize_extractively(articles, max_words=self.max_words)


class LLMSummarizer(LLMBackend, Summarizer):
    """Factual English summaries that keep every named entity, from an OpenAI-compatible chat endpoint."""

    max_words: int = Field(default=100, description="Word budget asked for in the prompt.")
    max_input_words: int = Field(default=2000, description="Articles are cut to this many words to fit the context.")

    @property
    def prompt_version(self) -> str:
        return PROMPT_VERSION

    def summarize(self, articles: Sequence[ArticleText]) -> list[Completion]:
        with self.client() as client:
            return summarize_with_llm(
                client,
                articles,
                cache=self.cache(),
                max_words=self.max_words,
                max_input_words=self.max_input_words,
                flush_every=self.cache_flush_every,
            )


def summarizer(config: Settings, warehouse: Warehouse) -> Summarizer:
    """The summarizer `config.summarizer` names (ASKNEWS_SUMMARIZER, else the deployment's default);
    an LLM one caches its answers in `warehouse`."""
    if config.summarizer == "llm":
        return LLMSummarizer(endpoint=endpoint_from_settings(config), warehouse=warehouse)
    return ExtractiveSummarizer()
