"""A small client for OpenAI-compatible chat endpoints (vLLM, Ollama, llama.cpp server, OpenAI).

It adds what a batch pipeline needs on top of one HTTP call: retries with exponential backoff and
jitter on timeouts, connection errors, 429 and 5xx (honouring Retry-After), a bounded thread pool,
and a `validate` callback that decides whether an answer is usable. An answer that stays unusable
after the retries comes back as a failed `Completion` with a reason, never as text. Configuration
mistakes (refused credentials, unknown URL or model) raise `LLMConfigurationError` at once, since
retrying or recording them per request would only hide them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from asknews_assets.redaction import redact_secrets

logger = logging.getLogger(__name__)

Message = Mapping[str, str]
# Returns why an answer is unusable ("too short", ...), or None when it can be used.
Validator = Callable[[str], "str | None"]

# Failure reasons recorded by the client itself; validators add their own.
TIMEOUT = "timeout"
CONNECTION_ERROR = "connection_error"
MALFORMED_RESPONSE = "malformed_response"
EMPTY_ANSWER = "empty_answer"
ANSWER_TOO_LARGE = "answer_too_large"
INVALID_UNICODE = "invalid_unicode"

# The largest response body read: a chat answer to any of the project's prompts is a few KiB.
MAX_RESPONSE_BYTES = 1 << 20

# A server asking for a longer pause than this is treated as down rather than waited on.
MAX_RETRY_AFTER_S = 300.0
_RETRYABLE_STATUS = {408, 409, 429}


class LLMConfigurationError(RuntimeError):
    """The endpoint refuses every request (credentials, URL or model): fix the settings, not the data."""


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion to produce; `key` is the caller's id for it (an article id, say)."""

    key: str
    messages: Sequence[Message]


@dataclass(frozen=True)
class Completion:
    """What became of a request: the answer text, or the reason it failed after `attempts` calls."""

    key: str
    text: str | None
    failure: str | None
    attempts: int
    input_hash: str
    cached: bool = False

    @property
    def ok(self) -> bool:
        return self.failure is None


@dataclass(frozen=True)
class _Attempt:
    text: str | None = None
    failure: str | None = None
    retryable: bool = False
    retry_after_s: float | None = None


