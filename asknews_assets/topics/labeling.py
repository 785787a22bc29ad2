"""The `topic_labeler` resource: how a topic gets its human-readable label.

`TopicLabeler` is the interface the `topic_clusters` asset depends on; `KeywordTopicLabeler`, the
default for every deployment, joins the topic's top class-TF-IDF keywords. Noise ("no topic") is
never passed to a labeler.

Extension point, an LLM labeler: subclass `TopicLabeler` (say `LLMTopicLabeler`), give it the
settings of the OpenAI-compatible client in `asknews_assets.llm` (endpoint, model, API key through
`dagster.EnvVar`), and implement `label_topics` by prompting with each topic's keywords and
representative summary for a label of a few words, caching answers like the summariser does and
failing with a clear error when the endpoint is not configured. Bind it as `topic_labeler` in the
topics resources (`resources_for('production')`); `backend` and `model_name` land in the asset's
metadata, so every materialisation says which labeler named its topics.
"""

from collections.abc import Sequence

from dagster import ConfigurableResource
from pydantic import Field

from asknews_assets.topics.describe import TopicDescription, keyword_label


class TopicLabeler(ConfigurableResource):
    """Interface: a short label for each topic."""

    @property
    def backend(self) -> str:
        raise NotImplementedError

    @property
    def model_name(self) -> str:
        raise NotImplementedError

    def label_topics(self, topics: Sequence[TopicDescription]) -> dict[int, str]:
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

    def label_topics(self, topics: Sequence[TopicDescription]) -> dict[int, str]:
        return {topic.topic_id: keyword_label(topic.keywords, self.n_keywords) for topic in topics}


def resources_for(deployment: str) -> dict:
    """The topics stage's resources (to be re-exported by asknews_assets/resources/topics.py)."""
    return {"topic_labeler": KeywordTopicLabeler()}
