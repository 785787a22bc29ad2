"""The `topic_labeler` resource: how a topic gets its human-readable label.

`KeywordTopicLabeler` joins the topic's top class-TF-IDF keywords (no model, deterministic);
`LLMTopicLabeler` asks the summarizer's OpenAI-compatible endpoint for a short name, cached like
every LLM answer. ASKNEWS_TOPIC_LABELER ('llm' or 'keywords') chooses; unset, topics are named by the
LLM exactly when the summaries are (`Settings.topic_labeler`). Noise ("no topic") is never passed to
a labeler.
"""

from collections.abc import Sequence

from pydantic import Field

from asknews_assets.backend import ModelBackend
from asknews_assets.llm import LLMBackend, endpoint_from_settings
from asknews_assets.settings import Settings
from asknews_assets.topics.describe import TopicDescription
from asknews_assets.topics.labeling import PROMPT_VERSION, TopicLabel, keyword_labels, label_topics_with_llm
from asknews_assets.warehouse.resource import Warehouse


class TopicLabeler(ModelBackend):
    """Interface: a short label for each topic."""

    def label_topics(self, topics: Sequence[TopicDescription]) -> dict[int, TopicLabel]:
        """topic_id -> label for every topic given."""
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

    def label_topics(self, topics: Sequence[TopicDescription]) -> dict[int, TopicLabel]:
        return keyword_labels(topics, self.n_keywords)


class LLMTopicLabeler(LLMBackend, TopicLabeler):
    """A name of a few words from an OpenAI-compatible chat model, given the keywords and a representative summary."""

    max_tokens: int = Field(default=32, description="Longest answer the endpoint may give (a name of a few words).")
    n_keywords: int = Field(default=3, ge=1, description="Keywords in the label of a topic the model fails to name.")

    @property
    def prompt_version(self) -> str:
        return PROMPT_VERSION

    def label_topics(self, topics: Sequence[TopicDescription]) -> dict[int, TopicLabel]:
        with self.client() as client:
            return label_topics_with_llm(
                client, topics, cache=self.cache(), n_keywords=self.n_keywords, flush_every=self.cache_flush_every
            )


def topic_labeler(config: Settings, warehouse: Warehouse) -> TopicLabeler:
    """The labeler `config.topic_labeler` names; an LLM one caches its answers in `warehouse`."""
    if config.topic_labeler == "llm":
        return LLMTopicLabeler(endpoint=endpoint_from_settings(config), warehouse=warehouse)
    return KeywordTopicLabeler()
