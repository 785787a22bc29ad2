"""Which model translates a language to English, and how each model family names languages.

OPUS-MT models translate one source language (or a group) into English and need no language token.
Multilingual models need them: NLLB-200 starts the source with a FLORES-200 code ("spa_Latn") and the
target with "eng_Latn"; M2M100 uses "__es__" and "__en__". The target token is forced as the first
decoded token (CTranslate2's target_prefix) and removed from the output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ModelFamily = Literal["opus-mt", "nllb", "m2m100"]

# One OPUS-MT model per source language. Portuguese and Norwegian have no single-language model to
# English on the Hub, so their group models (Romance, North Germanic) translate them.
OPUS_MT_MODELS: dict[str, str] = {
    language: f"Helsinki-NLP/opus-mt-{language}-en"
    for language in ("es", "de", "ru", "fr", "ar", "it", "uk", "sv", "da")
} | {"pt": "Helsinki-NLP/opus-mt-ROMANCE-en", "no": "Helsinki-NLP/opus-mt-gmq-en"}

MULTILINGUAL_MODELS: dict[str, str] = {
    "nllb": "facebook/nllb-200-distilled-600M",
    "m2m100": "facebook/m2m100_418M",
}

NLLB_CODES: dict[str, str] = {
    "en": "eng_Latn", "es": "spa_Latn", "pt": "por_Latn", "de": "deu_Latn", "ru": "rus_Cyrl", "fr": "fra_Latn",
    "ar": "arb_Arab", "it": "ita_Latn", "uk": "ukr_Cyrl", "no": "nob_Latn", "sv": "swe_Latn", "da": "dan_Latn",
}  # fmt: skip


class UnsupportedLanguage(ValueError):
    """A language the chosen model family has no code for."""


@dataclass(frozen=True)
class LanguageTokens:
    """Tokens put before a source sentence, and forced at the start of its translation."""

    source_prefix: tuple[str, ...] = ()
    target_prefix: tuple[str, ...] = ()


def language_tokens(family: ModelFamily, source: str, target: str = "en") -> LanguageTokens:
    if family == "opus-mt":
        return LanguageTokens()
    if family == "nllb":
        missing = [code for code in (source, target) if code not in NLLB_CODES]
        if missing:
            raise UnsupportedLanguage(f"no NLLB-200 code for {missing}; known: {sorted(NLLB_CODES)}")
        return LanguageTokens((NLLB_CODES[source],), (NLLB_CODES[target],))
    if family == "m2m100":
        return LanguageTokens((f"__{source}__",), (f"__{target}__",))
    raise ValueError(f"unknown model family {family!r}; expected one of opus-mt, nllb, m2m100")