def request_hash(messages: Sequence[Message], temperature: float, max_tokens: int) -> str:
    """Identity of a request's input for caching: the messages and the sampling settings."""
    canonical = json.dumps(
        {"messages": [dict(m) for m in messages], "temperature": temperature, "max_tokens": max_tokens},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date; None if absent or bad."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


class ChatClient:
    """Chat completions against `<base_url>/chat/completions` (base_url ends in /v1, as OpenAI's does).

    Thread-safe; one instance is meant to serve a whole batch. Use it as a context manager (or call
    `close`) to release its connection pool.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        *,
        temperature: float = 0.0,
        max_tokens: int = 512,
        timeout_s: float = 120.0,
        max_retries: int = 4,
        concurrency: int = 4,
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 30.0,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        if concurrency < 1 or max_retries < 0:
            raise ValueError("concurrency must be >= 1 and max_retries >= 0")
        self.model = model
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.max_retries = max_retries
        self.concurrency = concurrency
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.max_response_bytes = max_response_bytes
        self._api_key = api_key
        self._url = base_url.rstrip("/") + "/chat/completions"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
        self._random = random.Random()
        self._random_lock = threading.Lock()

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def input_hash(self, messages: Sequence[Message]) -> str:
        return request_hash(messages, self.temperature, self.max_tokens)

    def complete(self, messages: Sequence[Message], validate: Validator | None = None, key: str = "") -> Completion:
        """One completion, retried until usable or out of retries."""
        input_hash = self.input_hash(messages)
        attempts = 0
        while True:
            attempts += 1
            attempt = self._attempt(messages, validate)
            if attempt.failure is None:
                return Completion(key, attempt.text, None, attempts, input_hash)
            if not attempt.retryable or attempts > self.max_retries:
                return Completion(key, None, attempt.failure, attempts, input_hash)
            delay = self._backoff(attempts, attempt.retry_after_s)
            logger.info("retrying %r after %s (attempt %d) in %.2fs", key, attempt.failure, attempts, delay)
            time.sleep(delay)

    def iter_complete(self, requests: Iterable[ChatRequest], validate: Validator | None = None) -> Iterator[Completion]:
        """Completions of many requests, at most `concurrency` in flight, yielded as they finish.

        A configuration error cancels what has not started yet and is raised.
        """
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="llm") as pool:
            futures = [pool.submit(self.complete, r.messages, validate, r.key) for r in requests]
            try:
                for future in as_completed(futures):
                    yield future.result()
            finally:
                for future in futures:
                    future.cancel()

    def complete_many(self, requests: Sequence[ChatRequest], validate: Validator | None = None) -> list[Completion]:
        """Completions of many requests (with distinct keys), in the order of the requests."""
        if len({r.key for r in requests}) != len(requests):
            raise ValueError("request keys must be distinct")
        by_key = {c.key: c for c in self.iter_complete(requests, validate)}
        return [by_key[r.key] for r in requests]

    def _backoff(self, attempts: int, retry_after_s: float | None) -> float:
        """Exponential backoff with "equal jitter", never shorter than what the server asked for."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempts - 1))
        with self._random_lock:
            delay = ceiling / 2 + self._random.uniform(0, ceiling / 2)
        return max(delay, retry_after_s or 0.0)

    def _attempt(self, messages: Sequence[Message], validate: Validator | None) -> _Attempt:
        payload = {
            "model": self.model,
            "messages": [dict(m) for m in messages],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "stream": False,
        }
        try:
            with self._http.stream("POST", self._url, json=payload) as response:
                status, headers = response.status_code, response.headers
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > self.max_response_bytes:
                        # Not read further, and not retried: the same request gets the same answer.
                        return _Attempt(failure=ANSWER_TOO_LARGE)
        except httpx.TimeoutException:
            return _Attempt(failure=TIMEOUT, retryable=True)
        except httpx.TransportError:
            return _Attempt(failure=CONNECTION_ERROR, retryable=True)

        if status in (401, 403):
            raise LLMConfigurationError(
                f"{self._url} refused the credentials (HTTP {status}): check the API key environment variable"
            )
        if status == 404:
            # Servers echo requests in error bodies, some with the Authorization header: redacted.
            echoed = redact_secrets(bytes(body[:200]).decode("utf-8", errors="replace"), [self._api_key])
            raise LLMConfigurationError(
                f"{self._url} answered 404 for model {self.model!r}: check the base URL (it ends in /v1) and the model"
                f" name ({echoed!r})"
            )
        if status >= 500 or status in _RETRYABLE_STATUS:
            retry_after = parse_retry_after(headers.get("retry-after"))
            return _Attempt(failure=f"http_{status}", retryable=True, retry_after_s=retry_after)
        if status >= 400:
            # The request itself is wrong for this server (too long a context, say): retrying cannot help.
            return _Attempt(failure=f"http_{status}")

        text = _answer_text(bytes(body))
        if text is None:
            return _Attempt(failure=MALFORMED_RESPONSE, retryable=True)
        if not text.strip():
            return _Attempt(failure=EMPTY_ANSWER, retryable=True)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from a JSON escape: no store could hold the answer
            return _Attempt(failure=INVALID_UNICODE)
        problem = validate(text) if validate else None
        if problem:
            return _Attempt(failure=problem, retryable=True)
        return _Attempt(text=text)


def _answer_text(raw: bytes) -> str | None:
    """The first choice's message content; None when the body is not a chat completion."""
    try:
        body: Any = json.loads(raw)
        content = body["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError, RecursionError):
        return None
    if content is None:
        return ""
    return content if isinstance(content, str) else None
