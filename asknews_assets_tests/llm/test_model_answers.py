"""Model answers are bounded and checked: every answer ends accepted or failed with a reason, per
article, never a failed step (property tests of every parser, and the assets on the real path)."""

from __future__ import annotations

import json
from pathlib import Path

from dagster import materialize, serialize_value
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asknews_assets.annotation.prompt import (
    ANSWER_TOO_LARGE,
    INVALID_ENTITY,
    INVALID_JSON,
    MAX_ENTITIES,
    NO_ENTITY_LIST,
    TOO_DEEP,
    TOO_MANY_ENTITIES,
    entities_problem,
    parse_entities,
)
from asknews_assets.assets.annotation import annotated_articles
from asknews_assets.assets.summaries import article_summaries
from asknews_assets.llm import ChatEndpoint
from asknews_assets.partitions import ArticlePartition
from asknews_assets.resources.annotation import LLMAnnotator
from asknews_assets.resources.summaries import LLMSummarizer
from asknews_assets.summaries.prompt import clean_summary, summary_problem
from asknews_assets.topics.labeling import MAX_LABEL_CHARS, clean_topic_label, topic_label_problem
from asknews_assets_tests.support.data.strategies import answers, nested
from asknews_assets_tests.support.fakes import Answer, Error, FakeOpenAIServer, Raw, write_translated_articles
from asknews_assets_tests.support.fakes.upstream import seeded  # noqa: F401 (fixture)

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SUMMARY_REASONS = {"empty_answer", "refusal", "too_short", "too_long"}
ENTITY_REASONS = {INVALID_JSON, NO_ENTITY_LIST, INVALID_ENTITY, ANSWER_TOO_LARGE, TOO_DEEP, TOO_MANY_ENTITIES}
LABEL_REASONS = {"empty_answer", "refusal", "too_long"}


@PROPERTY
@given(answers, st.one_of(st.none(), st.integers(1, 300)))
def test_every_summary_answer_is_usable_or_has_a_reason(answer, max_words):
    problem = summary_problem(answer, max_words)
    assert problem is None or problem in SUMMARY_REASONS
    if problem is None:
        summary = clean_summary(answer)
        assert 5 <= len(summary.split()) <= 2 * (max_words or 500)


@PROPERTY
@given(answers)
def test_every_annotation_answer_is_usable_or_has_a_reason(answer):
    problem = entities_problem(answer)
    assert problem is None or problem in ENTITY_REASONS
    if problem is None:
        mentions = parse_entities(answer)
        assert len(mentions) <= MAX_ENTITIES and all(m.text and m.label for m in mentions)


@PROPERTY
@given(answers)
def test_every_topic_label_answer_is_usable_or_has_a_reason(answer):
    problem = topic_label_problem(answer)
    assert problem is None or problem in LABEL_REASONS
    if problem is None:
        assert 0 < len(clean_topic_label(answer)) <= MAX_LABEL_CHARS


def test_bounds_of_an_annotation_answer():
    assert entities_problem('{"entities": ' + nested(50_000) + "}") == TOO_DEEP  # used to raise RecursionError
    many = json.dumps({"entities": [{"text": f"E{i}", "type": "person"} for i in range(100_000)]})
    assert entities_problem(many) == ANSWER_TOO_LARGE
    assert entities_problem(json.dumps({"entities": [{"text": f"E{i}", "type": "person"} for i in range(MAX_ENTITIES + 1)]})) == TOO_MANY_ENTITIES
    assert entities_problem(json.dumps({"entities": [{"text": "x" * 1_000, "type": "person"}]})) == INVALID_ENTITY
    # Brackets inside strings do not count as nesting.
    assert entities_problem(json.dumps({"entities": [{"text": "[[[[[[[[[[[[ ok", "type": "person"}]})) is None


def _completion_body(content_json: str) -> str:
    return '{"choices": [{"message": {"role": "assistant", "content": ' + content_json + "}}]}"


MX_ES = ArticlePartition("MX", "es")


