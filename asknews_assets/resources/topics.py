"""Resources of the topics stage: how topics get their labels (keyword labels in every deployment)."""

from asknews_assets.topics.labeling import KeywordTopicLabeler, TopicLabeler, resources_for

__all__ = ["KeywordTopicLabeler", "TopicLabeler", "resources_for"]
