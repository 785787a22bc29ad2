"""Grounding entity annotations in GLiNER's word tokens.

GLiNER trains on word tokens, not characters: a document is `tokenized_text` (GLiNER's default
whitespace/punctuation splitter) and each entity a token span `[start, end_inclusive, type]`. An
annotator proposes mentions either as text only (an LLM: "Joe Biden" is a person) or at a
character position (spaCy, GLiNER). `align_mentions` turns both into token spans and drops what
cannot be grounded (the text does not occur, or its position does not fall on token boundaries)
and what is typed outside the schema, counting each, so hallucinations are measured, not trained on.

Span boundaries follow one convention for every backend, the one CoNLL and OntoNotes use: no
leading article ("the European Parliament" -> "European Parliament"), no possessive clitic
("Rishi Sunak's" -> "Rishi Sunak") and no punctuation at either edge. A capitalised article inside
a sentence belongs to a name ("The Hague", "The Salt Road") and stays. `trim_span` applies it to
every grounded span and the alignment counts what it trimmed, per kind.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
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
    n_trimmed: int = 0  # grounded occurrences whose boundaries the span convention changed
    trimmed: dict[str, int] = field(default_factory=dict)  # the same, by TRIM_KINDS (one occurrence may count twice)


ARTICLES = frozenset({"the", "a", "an"})
# Edge tokens that are never part of a name. '%', currency signs and '#' are kept ("7%", "$5", "#MeToo").
EDGE_PUNCTUATION = frozenset(".,;:!?\"'()[]{}<>«»“”‘’‚„—–-…/\\|*·•")
SENTENCE_ENDS = frozenset(".!?:;")
TRIM_KINDS = ("determiner", "possessive", "punctuation")


def trim_span(tokens: Sequence[Token], first: int, last: int) -> tuple[tuple[int, int] | None, list[str]]:
    """`tokens[first..last]` without leading articles, a trailing possessive clitic and edge
    punctuation: the trimmed range (None if nothing is left) and the kinds of trimming done."""
    kinds: list[str] = []
    while first <= last:
        text = tokens[first].text.translate(_QUOTE_FOLD)
        if text in EDGE_PUNCTUATION:
            first += 1
            kinds.append("punctuation")
        elif text.casefold() in ARTICLES and (text.islower() or _sentence_start(tokens, first)):
            first += 1
            kinds.append("determiner")
        else:
            break
    while first <= last:
        text = tokens[last].text.translate(_QUOTE_FOLD)
        if text.casefold() == "s" and last - 1 > first and tokens[last - 1].text.translate(_QUOTE_FOLD) == "'" and _joined(tokens, last - 2, last):
            last -= 2  # "Sunak's": the clitic is attached to the word before it
            kinds.append("possessive")
        elif text == "'" and last > first and tokens[last - 1].text.endswith("s") and _joined(tokens, last - 1, last):
            last -= 1  # "Emirates'"
            kinds.append("possessive")
        elif text in EDGE_PUNCTUATION and not _abbreviation_dot(tokens, first, last):
            last -= 1
            kinds.append("punctuation")
        else:
            break
    return ((first, last) if first <= last else None), list(dict.fromkeys(kinds))


def _abbreviation_dot(tokens: Sequence[Token], first: int, last: int) -> bool:
    """A final '.' that closes a dotted abbreviation ("U.S.", "a.m."): part of the name."""
    return (
        tokens[last].text == "."
        and last - 2 >= first
        and len(tokens[last - 1].text) == 1
        and tokens[last - 2].text == "."
        and _joined(tokens, last - 2, last)
    )


def _joined(tokens: Sequence[Token], first: int, last: int) -> bool:
    """No space between tokens first..last (an apostrophe inside a word, not a closing quote)."""
    return all(tokens[i].end == tokens[i + 1].start for i in range(first, last))


def _sentence_start(tokens: Sequence[Token], index: int) -> bool:
    """Whether tokens[index] opens a sentence (skipping opening quotes and brackets before it)."""
    index -= 1
    while index >= 0 and tokens[index].text.translate(_QUOTE_FOLD) in "\"'([«":
        index -= 1
    return index < 0 or tokens[index].text in SENTENCE_ENDS


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
    that occurrence only. Every range is trimmed to the span convention (`trim_span`). Overlaps are
    resolved longest first (then leftmost, then the order the annotator gave), so "Joe Biden" wins
    over "Biden" where both are proposed, and a span is never given two types.
    """
    allowed = set(entity_types)
    starts = {t.start: i for i, t in enumerate(tokens)}
    ends = {t.end: i for i, t in enumerate(tokens)}
    keys = [_key(t.text) for t in tokens]
    candidates: list[tuple[int, int, str, int]] = []
    ungrounded: list[str] = []
    unknown: list[str] = []
    trimmed: Counter[str] = Counter()
    proposed = n_trimmed = 0
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
        kept = []
        for first, last in ranges:
            span, kinds = trim_span(tokens, first, last)
            if span is not None:  # a mention trimmed to nothing ("the") counts as ungrounded instead
                kept.append(span)
                trimmed.update(kinds)
                n_trimmed += bool(kinds)
        if not kept:
            ungrounded.append(mention.text)
        candidates.extend((first, last, label, order) for first, last in kept)

    taken = [False] * len(tokens)
    spans: list[Span] = []
    for first, last, label, _ in sorted(candidates, key=lambda c: (c[0] - c[1], c[0], c[3])):
        if not any(taken[first : last + 1]):
            taken[first : last + 1] = [True] * (last - first + 1)
            spans.append((first, last, label))
    spans.sort()
    return Alignment(spans, proposed, len(ungrounded), len(unknown), ungrounded, unknown, n_trimmed, {k: trimmed[k] for k in TRIM_KINDS})


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
