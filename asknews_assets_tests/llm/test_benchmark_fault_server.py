"""The soak's fault server: deterministic by seed, the configured share of failures, every kind seen by
the client as its failure reason."""

from collections import Counter

from asknews_assets.llm import ChatClient, ChatRequest
from asknews_assets_tests.support.fakes.fault_server import ANSWERED, FAULT_KINDS, FaultInjector, fault_server


def _body(text):
    return {"messages": [{"role": "user", "content": f"Title: t\n\nArticle:\n{text} It rained. Roads closed. Schools shut early."}]}


def test_outcomes_repeat_for_a_seed_and_retries_draw_again():
    bodies = [_body(f"Story {i}.") for i in range(2000)]
    first, second = FaultInjector(0.1, seed=3), FaultInjector(0.1, seed=3)
    outcomes = [type(first(b)).__name__ for b in bodies]
    assert outcomes == [type(second(b)).__name__ for b in bodies]
    counts, _ = first.reset()
    assert 150 <= sum(counts.values()) - counts[ANSWERED] <= 250
    assert set(counts) == {ANSWERED, *FAULT_KINDS}
    assert [type(first(b)).__name__ for b in bodies] != outcomes  # a retry draws again


def test_the_client_sees_each_fault_as_its_failure_reason():
    injector = FaultInjector(1.0, seed=0, timeout_delay_s=1.0, retry_after_s=0.0)
    with fault_server(injector) as server, ChatClient(
        server.base_url, "fault-model", timeout_s=0.3, max_retries=0, concurrency=8
    ) as client:
        completions = client.complete_many([ChatRequest(str(i), _body(f"Story {i}.")["messages"]) for i in range(60)])
    outcomes, _ = injector.reset()
    assert Counter(c.failure for c in completions) == outcomes and sum(outcomes.values()) == 60
