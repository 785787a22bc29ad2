"""Cutting articles into sentences for translation, batching them by length, and putting them back.

Translation models are trained on sentences: a whole article as one input is truncated or degrades.
`segment` cuts a text into sentences and remembers the exact whitespace between them (paragraph
breaks included), so `Segmented.reassemble` puts one translated segment back in each sentence's
place. `map_length_sorted` translates items in batches of similar length (less padding) and returns
the results in the input order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# A sentence ends at terminal punctuation (optionally followed by closing quotes or brackets)
# followed by whitespace.
_SENTENCE_END = re.compile(r"[.!?…؟。]+[\"'”’»)\]]*(?=\s)")
# A paragraph is one line, from its first to its last non-space character.
_PARAGRAPH = re.compile(r"\S(?:[^\n]*\S)?")
# Words after which a period rarely ends a sentence, in the platform's Latin-script languages.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr dra drs prof sr sra srta sres st jr gen gov col lt sgt hr fr nr no art vs bzw ca "
    "str pág pp vol dipl ing mme mlle av sto sta dott sig ee uu".split()
)


def _ends_sentence(word: str, following: str) -> bool:
    """Whether `word`, ending in terminal punctuation, closes a sentence that `following` continues."""
    if not following or following[0].islower():
        return False
    if not word.rstrip("\"'”’»)]").endswith("."):
        return True
    bare = word.rstrip(".\"'”’»)]").lstrip("\"'“‘«([")
    if len(bare) == 1 and bare.isalpha():  # an initial: "J. Smith", "EE. UU."
        return False
    if bare.isdigit() and len(bare) <= 2:  # an ordinal date: "3. März"
        return False
    return bare.lower() not in _ABBREVIATIONS


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, sentence_start = [], start
    for match in _SENTENCE_END.finditer(text, start, end):
        word_start = max(text.rfind(" ", sentence_start, match.start()) + 1, sentence_start)
        following = text[match.end() : end].lstrip()
        if _ends_sentence(text[word_start : match.end()], following):
            spans.append((sentence_start, match.end()))
            sentence_start = end - len(following)
    if sentence_start < end:
        spans.append((sentence_start, end))
    return spans


def _limit_length(text: str, span: tuple[int, int], max_chars: int) -> list[tuple[int, int]]:
    """Cut a span longer than max_chars at spaces, so no segment exceeds what the model accepts."""
    start, end = span
    pieces = []
    while end - start > max_chars:
        cut = text.rfind(" ", start + 1, start + max_chars + 1)
        if cut <= start:  # one word longer than max_chars: cut inside it
            cut = start + max_chars
        pieces.append((start, cut))
        start = cut + (text[cut] == " ")
    pieces.append((start, end))
    return pieces


@dataclass(frozen=True)
class Segmented:
    """A text as its segments and the separators around them: separators[i] precedes segments[i],
    and separators[-1] ends the text, so joining them back gives the text exactly."""

    segments: tuple[str, ...]
    separators: tuple[str, ...]

    def reassemble(self, translated: Sequence[str]) -> str:
        if len(translated) != len(self.segments):
            raise ValueError(f"expected {len(self.segments)} translated segments, got {len(translated)}")
        parts = [self.separators[0]]
        for segment, separator in zip(translated, self.separators[1:]):
            parts += [segment, separator]
        return "".join(parts)


def segment(text: str, max_chars: int = 1000) -> Segmented:
    """Cut a text into sentences (within paragraphs, never across a line break), each at most
    max_chars long."""
    spans = [
        piece
        for paragraph in _PARAGRAPH.finditer(text)
        for sentence in _sentence_spans(text, *paragraph.span())
        for piece in _limit_length(text, sentence, max_chars)
    ]
    bounds = [0, *(i for span in spans for i in span), len(text)]
    separators = tuple(text[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2))
    return Segmented(tuple(text[s:e] for s, e in spans), separators)


def map_length_sorted(
    items: Sequence[T], function: Callable[[list[T]], Sequence[R]], batch_size: int, length: Callable[[T], int] = len
) -> list[R]:
    """Apply a batch function to items grouped longest first into batches of `batch_size`, and
    return its results in the order of `items`."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    order = sorted(range(len(items)), key=lambda i: length(items[i]), reverse=True)
    results: list[R] = [None] * len(items)  # type: ignore[list-item]
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        outputs = function([items[i] for i in batch])
        if len(outputs) != len(batch):
            raise ValueError(f"batch function returned {len(outputs)} results for {len(batch)} items")
        for index, output in zip(batch, outputs):
            results[index] = output
    return results
