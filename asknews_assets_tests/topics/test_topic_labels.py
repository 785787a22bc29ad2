"""Topic labels asked of an LLM: prompt, cleaning and checks, the cache, keyword labels where the
endpoint gives nothing usable, and which labeler each deployment binds."""

import pytest

from asknews_assets.llm import ChatEndpoint
from asknews_assets.resources.topics import KeywordTopicLabeler, LLMTopicLabeler
from asknews_assets.topics.describe import TopicDescription
from asknews_assets.topics.labeling import (
    KEYWORDS,
    LLM,
    MAX_LABEL_WORDS,
    clean_topic_label,
    topic_label_messages,
    topic_label_problem,
)
from asknews_assets.resources import build_resources
from asknews_assets.settings import Settings
from asknews_assets_tests.support.fakes import Answer, Error, FakeOpenAIServer

WATER = TopicDescription(
    topic_id=0,
    size=12,
    keywords=("water", "rationing", "reservoir", "drought"),
    representative_article_id="mx-1",
    representative_summary="Monterrey   began water rationing as the reservoir fell to 12 percent. " + "More words. " * 200,
    countries=(("MX", 7), ("ES", 3), ("CL", 2)),
    languages=(("es", 10), ("en", 2)),
)
DENGUE = TopicDescription(1, 8, ("dengue", "vaccine", "mosquito"), "br-4", "Brazil extends dengue vaccination.", (("BR", 8),), (("pt", 8),))


@pytest.mark.parametrize(
    "answer, label",
    [
        ("Water rationing in Mexico", "Water rationing in Mexico"),
        ('Topic: "Water rationing in Mexico".', "Water rationing in Mexico"),
        ("**Label:** Dengue vaccine rollout\nThe articles all discuss ...", "Dengue vaccine rollout"),
        ("\n  «Elections in Europe»  \n", "Elections in Europe"),
        ("Name:   AI   regulation", "AI regulation"),
    ],
)
def test_an_answer_is_cleaned_to_the_name_alone(answer, label):
    assert clean_topic_label(answer) == label
    assert topic_label_problem(answer) is None


def test_unusable_answers_are_named_for_what_is_wrong():
    assert topic_label_problem("") == "empty_answer"
    assert topic_label_problem('Topic: ""') == "empty_answer"
    assert topic_label_problem("I'm sorry, I cannot name this topic.") == "refusal"
    assert topic_label_problem(" ".join(["word"] * (MAX_LABEL_WORDS + 1))) == "too_long"
    assert topic_label_problem("x" * 81) == "too_long"


def test_the_prompt_gives_keywords_countries_and_a_cut_representative_summary():
    system, user = topic_label_messages(WATER, max_summary_words=20)
    assert system["role"] == "system" and user["role"] == "user"
    text = user["content"]
    assert "Keywords: water, rationing, reservoir, drought" in text
    assert "MX (7), ES (3), CL (2)" in text
    assert "Monterrey began water rationing" in text  # whitespace collapsed
    assert text.count("More words.") < 20 and text.rstrip().endswith("…")


def _labeler(server, warehouse, **settings) -> LLMTopicLabeler:
    endpoint = ChatEndpoint(base_url=server.base_url, model="fake-model", api_key_env="", max_retries=2, backoff_base_s=0.01)
    return LLMTopicLabeler(endpoint=endpoint, warehouse=warehouse, **settings)


def test_llm_labels_are_cached_and_a_topic_without_a_usable_answer_keeps_its_keyword_label(warehouse):
    with FakeOpenAIServer() as server:
        server.script(Answer("Topic: Water rationing in Mexico."), when="Keywords: water")
        server.script(*[Answer("I'm sorry, I can't help with that.")] * 3, when="Keywords: dengue")
        labels = _labeler(server, warehouse, n_keywords=2).label_topics([WATER, DENGUE])
        assert server.calls == 1 + 3  # the refusal was asked again max_retries times
        assert labels[0].label == "Water rationing in Mexico" and (labels[0].source, labels[0].failure) == (LLM, None)
        assert (labels[1].label, labels[1].source, labels[1].failure) == ("dengue, vaccine", KEYWORDS, "refusal")

        # A second run pays only for what failed: the water label comes from the warehouse cache.
        server.script(Answer("Dengue vaccination campaign"), when="Keywords: dengue")
        again = _labeler(server, warehouse, n_keywords=2).label_topics([WATER, DENGUE])
        assert server.calls == 4 + 1 and server.unused_steps == 0
        assert again[0] == labels[0]
        assert (again[1].label, again[1].source) == ("Dengue vaccination campaign", LLM)


def test_an_endpoint_that_keeps_failing_leaves_keyword_labels_with_the_reason(warehouse):
    with FakeOpenAIServer() as server:
        server.script(*[Error(500)] * 6)
        labels = _labeler(server, warehouse).label_topics([WATER, DENGUE])
    assert {topic: (label.source, label.failure) for topic, label in labels.items()} == {
        0: (KEYWORDS, "http_500"),
        1: (KEYWORDS, "http_500"),
    }
    assert labels[0].label == "water, rationing, reservoir"


def test_the_topic_labeler_follows_the_summarizer_unless_told(monkeypatch):
    monkeypatch.delenv("ASKNEWS_TOPIC_LABELER", raising=False)
    monkeypatch.delenv("ASKNEWS_SUMMARIZER", raising=False)
    assert isinstance(build_resources(Settings.from_env(deployment="local"))["topic_labeler"], KeywordTopicLabeler)
    production = build_resources(Settings.from_env(deployment="production"))["topic_labeler"]
    assert isinstance(production, LLMTopicLabeler) and production.prompt_version == "topic-label-v1"

    monkeypatch.setenv("ASKNEWS_SUMMARIZER", "llm")
    assert isinstance(build_resources(Settings.from_env(deployment="local"))["topic_labeler"], LLMTopicLabeler)
    monkeypatch.setenv("ASKNEWS_TOPIC_LABELER", "keywords")
    assert isinstance(build_resources(Settings.from_env(deployment="local"))["topic_labeler"], KeywordTopicLabeler)
    monkeypatch.setenv("ASKNEWS_TOPIC_LABELER", "gpt")
    with pytest.raises(ValueError, match="ASKNEWS_TOPIC_LABELER"):
        build_resources(Settings.from_env(deployment="production"))
