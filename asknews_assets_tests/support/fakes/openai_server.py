"""A scripted OpenAI-compatible chat server on 127.0.0.1, for testing anything that calls an LLM.

    with FakeOpenAIServer() as server:
        server.script(Error(429, retry_after="0.2"), Answer("fine"))      # the next two requests
        server.script(Raw("{not json"), when="article 7")                  # requests mentioning "article 7"
        client = ChatClient(server.base_url, "fake-model")
        ...
        assert server.calls == 3 and server.max_in_flight <= 4

A request is answered by the first scripted step whose `when` text occurs in its last user message
(steps without `when` match any request), each step used once, in order; unscripted requests go to
`responder(request_body)`, by default an answer that quotes the start of the last user message.
Every request is logged (`log`), with counters for calls and for the most requests in flight.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Answer:
    """A chat completion with this text (empty text gives an empty answer), sent after `delay_s`."""

    text: str
    delay_s: float = 0.0
    finish_reason: str = "stop"


@dataclass(frozen=True)
class Error:
    """An HTTP error status, with an optional Retry-After header."""

    status: int
    retry_after: str | None = None
    message: str = "scripted error"
    delay_s: float = 0.0
    echo_authorization: bool = False  # quote the request's Authorization header, as some servers do


@dataclass(frozen=True)
class Raw:
    """A body sent as is (malformed JSON, a body without choices, ...)."""

    body: str
    status: int = 200
    delay_s: float = 0.0


Step = Answer | Error | Raw


@dataclass
class Call:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    body: Any
    step: Step | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    @property
    def user_text(self) -> str:
        return last_user_message(self.body)


def last_user_message(body: Any) -> str:
    try:
        users = [m.get("content") or "" for m in body["messages"] if m.get("role") == "user"]
    except (TypeError, KeyError, AttributeError):
        return ""
    return users[-1] if users else ""


def quoting_responder(body: Any) -> Step:
    """The default answer: the first twelve words of the last user message, so answers differ per request."""
    words = last_user_message(body).split()
    return Answer("Answer about " + " ".join(words[:12]))


class FakeOpenAIServer:
    """Serves POST /v1/chat/completions and GET /v1/models until `stop` (or the end of a `with`)."""

    def __init__(self, responder: Callable[[Any], Step] = quoting_responder, model: str = "fake-model") -> None:
        self.responder = responder
        self.model = model
        self.log: list[Call] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._scripted: list[tuple[str | None, Step]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        # A short poll interval keeps `stop` fast (shutdown waits for the serving loop's next poll).
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-openai", daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def calls(self) -> int:
        """Chat completion requests received so far."""
        with self._lock:
            return len(self.log)

    def calls_mentioning(self, text: str) -> list[Call]:
        with self._lock:
            return [call for call in self.log if text in call.user_text]

    def script(self, *steps: Step, when: str | None = None) -> None:
        """Queue steps for the next requests (whose last user message contains `when`, if given)."""
        with self._lock:
            self._scripted.extend((when, step) for step in steps)

    @property
    def unused_steps(self) -> int:
        with self._lock:
            return len(self._scripted)

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes delayed answers so that shutdown does not wait for them
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _begin(self, call: Call) -> Step:
        with self._lock:
            self.log.append(call)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            text = call.user_text
            for index, (when, step) in enumerate(self._scripted):
                if when is None or when in text:
                    del self._scripted[index]
                    call.step = step
                    return step
        call.step = self.responder(call.body)
        return call.step

    def _end(self, call: Call) -> None:
        with self._lock:
            self.in_flight -= 1
            call.finished = time.monotonic()

    def _completion(self, answer: Answer) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{len(self.log)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": answer.text},
                    "finish_reason": answer.finish_reason,
                }
            ],
            "usage": {"prompt_tokens": 0, "completion_tokens": len(answer.text.split()), "total_tokens": 0},
        }


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
            pass

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/v1/models"):
                self._send(200, json.dumps({"object": "list", "data": [{"id": server.model, "object": "model"}]}))
            else:
                self._send(404, json.dumps({"error": {"message": f"no route {self.path}"}}))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body: Any = json.loads(raw)
            except ValueError:
                body = None
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, json.dumps({"error": {"message": f"no route {self.path}"}}))
                return
            call = Call(self.path, dict(self.headers), body)
            step = server._begin(call)
            try:
                if step.delay_s and server._stopping.wait(step.delay_s):
                    return
                if isinstance(step, Answer):
                    self._send(200, json.dumps(server._completion(step)))
                elif isinstance(step, Error):
                    headers = {"Retry-After": step.retry_after} if step.retry_after is not None else {}
                    message = step.message + (f" (Authorization: {self.headers.get('Authorization')})" if step.echo_authorization else "")
                    self._send(step.status, json.dumps({"error": {"message": message}}), headers)
                else:
                    self._send(step.status, step.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its timeout): nothing to answer
            finally:
                server._end(call)

        def _send(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
            payload = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler
