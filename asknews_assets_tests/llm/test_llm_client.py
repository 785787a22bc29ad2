"""The chat client against the scripted fake server: retries, backoff, timeouts, validation, concurrency."""

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from asknews_assets.llm import ChatClient, ChatRequest, LLMConfigurationError
from asknews_assets.llm.client import parse_retry_after
from asknews_assets_tests.support.fakes import Answer, Error, FakeOpenAIServer, Raw

HELLO = [{"role": "user", "content": "hello"}]


@pytest.fixture
def server():
    with FakeOpenAIServer() as running:
        yield running


def _client(server, **settings):
    options = {"max_retries": 2, "backoff_base_s": 0.01, "backoff_max_s": 0.05, "timeout_s": 5.0, **settings}
    return ChatClient(server.base_url, "fake-model", **options)


def test_answer_and_request_as_sent(server):
    server.script(Answer("A scripted answer."))
    with _client(server, temperature=0.3, max_tokens=77) as client:
        result = client.complete(HELLO + [{"role": "user", "content": "the article"}], key="a1")
    assert (result.key, result.text, result.failure, result.attempts, result.cached) == ("a1", "A scripted answer.", None, 1, False)
    (call,) = server.log
    assert call.body["model"] == "fake-model" and call.body["temperature"] == 0.3 and call.body["max_tokens"] == 77
    assert call.user_text == "the article"
    assert "authorization" not in {name.lower() for name in call.headers}


def test_api_key_is_sent_as_bearer_token(server):
    with ChatClient(server.base_url, "fake-model", "sk-test-123") as client:
        assert client.complete(HELLO).ok
    assert server.log[0].headers["Authorization"] == "Bearer sk-test-123"


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retryable_status_then_success(server, status):
    server.script(Error(status), Answer("ok now"))
    with _client(server) as client:
        result = client.complete(HELLO)
    assert (result.text, result.attempts, server.calls) == ("ok now", 2, 2)


def test_retry_after_is_honoured(server):
    server.script(Error(429, retry_after="0.4"), Answer("ok"))
    with _client(server) as client:
        assert client.complete(HELLO).ok
    first, second = server.log
    assert second.started - first.started >= 0.4  # the backoff alone would be at most 0.01 s


def test_retry_after_forms():
    now = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert parse_retry_after("99999") == 300.0  # capped


def test_slow_answer_beyond_timeout_is_retried(server):
    server.script(Answer("too late", delay_s=2.0), Answer("in time"))
    with _client(server, timeout_s=0.3) as client:
        result = client.complete(HELLO)
    assert (result.text, result.attempts) == ("in time", 2)


def test_exhausted_retries_give_the_last_reason(server):
    server.script(*[Error(500)] * 3)
    with _client(server, max_retries=2) as client:
        result = client.complete(HELLO)
    assert (result.ok, result.text, result.failure, result.attempts, server.calls) == (False, None, "http_500", 3, 3)


@pytest.mark.parametrize(
    "bad, reason",
    [(Raw("{not json"), "malformed_response"), (Raw('{"choices": []}'), "malformed_response"), (Answer("  \n"), "empty_answer")],
)
def test_malformed_or_empty_answers_are_retried_then_failed(server, bad, reason):
    server.script(bad, bad, bad)
    with _client(server, max_retries=2) as client:
        result = client.complete(HELLO)
    assert (result.text, result.failure, result.attempts) == (None, reason, 3)


def test_malformed_answer_then_success(server):
    server.script(Raw("<html>gateway</html>"), Answer("recovered"))
    with _client(server) as client:
        assert client.complete(HELLO).text == "recovered"


def test_validator_rejections_are_retried(server):
    server.script(Answer("I cannot help"), Answer("A usable answer"))
    with _client(server) as client:
        result = client.complete(HELLO, validate=lambda text: "refusal" if text.startswith("I cannot") else None)
    assert (result.text, result.attempts) == ("A usable answer", 2)

    server.script(*[Answer("I cannot help")] * 3)
    with _client(server) as client:
        result = client.complete(HELLO, validate=lambda text: "refusal" if text.startswith("I cannot") else None)
    assert (result.failure, result.attempts) == ("refusal", 3)


def test_client_errors_are_not_retried(server):
    server.script(Error(400, message="context length exceeded"))
    with _client(server) as client:
        result = client.complete(HELLO)
    assert (result.failure, result.attempts, server.calls) == ("http_400", 1, 1)


@pytest.mark.parametrize("status, hint", [(401, "API key"), (403, "API key"), (404, "base URL")])
def test_configuration_errors_raise(server, status, hint):
    server.script(*[Error(status)] * 5)
    with _client(server) as client, pytest.raises(LLMConfigurationError, match=hint):
        client.complete(HELLO)
    assert server.calls == 1


def test_connection_refused_is_a_failure_not_a_hang():
    with FakeOpenAIServer() as gone:
        base_url = gone.base_url
    with ChatClient(base_url, "m", max_retries=1, backoff_base_s=0.01, timeout_s=2) as client:
        result = client.complete(HELLO)
    assert (result.failure, result.attempts) == ("connection_error", 2)


def test_complete_many_keeps_order_and_respects_the_concurrency_limit():
    with FakeOpenAIServer(responder=lambda body: Answer("re: " + body["messages"][-1]["content"], delay_s=0.15)) as server:
        requests = [ChatRequest(f"k{i}", [{"role": "user", "content": f"item {i}"}]) for i in range(12)]
        with _client(server, concurrency=3) as client:
            results = client.complete_many(requests)
    assert [r.key for r in results] == [f"k{i}" for i in range(12)]
    assert [r.text for r in results] == [f"re: item {i}" for i in range(12)]
    assert server.max_in_flight == 3  # parallel, and never more than the limit


def test_complete_many_mixes_failures_and_answers(server):
    server.script(*[Raw("nope")] * 3, when="item 1")
    requests = [ChatRequest(str(i), [{"role": "user", "content": f"item {i}"}]) for i in range(3)]
    with _client(server) as client:
        results = client.complete_many(requests)
    assert [(r.key, r.ok) for r in results] == [("0", True), ("1", False), ("2", True)]
    assert results[1].failure == "malformed_response" and len(server.calls_mentioning("item 1")) == 3


def test_complete_many_raises_configuration_errors(server):
    server.script(*[Error(401)] * 10)
    requests = [ChatRequest(str(i), HELLO) for i in range(5)]
    with _client(server, concurrency=1) as client, pytest.raises(LLMConfigurationError):
        client.complete_many(requests)
    assert server.calls < 5  # what had not started is cancelled
