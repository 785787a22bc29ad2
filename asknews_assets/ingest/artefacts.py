"""Feed artefacts in article text: aggregator truncation markers, photo credits, a chopped first letter.

Aggregators cut articles and append how much they hid ("... [+7013 chars]"), prepend or append
photo credits, and sometimes lose the first letter of the text. Left in, a marker reaches summaries,
embeddings and topic keywords (a topic glued together by "chars"). `clean_artefacts` removes what it
recognises and says what it found, so every article records its artefacts and whether it is truncated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TRUNCATED, CREDIT, CHOPPED_START = "truncated", "photo credit", "chopped start"

# "... [+7013 chars]", "… [+7,013 chars]", " [+12 characters]" at the very end of the text.
_TRUNCATION = re.compile(r"\s*(?:\.\.\.|…)?\s*\[\+\s*\d[\d,.]*\s*char(?:acter)?s?\]\s*$", re.IGNORECASE)
_CREDIT_WORDS = r"(?:FILE PHOTO|Photo(?:graph)?(?: credit)?|Image(?: credit)?|Picture|Credit)"
# A whole line that is only a credit: "Photo: Ana Ruiz/Global Wire", "(Photo by X/Getty Images)", possibly
# after a wire dateline that a re-publisher put in front ("(Global Wire Service) — Photo: ...").
_DATELINE = r"\([^()\n]{1,60}\)\s*[—–-]\s*"
_CREDIT_LINE = re.compile(
    rf"^(\s*(?:{_DATELINE})?)(?:\(\s*{_CREDIT_WORDS}(?:\s*by|:)\s*[^()\n]{{1,120}}\)|{_CREDIT_WORDS}\s*:\s*[^\n]{{1,120}})\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_DATELINE_BREAK = re.compile(rf"^({_DATELINE})\n", re.MULTILINE)
_FIRST_WORD = re.compile(r"^(\w+)(\W+)(\w)", re.UNICODE)


@dataclass(frozen=True)
class ArtefactSettings:
    """Which artefacts to clean (each is still detected and recorded when its cleaning is off)."""

    truncation: bool = True
    credits: bool = True
    chopped_start: bool = True


@dataclass(frozen=True)
class CleanedText:
    text: str
    artefacts: tuple[str, ...]

    @property
    def truncated(self) -> bool:
        return TRUNCATED in self.artefacts


def _chopped(text: str) -> bool:
    """A text that starts inside a word: a lower-case first word in a cased script ("he city council...").

    Words that are written in lower case with capitals inside ("iPhone", "eBay") are not chopped.
    """
    match = _FIRST_WORD.match(text)
    if not match:
        return False
    word = match.group(1)
    return word[0].islower() and word.lower() == word and not word.isdigit() and word[0] != word[0].upper()


def clean_artefacts(text: str, settings: ArtefactSettings | None = None) -> CleanedText:
    """The text without the artefacts `settings` clean, and every artefact found (cleaned or not)."""
    settings = settings or ArtefactSettings()
    found: list[str] = []
    if _CREDIT_LINE.search(text):
        found.append(CREDIT)
        if settings.credits:
            text = _DATELINE_BREAK.sub(r"\1", _CREDIT_LINE.sub(r"\1", text)).strip()
    if _TRUNCATION.search(text):
        found.append(TRUNCATED)
        if settings.truncation:
            text = _TRUNCATION.sub("", text).rstrip()
    if _chopped(text):
        found.append(CHOPPED_START)
        if settings.chopped_start:
            # The lost letter cannot be known: drop the broken word and start at the next one.
            match = _FIRST_WORD.match(text)
            rest = text[match.start(3) :]
            text = rest[:1].upper() + rest[1:]
    return CleanedText(text, tuple(found))
