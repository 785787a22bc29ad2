"""`LLMBackend`: what every OpenAI-compatible model backend shares: the endpoint, the sampling
settings and how often answers are written to the warehouse cache. Subclasses change a default by
declaring the field again.
"""

from pydantic import Field

from asknews_assets.backend import ModelBackend
from asknews_assets.llm.client import ChatClient
from asknews_assets.llm.endpoint import ChatEndpoint


class LLMBackend(ModelBackend):
    """A backend that asks an OpenAI-compatible chat endpoint (`asknews_assets.llm.endpoint`)."""

    endpoint: ChatEndpoint
    temperature: float = Field(default=0.0, description="Sampling temperature (0 for reproducible answers).")
    max_tokens: int = Field(default=400, description="Longest answer the endpoint may give.")
    cache_flush_every: int = Field(default=32, description="Answers written to the cache in chunks of this size.")

    @property
    def backend(self) -> str:
        return "llm"

    @property
    def model_name(self) -> str:
        return self.endpoint.model

    def client(self) -> ChatClient:
        """A client for one batch of requests; use it as a context manager so its connections close."""
        return self.endpoint.client(self.temperature, self.max_tokens)
