"""Secrets out of messages: every configured secret is replaced before an error is raised or logged.

Servers echo requests back in their error bodies (some include the Authorization header), and those
bodies end up in exception messages, so in Dagster's event log and the compute logs. Every message
built from a server's answer passes through `redact_secrets` first.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable


REDACTED = "[redacted]"
# Variables that hold secrets by name; the LLM and Hub settings name theirs (ASKNEWS_LLM_API_KEY_ENV,
# ASKNEWS_HF_TOKEN_ENV), read below.
SECRET_VARIABLES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "ASKNEWS_CLIENT_SECRET", "ASKNEWS_API_KEY", "OPENAI_API_KEY")
_SECRET_NAME = re.compile(r"(?:TOKEN|API_KEY|SECRET|PASSWORD)$", re.IGNORECASE)
# Shorter values would be redacted out of ordinary words.
MIN_SECRET_CHARS = 8


def configured_secrets(extra: Iterable[str | None] = ()) -> set[str]:
    """The secret values of this process's environment, and `extra` ones (an explicit API key).
    Values are read here, when a message is redacted, never kept in the settings."""
    # Straight from the environment, not settings.current(): a bad unrelated setting must not hide
    # the error being redacted behind its own.
    names = set(SECRET_VARIABLES) | {os.environ.get("ASKNEWS_LLM_API_KEY_ENV", ""), os.environ.get("ASKNEWS_HF_TOKEN_ENV", "HF_TOKEN")}
    names |= {name for name in os.environ if _SECRET_NAME.search(name)}
    values = {os.environ.get(name) for name in names if name} | set(extra)
    return {v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_CHARS}


def redact_secrets(text: str, extra: Iterable[str | None] = ()) -> str:
    """`text` with every configured secret replaced by [redacted] (longest first, so no part survives)."""
    for secret in sorted(configured_secrets(extra), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def redact_exception(error: BaseException, extra: Iterable[str | None] = ()) -> BaseException:
    """`error` (and the errors chained to it) with every configured secret redacted from its message,
    in place, so it can be re-raised as the same type."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.args = tuple(redact_secrets(a, extra) if isinstance(a, str) else a for a in current.args)
        if hasattr(current, "server_message") and isinstance(current.server_message, str):  # huggingface_hub errors
            current.server_message = redact_secrets(current.server_message, extra)
        current = current.__cause__ or current.__context__
    return error
