"""Settings of an OpenAI-compatible chat endpoint, shared by every LLM-backed resource.

Summaries, entity annotation and topic labelling all nest a `ChatEndpoint` in their resource, so
one set of environment variables (`endpoint_from_settings`) points the whole graph at one server.
"""

import os

from dagster import Config, EnvVar
from pydantic import Field

from asknews_assets.llm.client import ChatClient, LLMConfigurationError
from asknews_assets.settings import Settings


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
        key = os.environ.get(self.api_key_env)  # a secret: read when used, never held in settings
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


def endpoint_from_settings(config: Settings) -> ChatEndpoint:
    """The configured endpoint: ASKNEWS_LLM_BASE_URL and ASKNEWS_LLM_MODEL (read by Dagster when a run
    starts, so the code location loads without them), ASKNEWS_LLM_API_KEY_ENV (default OPENAI_API_KEY),
    ASKNEWS_LLM_CONCURRENCY, ASKNEWS_LLM_TIMEOUT_S and ASKNEWS_LLM_MAX_RETRIES (optional)."""
    optional = {
        "api_key_env": config.llm_api_key_env,
        "concurrency": config.llm_concurrency,
        "timeout_s": config.llm_timeout_s,
        "max_retries": config.llm_max_retries,
    }
    return ChatEndpoint(
        base_url=EnvVar("ASKNEWS_LLM_BASE_URL"),
        model=EnvVar("ASKNEWS_LLM_MODEL"),
        **{name: value for name, value in optional.items() if value is not None},
    )
