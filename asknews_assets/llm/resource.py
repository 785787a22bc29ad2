"""`LLMBackend`: what every OpenAI-compatible model backend shares: the endpoint, the sampling
settings and the warehouse whose `llm_cache` table keeps the answers already paid for (only these
backends use a cache, so only they are given the warehouse). Subclasses change a default by
declaring the field again.
"""

from pydantic import Field

from asknews_assets.backend import ModelBackend
from asknews_assets.llm.cache import LLMCache
from asknews_assets.llm.client import ChatClient
from asknews_assets.llm.endpoint import ChatEndpoint
from asknews_assets.warehouse.resource import Warehouse


class LLMBackend(ModelBackend):
    """A backend that asks an OpenAI-compatible chat endpoint (`asknews_assets.llm.endpoint`)."""

    endpoint: ChatEndpoint
    warehouse: Warehouse  # the deployment's warehouse: answers are cached next to the tables they feed
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

    def cache(self) -> LLMCache:
        """The answers already paid for, in the warehouse's `llm_cache` table."""
        return LLMCache(self.warehouse.get_connection)
