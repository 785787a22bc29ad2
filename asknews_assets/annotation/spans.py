"""Grounding entity annotations in GLiNER's word tokens.

GLiNER trains on word tokens, not characters: a document is `tokenized_text` (GLiNER's default
whitespace/punctuation splitter) and each entity a token span `[start, end_inclusive, type]`. An
annotator proposes mentions either as text only (an LLM: "Joe Biden" is a person) or at a
character position (spaCy, GLiNER). `align_mentions` turns both into token spans and drops what
cannot be grounded (the text does not occur, or its position does not fall on token boundaries)
and what is typed outside the schema, counting each, so hallucinations are measured, not trained on.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from asknews_assets.annotation.schema import normalize_label

# gliner.data_processing.tokenizer.WhitespaceTokenSplitter: words (hyphen/underscore compounds kept
# whole) and every other non-space character on its own.
WORD_PATTERN = re.compile(r"\w+(?:[-_]\w+)*|\S")

# Typographic quotes compare equal to ASCII ones: LLMs often answer with the other kind. They are
# single-character tokens either way, so this never changes how a text is split.
_QUOTE_FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"', "\u00ab": '"', "\u00bb": '"'})


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int  # exclusive character offset


@dataclass(frozen=True)
class Mention:
    """An entity proposed by an annotator; `start`/`end` are character offsets when it knows them."""

    text: str
    label: str
    start: int | None = None
    end: int | None = None


Span = tuple[int, int, str]  # [start_token, end_token_inclusive, type], as in GLiNER's training data


@dataclass(frozen=True)
class Alignment:
    spans: list[Span]
    n_proposed: int
    n_ungrounded: int
    n_unknown_type: int
    ungrounded: list[str] = field(default_factory=list)  # mention texts that were not found, for review
    unknown_types: list[str] = field(default_factory=list)


def normalize_text(text: str) -> str:
    """Unicode NFC, so that a composed and a decomposed "é" are one word character, not two tokens."""
    return unicodedata.normalize("NFC", text)


def split_words(text: str) -> list[Token]:
    return [Token(m.group(), m.start(), m.end()) for m in WORD_PATTERN.finditer(text)]


def _key(token: str) -> str:
    return token.translate(_QUOTE_FOLD).casefold()


def _occurrences(tokens: Sequence[Token], keys: Sequence[str], text: str) -> list[tuple[int, int]]:
    """Token ranges where `text` occurs as whole tokens, compared case-insensitively.

    A mention with capitals does not match an all-lowercase occurrence ("US" the country is not "us"
    the pronoun, "May" the month not "may" the verb) unless that is the only way it occurs.
    """
    pattern = [t.text for t in split_words(normalize_text(text))]
    if not pattern:
        return []
    width = len(pattern)
    wanted = [_key(p) for p in pattern]
    found = [(i, i + width - 1) for i in range(len(keys) - width + 1) if list(keys[i : i + width]) == wanted]
    if "".join(pattern).islower() or not any(c.isalpha() for c in "".join(pattern)):
        return found
    cased = [(i, j) for i, j in found if not "".join(t.text for t in tokens[i : j + 1]).islower()]
    return cased or found


def _at_position(
    starts: dict[int, int], ends: dict[int, int], text: str, start: int, end: int
) -> list[tuple[int, int]]:
    """The token range covering exactly characters [start, end) (surrounding spaces ignored), if any."""
    segment = text[start:end]
    first = starts.get(start + len(segment) - len(segment.lstrip()))
    last = ends.get(end - (len(segment) - len(segment.rstrip())))
    return [(first, last)] if first is not None and last is not None and first <= last else []


def align_mentions(text: str, tokens: Sequence[Token], mentions: Iterable[Mention], entity_types: Iterable[str]) -> Alignment:
    """Token spans for `mentions` in `text` (tokenised as `tokens`), typed from `entity_types`.

    A mention without a position labels every occurrence of its text; one with a position labels
    that occurrence only. Overlaps are resolved longest first (then leftmost, then the order the
    annotator gave), so "Joe Biden" wins over "Biden" where both are proposed, and a span is never
    given two types.
    """
    allowed = set(entity_types)
    starts = {t.start: i for i, t in enumerate(tokens)}
    ends = {t.end: i for i, t in enumerate(tokens)}
    keys = [_key(t.text) for t in tokens]
    candidates: list[tuple[int, int, str, int]] = []
    ungrounded: list[str] = []
    unknown: list[str] = []
    proposed = 0
    for order, mention in enumerate(mentions):
        proposed += 1
        label = normalize_label(mention.label)
        if label not in allowed:
            unknown.append(mention.label)
            continue
        if mention.start is not None and mention.end is not None:
            ranges = _at_position(starts, ends, text, mention.start, mention.end)
        else:
            ranges = _occurrences(tokens, keys, mention.text)
        if not ranges:
            ungrounded.append(mention.text)
        candidates.extend((first, last, label, order) for first, last in ranges)

    taken = [False] * len(tokens)
    spans: list[Span] = []
    for first, last, label, _ in sorted(candidates, key=lambda c: (c[0] - c[1], c[0], c[3])):
        if not any(taken[first : last + 1]):
            taken[first : last + 1] = [True] * (last - first + 1)
            spans.append((first, last, label))
    spans.sort()
    return Alignment(spans, proposed, len(ungrounded), len(unknown), ungrounded, unknown)


def attested_spans(
    tokens: Sequence[Token], spans: Sequence[Span], reference: str
) -> tuple[list[Span], list[str]]:
    """The spans whose words also occur in `reference` (the article's English text), and the texts of
    those that do not.

    Annotators read the summary, and a summary can name what the article never does (a model that
    invents, or words the article's author planted for it): such an entity is grounded in the
    summary but attested nowhere in the source, so it is not training data.
    """
    words = "\x00" + "\x00".join(_key(t.text) for t in split_words(normalize_text(reference))) + "\x00"
    kept, unattested = [], []
    for first, last, label in spans:
        pattern = "\x00" + "\x00".join(_key(t.text) for t in tokens[first : last + 1]) + "\x00"
        if pattern in words:
            kept.append((first, last, label))
        else:
            unattested.append(" ".join(t.text for t in tokens[first : last + 1]))
    return kept, unattested
