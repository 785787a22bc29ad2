"""Calling OpenAI-compatible chat endpoints from assets: client, warehouse cache and shared settings.

Typical use in a resource (an `LLMBackend`)::

    with self.client() as client:
        completions = complete_many_cached(
            client, requests, cache=self.cache(), prompt_version="v1", validate=check
        )

Every completion is either usable text or a failure reason; see `client` and `cache`.
"""

from asknews_assets.llm.cache import LLMCache, complete_many_cached
from asknews_assets.llm.client import (
    ChatClient,
    ChatRequest,
    Completion,
    LLMConfigurationError,
    Validator,
)
from asknews_assets.llm.endpoint import ChatEndpoint, endpoint_from_settings
from asknews_assets.llm.resource import LLMBackend

__all__ = [
    "ChatClient",
    "ChatEndpoint",
    "ChatRequest",
    "Completion",
    "LLMCache",
    "LLMBackend",
    "LLMConfigurationError",
    "Validator",
    "complete_many_cached",
    "endpoint_from_settings",
]
