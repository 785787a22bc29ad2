"""article_summaries materialised with Dagster, LLM backend against the fake server, and extractive."""

import pytest
from dagster import materialize

from asknews_assets.assets.summaries import article_summaries
from asknews_assets.checks.summaries import (
    article_summaries_accounted,
    article_summaries_not_empty,
    summaries_accounted,
    summaries_not_empty,
)
from asknews_assets.llm import ChatEndpoint
from asknews_assets.partitions import ArticlePartition
from asknews_assets.resources.summaries import ExtractiveSummarizer, LLMSummarizer
from asknews_assets.resources import build_resources
from asknews_assets.settings import Settings
from asknews_assets_tests.support.fakes import Answer, Error, FakeOpenAIServer, Raw, write_translated_articles

MX_ES = ArticlePartition("MX", "es")
SECRET = "sk-do-not-leak-123"
ARTICLES = {
    "a1": ("Floods in Monterrey", "Heavy rain flooded Monterrey on Monday. The governor Samuel García declared an emergency."),
    "a2": ("Pemex results", "Pemex reported a loss of 2 billion dollars. Its director Octavio Romero spoke in Mexico City."),
    "a3": ("Election debate", "Claudia Sheinbaum and Xóchitl Gálvez met in a televised debate. They discussed security."),
}


@pytest.fixture
def server():
    with FakeOpenAIServer() as running:
        yield running


@pytest.fixture
def partitions(instance):
    instance.add_dynamic_partitions("article_pairs", ["es-MX", "es-AR"])
    return instance


def _llm(server, warehouse, **settings):
    endpoint = ChatEndpoint(
        base_url=server.base_url, model="fake-model", api_key_env="FAKE_LLM_KEY", max_retries=2, backoff_base_s=0.01, timeout_s=2
    )
    return LLMSummarizer(endpoint=endpoint, warehouse=warehouse, **settings)


def _materialize(summarizer, warehouse, instance, key="es-MX"):
    return materialize(
        [article_summaries, article_summaries_accounted, article_summaries_not_empty],
        partition_key=key,
        resources={"summarizer": summarizer, "warehouse": warehouse},
        instance=instance,
    )


def _metadata(result):
    (materialization,) = result.asset_materializations_for_node("article_summaries")
    return {k: v.value for k, v in materialization.metadata.items()}


def _rows(warehouse, sql):
    with warehouse.get_connection() as conn:
        return conn.execute(sql).fetchall()


def _checks(result):
    return {e.asset_check_key.name: e.passed for e in result.get_asset_check_evaluations()}


def test_llm_summaries_with_retries_and_failures(server, warehouse, partitions, monkeypatch):
    monkeypatch.setenv("FAKE_LLM_KEY", SECRET)
    write_translated_articles(warehouse, MX_ES, {**ARTICLES, "a4": ("No body", "")})
    server.script(Error(429, retry_after="0"), when="Pemex")
    server.script(Raw("{broken"), Answer(""), Raw('{"choices": []}'), when="Sheinbaum")
    server.script(Answer("Summary: Heavy rain flooded Monterrey and governor Samuel García declared an emergency."), when="Monterrey")

    result = _materialize(_llm(server, warehouse), warehouse, partitions)
    assert result.success
    assert _rows(warehouse, "SELECT article_id, summary, summary_backend, summary_model, prompt_version FROM article_summaries ORDER BY 1") == [
        ("a1", "Heavy rain flooded Monterrey and governor Samuel García declared an emergency.", "llm", "fake-model", "summary-v1"),
        ("a2", "Answer about " + " ".join(server.calls_mentioning("Pemex")[-1].user_text.split()[:12]), "llm", "fake-model", "summary-v1"),
    ]
    assert _rows(warehouse, "SELECT article_id, reason, attempts FROM article_summary_failures ORDER BY 1") == [
        ("a3", "malformed_response", 3),
        ("a4", "no_text", 0),
    ]
    metadata = _metadata(result)
    assert (metadata["dagster/row_count"], metadata["summarised"], metadata["failures"]) == (2, 2, 2)
    assert (metadata["cache_hits"], metadata["new_calls"], server.calls) == (0, 6, 6)  # a1 1 + a2 2 + a3 3
    assert "malformed_response" in metadata["failures_by_reason"] and "no_text" in metadata["failures_by_reason"]
    assert (metadata["backend"], metadata["model"]) == ("llm", "fake-model")
    preview = " ".join(f"{r.data['title']} {r.data['summary']}" for r in metadata["preview"].records)
    assert "Samuel García" in preview and "Floods in Monterrey" in preview
    assert _checks(result) == {"article_summaries_accounted": True, "article_summaries_not_empty": True}
    # The key reaches the server, never the metadata or the logs.
    assert server.log[0].headers["Authorization"] == f"Bearer {SECRET}"
    assert not any(SECRET in str(value) for value in metadata.values())
    assert not any(SECRET in str(event) for event in partitions.all_logs(result.run_id))

    # Re-running asks again only for the failure (a3), which now succeeds.
    second = _materialize(_llm(server, warehouse), warehouse, partitions)
    assert server.calls == 7 and _metadata(second)["cache_hits"] == 2
    assert _rows(warehouse, "SELECT article_id FROM article_summary_failures") == [("a4",)]


