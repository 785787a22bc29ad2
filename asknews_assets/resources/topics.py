"""The `topic_labeler` resource: how a topic gets its human-readable label.

`KeywordTopicLabeler` joins the topic's top class-TF-IDF keywords (no model, deterministic);
`LLMTopicLabeler` asks the summarizer's OpenAI-compatible endpoint for a short name, cached like
every LLM answer. ASKNEWS_TOPIC_LABELER ('llm' or 'keywords') chooses; unset, topics are named by the
LLM exactly when the summaries are (ASKNEWS_SUMMARIZER, or the production deployment), since that is
when an endpoint is configured. Noise ("no topic") is never passed to a labeler.
"""

import os
from collections.abc import Sequence

from pydantic import Field

from asknews_assets.backend import ModelBackend
from asknews_assets.llm import LLMBackend, LLMCache, endpoint_from_env
from asknews_assets.resources.summaries import summarizer_backend
from asknews_assets.topics.describe import TopicDescription
from asknews_assets.topics.labeling import PROMPT_VERSION, TopicLabel, keyword_labels, label_topics_with_llm

TOPIC_LABELERS = ("llm", "keywords")


class TopicLabeler(ModelBackend):
    """Interface: a short label for each topic."""

    def label_topics(self, topics: Sequence[TopicDescription], cache: LLMCache) -> dict[int, TopicLabel]:
        """topic_id -> label for every topic given; `cache` holds LLM answers already paid for."""
        raise NotImplementedError


class KeywordTopicLabeler(TopicLabeler):
    """Labels a topic with its top keywords ('water, rationing, summit'): no model, deterministic."""

    n_keywords: int = Field(default=3, ge=1, description="How many top keywords make the label.")

    @property
    def backend(self) -> str:
        return "keywords"

    @property
    def model_name(self) -> str:
        return "class-tfidf"

    def label_topics(self, topics: Sequence[TopicDescription], cache: LLMCache) -> dict[int, TopicLabel]:
        return keyword_labels(topics, self.n_keywords)


class LLMTopicLabeler(LLMBackend, TopicLabeler):
    """A name of a few words from an OpenAI-compatible chat model, given the keywords and a representative summary."""

    max_tokens: int = Field(default=32, description="Longest answer the endpoint may give (a name of a few words).")
    n_keywords: int = Field(default=3, ge=1, description="Keywords in the label of a topic the model fails to name.")

    @property
    def prompt_version(self) -> str:
        return PROMPT_VERSION

    def label_topics(self, topics: Sequence[TopicDescription], cache: LLMCache) -> dict[int, TopicLabel]:
        with self.client() as client:
            return label_topics_with_llm(
                client, topics, cache=cache, n_keywords=self.n_keywords, flush_every=self.cache_flush_every
            )


def topic_labeler_backend(deployment: str) -> str:
    """'llm' or 'keywords': ASKNEWS_TOPIC_LABELER, else 'llm' exactly when the summaries come from the LLM."""
    default = "llm" if summarizer_backend(deployment) == "llm" else "keywords"
    backend = os.environ.get("ASKNEWS_TOPIC_LABELER") or default
    if backend not in TOPIC_LABELERS:
        raise ValueError(f"ASKNEWS_TOPIC_LABELER must be one of {TOPIC_LABELERS}, not {backend!r}")
    return backend


def resources_for(deployment: str) -> dict:
    if topic_labeler_backend(deployment) == "llm":
        return {"topic_labeler": LLMTopicLabeler(endpoint=endpoint_from_env())}
    return {"topic_labeler": KeywordTopicLabeler()}
