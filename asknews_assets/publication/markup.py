"""Values from sources and models, made inert where Markdown is rendered (cards, Dagster metadata).

Topic labels come from an LLM that read article text, titles and names from the news, benchmark and
entity type names from configuration: any of them may hold Markdown or HTML. Every such value goes
through `escape_markdown` (in running text and table cells) or `code_span` (shown as code) where it
is rendered, so it always reads as the text it is and never becomes a link, an image, markup or a
way out of a code span. Markdown the code writes itself into a table cell is wrapped in `Markup`.
"""

from __future__ import annotations

import html
import re
from typing import Any

# Inline Markdown that a value could start: emphasis, code, links and images, strikethrough,
# backslash escapes, and the autolinks GFM makes of "www.", "scheme://" and e-mail addresses.
_INLINE = re.compile(r"([\\`*\[\]!~])")
# An underscore inside a word ("topic_entropy") cannot start emphasis; at a word's edge it can.
_EDGE_UNDERSCORE = re.compile(r"(?<!\w)_|_(?!\w)")
_AUTOLINK = re.compile(r"(?i)(www)\.|(\w):(?=//)|@")


class Markup(str):
    """Markdown the code wrote itself (a bold "Average" row, say): table cells render it as it is."""


def escape_markdown(value: Any) -> str:
    """`value` as one line of literal text: HTML as entities, Markdown punctuation backslash-escaped."""
    text = html.escape(" ".join(str(value).split()), quote=False)
    text = _EDGE_UNDERSCORE.sub(r"\\_", _INLINE.sub(r"\\\1", text))
    return _AUTOLINK.sub(lambda m: f"{m.group(1)}\\." if m.group(1) else (f"{m.group(2)}\\:" if m.group(2) else "\\@"), text)


def code_span(value: Any) -> str:
    """`value` as an inline code span that no backtick in it can close (CommonMark's longer fence)."""
    text = " ".join(str(value).split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") or not text.strip() else text
    return f"{fence}{padded}{fence}"


def escape_html(value: Any) -> str:
    """`value` as text inside an HTML element the card writes itself (a <summary>, say)."""
    return html.escape(" ".join(str(value).split()), quote=True)