def test_second_materialisation_makes_no_new_calls(server, warehouse, partitions, monkeypatch):
    monkeypatch.setenv("FAKE_LLM_KEY", SECRET)
    write_translated_articles(warehouse, MX_ES, ARTICLES)
    first = _materialize(_llm(server, warehouse), warehouse, partitions)
    assert server.calls == 3 and _metadata(first)["new_calls"] == 3
    stored = _rows(warehouse, "SELECT * FROM article_summaries ORDER BY article_id")

    second = _materialize(_llm(server, warehouse), warehouse, partitions)
    assert server.calls == 3
    assert (_metadata(second)["cache_hits"], _metadata(second)["new_calls"]) == (3, 0)
    assert _rows(warehouse, "SELECT * FROM article_summaries ORDER BY article_id") == stored  # replaced, not duplicated


def test_concurrency_limit_holds_in_the_asset(warehouse, partitions, monkeypatch):
    monkeypatch.setenv("FAKE_LLM_KEY", SECRET)
    articles = {f"n{i}": (f"Title {i}", f"Story number {i} about the port of Veracruz and its workers.") for i in range(8)}
    write_translated_articles(warehouse, MX_ES, articles)
    slow = FakeOpenAIServer(responder=lambda body: Answer("The port of Veracruz and its workers were in the news.", delay_s=0.1))
    with slow:
        summarizer = _llm(slow, warehouse)
        summarizer = LLMSummarizer(endpoint=summarizer.endpoint.model_copy(update={"concurrency": 2}), warehouse=warehouse)
        assert _materialize(summarizer, warehouse, partitions).success
    assert slow.calls == 8 and slow.max_in_flight == 2


def test_missing_api_key_is_a_clear_error(server, warehouse, partitions, monkeypatch):
    monkeypatch.delenv("FAKE_LLM_KEY", raising=False)
    write_translated_articles(warehouse, MX_ES, ARTICLES)
    with pytest.raises(Exception, match="FAKE_LLM_KEY"):
        _materialize(_llm(server, warehouse), warehouse, partitions)
    assert server.calls == 0


