"""A local OpenAI-compatible chat server that fails a set share of calls, deterministically by seed.

Failures are the ones a real endpoint produces under load, in equal shares by default:
- timeout: the answer comes later than the client's timeout (`timeout_delay_s`);
- http_429: "too many requests", with a Retry-After header;
- http_500: a server error;
- malformed_response: HTTP 200 with a body that is not JSON;
- empty_answer: a chat completion whose answer is empty.
Every other call gets a plausible summary: the first sentences of the article in the prompt.

Whether a call fails, and how, depends only on the seed, the prompt and how many times this prompt
was seen before, so a run's faults repeat exactly whatever the threads' timing, and a retry of a
failed prompt draws again (it is not doomed to fail for ever). Counters say how many calls were made
and how each was answered.

    python -m asknews_assets_tests.support.fakes.fault_server --failure-rate 0.1 --seed 7 --timeout-delay 3
    # prints its base URL (a free port on 127.0.0.1); then run Dagster with ASKNEWS_SUMMARIZER=llm
    # ASKNEWS_LLM_BASE_URL=<that URL> ASKNEWS_LLM_MODEL=fault-model ASKNEWS_LLM_API_KEY_ENV= ASKNEWS_LLM_TIMEOUT_S=2

The HTTP side is the scripted fake of openai_server.py beside it; this module only decides the answers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from asknews_assets.llm.client import EMPTY_ANSWER, MALFORMED_RESPONSE, TIMEOUT
from asknews_assets_tests.support.fakes.openai_server import (
    Answer,
    Error,
    FakeOpenAIServer,
    Raw,
    Step,
    last_user_message,
)

# Named as the client names the failure it sees, so server counts and recorded failures line up.
HTTP_429, HTTP_500 = "http_429", "http_500"
FAULT_KINDS: tuple[str, ...] = (TIMEOUT, HTTP_429, HTTP_500, MALFORMED_RESPONSE, EMPTY_ANSWER)
ANSWERED = "answered"
SUMMARY_WORDS = 45
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def plausible_summary(prompt: str) -> str:
    """The first sentences of the article quoted in a summary prompt, within SUMMARY_WORDS words."""
    article = prompt.split("Article:", 1)[-1].strip()
    summary: list[str] = []
    for sentence in _SENTENCE_END.split(article):
        if summary and len(" ".join(summary + [sentence]).split()) > SUMMARY_WORDS:
            break
        summary.append(sentence)
    words = " ".join(summary).split()[:SUMMARY_WORDS]
    return " ".join(words) if len(words) >= 5 else "The article reports news that the prompt did not quote."


class FaultInjector:
    """Decides each call's answer (a responder for FakeOpenAIServer) and counts the outcomes."""

    def __init__(
        self,
        failure_rate: float = 0.1,
        seed: int = 0,
        timeout_delay_s: float = 3.0,
        retry_after_s: float = 0.5,
        kinds: Sequence[str] = FAULT_KINDS,
    ) -> None:
        if not 0 <= failure_rate <= 1:
            raise ValueError("failure_rate must be in [0, 1]")
        if unknown := set(kinds) - set(FAULT_KINDS):
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        self.failure_rate = failure_rate
        self.seed = seed
        self.timeout_delay_s = timeout_delay_s
        self.retry_after_s = retry_after_s
        self.kinds = tuple(kinds)
        self._lock = threading.Lock()
        self._seen: Counter[str] = Counter()  # prompt digest -> calls so far
        self.outcomes: Counter[str] = Counter()  # outcome -> calls
        self.prompts: set[str] = set()  # digests of the prompts called since the last reset

    def __call__(self, body: Any) -> Step:
        prompt = last_user_message(body)
        digest = prompt_digest(prompt)
        with self._lock:
            self._seen[digest] += 1
            attempt = self._seen[digest]
        draw = hashlib.sha256(f"{self.seed}:{attempt}:{digest}".encode()).digest()
        fails = int.from_bytes(draw[:8], "big") / 2**64 < self.failure_rate
        outcome = self.kinds[draw[8] % len(self.kinds)] if fails and self.kinds else ANSWERED
        with self._lock:
            self.outcomes[outcome] += 1
            self.prompts.add(digest)
        return self._step(outcome, prompt)

    def _step(self, outcome: str, prompt: str) -> Step:
        if outcome == TIMEOUT:
            return Answer(plausible_summary(prompt), delay_s=self.timeout_delay_s)
        if outcome == HTTP_429:
            return Error(429, retry_after=f"{self.retry_after_s:g}", message="rate limited")
        if outcome == HTTP_500:
            return Error(500, message="internal error")
        if outcome == MALFORMED_RESPONSE:
            return Raw('{"choices": [{"message": {"content": "cut sho')
        if outcome == EMPTY_ANSWER:
            return Answer("")
        return Answer(plausible_summary(prompt))

    @property
    def calls(self) -> int:
        with self._lock:
            return sum(self.outcomes.values())

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.outcomes)

    def reset(self) -> tuple[Counter[str], set[str]]:
        """The outcomes and prompt digests since the last reset, and zeroed counters for what follows.

        Attempt numbers are kept, so that a prompt retried later draws a fresh outcome.
        """
        with self._lock:
            outcomes, prompts = self.outcomes, self.prompts
            self.outcomes, self.prompts = Counter(), set()
        return outcomes, prompts


def prompt_digest(prompt: str) -> str:
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()


def fault_server(injector: FaultInjector, model: str = "fault-model") -> FakeOpenAIServer:
    """An unstarted server on 127.0.0.1 answering with `injector` (use it as a context manager)."""
    return FakeOpenAIServer(responder=injector, model=model)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--failure-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout-delay", type=float, default=3.0, help="seconds before a 'timeout' call answers")
    parser.add_argument("--retry-after", type=float, default=0.5, help="Retry-After of 429 answers, seconds")
    parser.add_argument("--kinds", default=",".join(FAULT_KINDS), help=f"comma-separated subset of {FAULT_KINDS}")
    args = parser.parse_args(argv)
    injector = FaultInjector(args.failure_rate, args.seed, args.timeout_delay, args.retry_after, args.kinds.split(","))
    with fault_server(injector) as server:
        print(f"fault server on {server.base_url} (model fault-model), failing {args.failure_rate:.0%}", flush=True)
        try:
            while True:
                time.sleep(10)
                print(json.dumps(injector.snapshot()), flush=True)
        except KeyboardInterrupt:
            pass
    print(json.dumps({"calls": injector.calls, **injector.snapshot()}))


if __name__ == "__main__":
    main()
