"""Test doubles of external services and upstream tables, reusable by every stage's tests."""

from __future__ import annotations

from asknews_assets_tests.support.fakes.openai_server import Answer, Call, Error, FakeOpenAIServer, Raw, Step
from asknews_assets_tests.support.fakes.upstream import write_translated_articles

__all__ = ["Answer", "Call", "Error", "FakeOpenAIServer", "Raw", "Step", "write_translated_articles"]
