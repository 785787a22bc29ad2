"""The warehouse cache of LLM answers: hits cost nothing, failures are retried, no lock held over HTTP."""

import pytest

from asknews_assets.llm import ChatClient, ChatRequest, LLMCache, LLMConfigurationError, complete_many_cached
from asknews_assets.warehouse.resource import Warehouse, WarehouseLockTimeout
from asknews_assets_tests.support.fakes import Answer, Error, FakeOpenAIServer, Raw


@pytest.fixture
def server():
    with FakeOpenAIServer() as running:
        yield running


def _client(server, **settings):
    return ChatClient(server.base_url, "fake-model", max_retries=1, backoff_base_s=0.01, timeout_s=5, **settings)


def _requests(n):
    return [ChatRequest(f"k{i}", [{"role": "user", "content": f"item {i}"}]) for i in range(n)]


def _cached(client, requests, warehouse, **options):
    return complete_many_cached(client, requests, cache=LLMCache(warehouse.get_connection), prompt_version="v1", **options)


def test_second_run_makes_no_calls(server, warehouse):
    with _client(server) as client:
        first = _cached(client, _requests(5), warehouse)
        assert server.calls == 5 and not any(c.cached for c in first)
        second = _cached(client, _requests(5), warehouse)
    assert server.calls == 5
    assert [c.text for c in second] == [c.text for c in first]
    assert all(c.cached and c.attempts == 0 for c in second)
    with warehouse.get_connection() as conn:
        assert conn.execute("SELECT count(*), min(model), min(prompt_version) FROM llm_cache").fetchone() == (5, "fake-model", "v1")


def test_cache_key_covers_model_prompt_version_and_sampling(server, warehouse):
    with _client(server) as client:
        _cached(client, _requests(2), warehouse)
        complete_many_cached(client, _requests(2), cache=LLMCache(warehouse.get_connection), prompt_version="v2")
    assert server.calls == 4
    with ChatClient(server.base_url, "fake-model", temperature=0.7) as warmer:
        _cached(warmer, _requests(2), warehouse)
    with ChatClient(server.base_url, "other-model") as other:
        _cached(other, _requests(2), warehouse)
    assert server.calls == 8


def test_failures_are_not_cached_and_are_asked_again(server, warehouse):
    server.script(Raw("broken"), Raw("broken"), when="item 1")
    with _client(server) as client:
        first = _cached(client, _requests(3), warehouse)
        assert [c.ok for c in first] == [True, False, True] and server.calls == 4
        second = _cached(client, _requests(3), warehouse)
    assert [c.ok for c in second] == [True, True, True]
    assert server.calls == 5  # only item 1 again
    assert [c.cached for c in second] == [True, False, True]


def test_a_cached_answer_the_validator_now_rejects_is_asked_again(server, warehouse):
    with _client(server) as client:
        _cached(client, _requests(2), warehouse)
        results = _cached(client, _requests(2), warehouse, validate=lambda text: "bad" if "item 1" in text else None)
    assert server.calls == 2 + 2  # item 1's cached answer is rejected, so it is asked again (and retried once)
    assert [c.cached for c in results] == [True, False] and results[1].failure == "bad"


def test_answers_are_saved_in_chunks_and_kept_when_the_batch_fails(server, warehouse):
    server.script(*[Error(401)] * 5, when="item 7")
    with _client(server, concurrency=1) as client, pytest.raises(LLMConfigurationError):
        _cached(client, _requests(10), warehouse, flush_every=3)
    with warehouse.get_connection() as conn:
        saved = conn.execute("SELECT count(*) FROM llm_cache").fetchone()[0]
    assert saved == 7  # items 0..6 were paid for before the error: none is lost


def test_no_warehouse_connection_is_held_while_waiting_on_the_endpoint(warehouse):
    """The server answers only after checking that another process could take the warehouse now."""
    impatient = Warehouse(database=warehouse.database, lock_timeout_seconds=0.5)
    lock_free = []

    def respond(body):
        try:
            with impatient.get_connection():
                lock_free.append(True)
        except WarehouseLockTimeout:
            lock_free.append(False)
        return Answer("fine", delay_s=0.05)

    with FakeOpenAIServer(responder=respond) as server, _client(server, concurrency=2) as client:
        results = _cached(client, _requests(6), warehouse, flush_every=2)
    assert all(c.ok for c in results)
    assert lock_free == [True] * 6