def test_extractive_summaries_per_partition(warehouse, partitions):
    write_translated_articles(warehouse, MX_ES, ARTICLES)
    write_translated_articles(warehouse, ArticlePartition("AR", "es"), {"b1": ("Inflación", "Prices rose 8 percent in Buenos Aires in March.")})
    assert _materialize(ExtractiveSummarizer(max_words=12), warehouse, partitions, "es-AR").success
    result = _materialize(ExtractiveSummarizer(max_words=12), warehouse, partitions)
    assert result.success
    rows = _rows(warehouse, "SELECT country, article_id, summary, summary_backend FROM article_summaries ORDER BY 2")
    assert [r[:2] for r in rows] == [("MX", "a1"), ("MX", "a2"), ("MX", "a3"), ("AR", "b1")]
    assert rows[0][2] == "Heavy rain flooded Monterrey on Monday."
    assert all(len(r[2].split()) <= 12 and r[3] == "extractive" for r in rows)
    metadata = _metadata(result)
    assert (metadata["summarised"], metadata["new_calls"], metadata["failures"]) == (3, 0, 0)
    assert metadata["model"] == "extractive(max_words=12)" and metadata["average_words"] > 3
    assert _checks(result) == {"article_summaries_accounted": True, "article_summaries_not_empty": True}


def test_checks_catch_empty_and_unaccounted_summaries(warehouse, partitions):
    write_translated_articles(warehouse, MX_ES, ARTICLES)
    assert _materialize(ExtractiveSummarizer(), warehouse, partitions).success
    with warehouse.get_connection() as conn:
        conn.execute("UPDATE article_summaries SET summary = ' ' WHERE article_id = 'a1'")
        conn.execute("DELETE FROM article_summaries WHERE article_id = 'a2'")
        conn.execute("INSERT INTO article_summary_failures VALUES ('MX', 'es', 'a3', 'x', 1)")
    accounted = summaries_accounted(warehouse, MX_ES)
    not_empty = summaries_not_empty(warehouse, MX_ES)
    assert not accounted.passed and not not_empty.passed
    assert not_empty.metadata["empty_summaries"].value == 1
    assert (accounted.metadata["unaccounted"].value, accounted.metadata["duplicated"].value) == (1, 1)


def test_a_missing_upstream_table_fails_clearly(warehouse, partitions):
    with pytest.raises(Exception, match="materialise translated_articles first"):
        _materialize(ExtractiveSummarizer(), warehouse, partitions)


def test_deployments_bind_the_expected_backends(monkeypatch):
    assert isinstance(build_resources(Settings.from_env(deployment="local"))["summarizer"], ExtractiveSummarizer)
    monkeypatch.setenv("ASKNEWS_LLM_API_KEY_ENV", "MY_KEY")
    monkeypatch.setenv("ASKNEWS_LLM_CONCURRENCY", "9")
    production = build_resources(Settings.from_env(deployment="production"))["summarizer"]
    assert isinstance(production, LLMSummarizer)
    assert (production.endpoint.api_key_env, production.endpoint.concurrency) == ("MY_KEY", 9)


def test_asknews_summarizer_overrides_the_deployment(monkeypatch):
    monkeypatch.setenv("ASKNEWS_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("ASKNEWS_LLM_MODEL", "test-model")
    monkeypatch.setenv("ASKNEWS_SUMMARIZER", "llm")
    assert isinstance(build_resources(Settings.from_env(deployment="local"))["summarizer"], LLMSummarizer)
    monkeypatch.setenv("ASKNEWS_SUMMARIZER", "extractive")
    assert isinstance(build_resources(Settings.from_env(deployment="production"))["summarizer"], ExtractiveSummarizer)
    monkeypatch.setenv("ASKNEWS_SUMMARIZER", "gpt")
    with pytest.raises(ValueError, match="ASKNEWS_SUMMARIZER"):
        build_resources(Settings.from_env(deployment="local"))


def test_checks_name_the_tables_not_written_yet(warehouse):
    write_translated_articles(warehouse, MX_ES, ARTICLES)
    accounted = summaries_accounted(warehouse, MX_ES)
    assert not accounted.passed
    assert accounted.metadata["error"].value == "missing tables: article_summaries, article_summary_failures, article_summary_stats"
    not_empty = summaries_not_empty(warehouse, MX_ES)
    assert not not_empty.passed and not_empty.metadata["error"].value == "missing tables: article_summaries"
