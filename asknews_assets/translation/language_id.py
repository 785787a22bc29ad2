"""Offline language identification (py3langid) to check an article's declared language."""

from __future__ import annotations

import functools
from dataclasses import dataclass

# py3langid names Norwegian by its written standards; the platform's code is 'no'.
_ALIASES = {"nb": "no", "nn": "no"}


@dataclass(frozen=True)
class LanguageGuess:
    language: str | None
    confidence: float

    def matches(self, declared: str) -> bool:
        return self.language == declared


@functools.cache
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def normalize_language(code: str) -> str:
    return _ALIASES.get(code, code)


def identify_language(text: str) -> LanguageGuess:
    """The most likely language of a text and its probability; no guess for a text without letters."""
    if not any(character.isalpha() for character in text):
        return LanguageGuess(None, 0.0)
    language, probability = _identifier().classify(text)
    return LanguageGuess(normalize_language(language), float(probability))