def test_runaway_and_unstorable_summaries_fail_per_article(warehouse, instance):
    """A megabyte answer, one far over the word budget and one with a lone surrogate each fail their
    article with a reason; the others are summarised and the step succeeds (nothing is cached for them)."""
    instance.add_dynamic_partitions("article_pairs", ["es-MX"])
    write_translated_articles(
        warehouse,
        MX_ES,
        {
            "ok": ("Floods", "Heavy rain flooded Monterrey on Monday. The governor declared an emergency."),
            "huge": ("Huge", "The huge article about the port."),
            "long": ("Long", "The long article about the bridge."),
            "surrogate": ("Bad", "The broken article about the market."),
        },
    )
    with FakeOpenAIServer() as server:
        server.script(Answer("Heavy rain flooded Monterrey and the governor declared an emergency."), when="Monterrey")
        server.script(*[Answer("port " * 300_000)] * 3, when="port")
        server.script(*[Answer("bridge " * 1_000)] * 3, when="bridge")
        server.script(*[Raw(_completion_body('"The market \\ud800 reopened after the storm on Monday."'))] * 3, when="market")
        endpoint = ChatEndpoint(base_url=server.base_url, model="fake", api_key_env="", max_retries=2, backoff_base_s=0.01)
        result = materialize(
            [article_summaries],
            partition_key="es-MX",
            resources={"summarizer": LLMSummarizer(endpoint=endpoint, warehouse=warehouse, max_words=100), "warehouse": warehouse},
            instance=instance,
        )
    assert result.success
    with warehouse.get_connection() as conn:
        failures = dict(conn.execute("SELECT article_id, reason FROM article_summary_failures").fetchall())
        summarised = conn.execute("SELECT article_id FROM article_summaries").fetchall()
        cached = conn.execute("SELECT count(*), max(length(answer)) FROM llm_cache").fetchone()
    assert failures == {"huge": "answer_too_large", "long": "too_long", "surrogate": "invalid_unicode"}
    assert summarised == [("ok",)]
    assert cached[0] == 1 and cached[1] < 1_000


def test_a_hostile_annotation_answer_fails_its_article_only(seeded, data_dir, instance):  # noqa: F811
    """Deep nesting used to raise RecursionError and fail annotation for every document; 100,000
    entities were processed in full. Now each fails its own article with the reason."""
    def responder(body):
        text = body["messages"][-1]["content"]
        if "story 3." in text:
            return Answer('{"entities": ' + nested(50_000) + "}")
        if "story 4." in text:
            return Answer(json.dumps({"entities": [{"text": "Paris", "type": "city"}] * (MAX_ENTITIES + 1)}))
        return Answer(json.dumps({"entities": [{"text": "Paris", "type": "city"}]}))

    with FakeOpenAIServer(responder=responder) as server:
        endpoint = ChatEndpoint(base_url=server.base_url, model="fake", api_key_env="", max_retries=1, backoff_base_s=0.01)
        result = materialize(
            [annotated_articles], resources={"annotator": LLMAnnotator(endpoint=endpoint, warehouse=seeded), "warehouse": seeded}, instance=instance
        )
    assert result.success
    with seeded.get_connection() as conn:
        failures = dict(conn.execute("SELECT article_id, reason FROM annotation_failures").fetchall())
        annotated = conn.execute("SELECT count(*) FROM annotated_articles").fetchone()[0]
    assert failures == {"art-003": TOO_DEEP, "art-004": TOO_MANY_ENTITIES, "art-041": "no_text"}
    assert annotated == 39


def test_an_endpoint_that_echoes_the_key_leaves_it_in_no_record(warehouse, instance, monkeypatch):
    """Class 8: a 404 whose body quotes the Authorization header fails the step with the key redacted,
    in the error, the event log database and the compute log files."""
    key = "sk-echoed-" + "9" * 24
    monkeypatch.setenv("FAKE_ECHO_KEY", key)
    instance.add_dynamic_partitions("article_pairs", ["es-MX"])
    write_translated_articles(warehouse, MX_ES, {"a": ("T", "Heavy rain flooded Monterrey on Monday, officials said.")})
    with FakeOpenAIServer() as server:
        server.script(Error(404, message="model not found", echo_authorization=True))
        endpoint = ChatEndpoint(base_url=server.base_url, model="fake", api_key_env="FAKE_ECHO_KEY", max_retries=0)
        result = materialize(
            [article_summaries],
            partition_key="es-MX",
            resources={"summarizer": LLMSummarizer(endpoint=endpoint, warehouse=warehouse), "warehouse": warehouse},
            instance=instance,
            raise_on_error=False,
        )
        assert server.log[0].headers["Authorization"] == f"Bearer {key}"
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert "Bearer [redacted]" in failure.step_failure_data.error.to_string()
    files = [path for path in Path(instance.root_directory).rglob("*") if path.is_file()]
    assert any(path.suffix == ".db" for path in files) and any(path.suffix in (".err", ".out") for path in files)
    for path in files:
        assert key.encode() not in path.read_bytes(), path
    for entry in instance.all_logs(result.run_id):
        assert key not in serialize_value(entry)
