"""Summarizers: one interface, an LLM backend (any OpenAI-compatible endpoint) and an extractive one.

'local' binds the extractive summariser (no model, deterministic); 'production' binds the LLM one,
pointed at its endpoint by the ASKNEWS_LLM_* variables (see `asknews_assets.llm.endpoint_from_env`).
ASKNEWS_SUMMARIZER ('llm' or 'extractive') overrides that choice, so that an otherwise local deployment
can summarise with a local LLM server (the soak benchmark points it at a fault-injecting one).
"""

import os
from collections.abc import Sequence

from dagster import ConfigurableResource
from pydantic import Field

from asknews_assets.llm import ChatEndpoint, Completion, LLMCache, endpoint_from_env
from asknews_assets.summarize import (
    EXTRACTIVE_VERSION,
    PROMPT_VERSION,
    ArticleText,
    summarize_extractively,
    summarize_with_llm,
)


class Summarizer(ConfigurableResource):
    """Interface: English summaries of articles, each a `Completion` (summary text, or failure reason)."""

    @property
    def backend(self) -> str:
        raise NotImplementedError

    @property
    def model_name(self) -> str:
        raise NotImplementedError

    @property
    def prompt_version(self) -> str:
        raise NotImplementedError

    def summarize(self, articles: Sequence[ArticleText], cache: LLMCache) -> list[Completion]:
        """One completion per article, in order; `cache` holds answers already paid for."""
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

    def summarize(self, articles: Sequence[ArticleText], cache: LLMCache) -> list[Completion]:
        return summarize_extractively(articles, max_words=self.max_words)


class LLMSummarizer(Summarizer):
    """Factual English summaries that keep every named entity, from an OpenAI-compatible chat endpoint."""

    endpoint: ChatEndpoint
    temperature: float = Field(default=0.0, description="Sampling temperature (0 for reproducible summaries).")
    max_tokens: int = Field(default=400, description="Longest answer the endpoint may give.")
    max_words: int = Field(default=100, description="Word budget asked for in the prompt.")
    max_input_words: int = Field(default=2000, description="Articles are cut to this many words to fit the context.")
    cache_flush_every: int = Field(default=32, description="Answers written to the cache in chunks of this size.")

    @property
    def backend(self) -> str:
        return "llm"

    @property
    def model_name(self) -> str:
        return self.endpoint.model

    @property
    def prompt_version(self) -> str:
        return PROMPT_VERSION

    def summarize(self, articles: Sequence[ArticleText], cache: LLMCache) -> list[Completion]:
        with self.endpoint.client(self.temperature, self.max_tokens) as client:
            return summarize_with_llm(
                client,
                articles,
                cache=cache,
                max_words=self.max_words,
                max_input_words=self.max_input_words,
                flush_every=self.cache_flush_every,
            )


SUMMARIZER_BACKENDS = ("llm", "extractive")


def resources_for(deployment: str) -> dict:
    backend = os.environ.get("ASKNEWS_SUMMARIZER") or ("llm" if deployment == "production" else "extractive")
    if backend not in SUMMARIZER_BACKENDS:
        raise ValueError(f"ASKNEWS_SUMMARIZER must be one of {SUMMARIZER_BACKENDS}, not {backend!r}")
    if backend == "llm":
        return {"summarizer": LLMSummarizer(endpoint=endpoint_from_env())}
    return {"summarizer": ExtractiveSummarizer()}
