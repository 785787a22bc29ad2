"""Settings of an OpenAI-compatible chat endpoint, shared by every LLM-backed resource.

Summaries, entity annotation and topic labelling all nest a `ChatEndpoint` in their resource, so
one set of environment variables (`endpoint_from_env`) points the whole graph at one server.
"""

import os

from dagster import Config, EnvVar
from pydantic import Field

from asknews_assets.llm.client import ChatClient, LLMConfigurationError


class ChatEndpoint(Config):
    """Where and how to call the endpoint. The API key is read from the environment, never configured."""

    base_url: str = Field(
        description="Ends in /v1: http://localhost:8000/v1 (vLLM), http://localhost:11434/v1 (Ollama),"
        " http://localhost:8080/v1 (llama.cpp server), https://api.openai.com/v1 (OpenAI)."
    )
    model: str = Field(description="Model name as the server knows it.")
    api_key_env: str = Field(
        default="OPENAI_API_KEY",
        description="Name of the environment variable holding the API key; empty for a server without authentication.",
    )
    timeout_s: float = Field(default=120.0, description="Per-request timeout; a timed-out request is retried.")
    max_retries: int = Field(
        default=4, description="Retries after the first attempt (timeouts, 429, 5xx, unusable answers)."
    )
    concurrency: int = Field(default=4, description="Requests in flight at once.")
    backoff_base_s: float = Field(default=1.0, description="First retry waits about this long, doubling each time.")
    backoff_max_s: float = Field(
        default=30.0, description="Longest wait between retries (unless Retry-After asks more)."
    )

    def api_key(self) -> str | None:
        if not self.api_key_env:
            return None
        key = os.environ.get(self.api_key_env)
        if not key:
            raise LLMConfigurationError(
                f"the environment variable {self.api_key_env} (named by api_key_env) is not set: set it, or set"
                " api_key_env to '' (ASKNEWS_LLM_API_KEY_ENV=) for a server without authentication"
            )
        return key

    def client(self, temperature: float, max_tokens: int) -> ChatClient:
        return ChatClient(
            self.base_url,
            self.model,
            self.api_key(),
            temperature=temperature,
            max_tokens=max_tokens,
            timeout_s=self.timeout_s,
            max_retries=self.max_retries,
            concurrency=self.concurrency,
            backoff_base_s=self.backoff_base_s,
            backoff_max_s=self.backoff_max_s,
        )


def endpoint_from_env() -> ChatEndpoint:
    """The production endpoint: ASKNEWS_LLM_BASE_URL and ASKNEWS_LLM_MODEL (required when a run starts),
    ASKNEWS_LLM_API_KEY_ENV (default OPENAI_API_KEY), ASKNEWS_LLM_CONCURRENCY, ASKNEWS_LLM_TIMEOUT_S and
    ASKNEWS_LLM_MAX_RETRIES (optional)."""
    defaults = ChatEndpoint.model_fields
    return ChatEndpoint(
        base_url=EnvVar("ASKNEWS_LLM_BASE_URL"),
        model=EnvVar("ASKNEWS_LLM_MODEL"),
        api_key_env=os.environ.get("ASKNEWS_LLM_API_KEY_ENV", defaults["api_key_env"].default),
        concurrency=int(os.environ.get("ASKNEWS_LLM_CONCURRENCY", defaults["concurrency"].default)),
        timeout_s=float(os.environ.get("ASKNEWS_LLM_TIMEOUT_S", defaults["timeout_s"].default)),
        max_retries=int(os.environ.get("ASKNEWS_LLM_MAX_RETRIES", defaults["max_retries"].default)),
    )
