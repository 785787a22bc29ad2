"""Translators: one interface, CTranslate2 machine translation and the English a source supplies.

- `CTranslate2Translator` converts Hugging Face models (OPUS-MT per language by default, or one
  multilingual NLLB-200 / M2M100 model) to CTranslate2 on first use, caches them under
  `<ASKNEWS_DATA_DIR>/cache/ct2`, and translates sentence by sentence in length-sorted batches.
- `SourceProvidedTranslator` uses the English the news source already delivers (AskNews gives it;
  the sample corpus ships it). What happens to an article without it is `missing_english`
  (ASKNEWS_MISSING_ENGLISH, or the translated_articles run config): 'fail' (an error naming the
  setting), 'skip' (recorded as a translation failure with the reason) or 'machine' (the CTranslate2
  `fallback`). Original text is never passed off as English.

English articles pass through both untouched.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Optional

from dagster import ConfigurableResource
from pydantic import Field

from asknews_assets import settings
from asknews_assets.settings import MISSING_ENGLISH_CHOICES, Settings
from asknews_assets.translation.articles import (
    MACHINE,
    SOURCE_PROVIDED,
    UNTRANSLATED,
    ArticleTranslation,
    SourceArticle,
    passthrough,
)
from asknews_assets.translation.engine import DecodingOptions, translate_texts
from asknews_assets.translation.languages import (
    MULTILINGUAL_MODELS,
    OPUS_MT_MODELS,
    ModelFamily,
    language_tokens,
)
from asknews_assets.translation.models import TranslationModelUnavailable, load_model, prepare_model


class SourceEnglishMissing(RuntimeError):
    """Articles that need a machine translation where no translation model is configured."""


class Translator(ConfigurableResource):
    """Interface of every translator (the translated_articles asset depends on this type only)."""

    @property
    def backend(self) -> str:
        raise NotImplementedError

    def translate_articles(
        self,
        articles: Sequence[SourceArticle],
        language: str,
        machine_translate_all: bool = False,
        missing_english: str | None = None,
    ) -> list[ArticleTranslation]:
        """English title and text of each article, in order. `machine_translate_all` also machine
        translates articles whose English the source provides, to measure chrF against it.
        `missing_english` overrides the translator's own choice for articles without source English
        (only translators that use source English have one)."""
        raise NotImplementedError


class CTranslate2Translator(Translator):
    """CTranslate2 models converted from Hugging Face: one per language, or one multilingual model."""

    family: ModelFamily = Field(
        default="opus-mt", description="'opus-mt' (a model per language, see models), 'nllb' or 'm2m100'."
    )
    models: dict[str, str] = Field(
        default_factory=lambda: dict(OPUS_MT_MODELS),
        description="opus-mt: source language -> Hub id, Transformers folder or CTranslate2 folder.",
    )
    multilingual_model: str = Field(
        default="", description="nllb / m2m100: Hub id or folder; empty for the family's default model."
    )
    cache_dir: str = Field(default="", description="Converted models; empty for <ASKNEWS_DATA_DIR>/cache/ct2.")
    quantization: str = Field(default="int8", description="Weight type of converted models (CTranslate2 quantization).")
    compute_type: str = Field(
        default="default", description="CTranslate2 compute type; 'default' keeps the quantization."
    )
    device: str = Field(default="cpu", description="cpu, cuda or auto.")
    intra_threads: int = Field(default=0, description="Threads per translation (0: CTranslate2's default).")
    inter_threads: int = Field(default=1, description="Translations run in parallel.")
    batch_size: int = Field(default=16, description="Sentences per batch.")
    beam_size: int = Field(default=2, description="1 for greedy decoding.")
    max_input_length: int = Field(default=512, description="Longest source sentence in tokens.")
    max_decoding_length: int = Field(default=256, description="Longest translated sentence in tokens.")
    max_sentence_chars: int = Field(default=1000, description="Longer sentences are cut at spaces.")

    @property
    def backend(self) -> str:
        return MACHINE

    def model_reference(self, language: str) -> str:
        """The Hub id or folder of the model that translates `language` to English."""
        if self.family != "opus-mt":
            return self.multilingual_model or MULTILINGUAL_MODELS[self.family]
        if language not in self.models:
            raise TranslationModelUnavailable(
                f"no translation model for language {language!r}: add it to CTranslate2Translator.models"
            )
        return self.models[language]

    def translate_texts(self, texts: Sequence[str], language: str) -> list[str]:
        """English versions of texts in `language`, sentence by sentence, paragraphs kept."""
        if language == "en" or not texts:
            return list(texts)
        reference = self.model_reference(language)
        setting = "models" if self.family == "opus-mt" else "multilingual_model"
        cache_dir = Path(self.cache_dir) if self.cache_dir else settings.current().data_dir / "cache" / "ct2"
        try:
            model_dir = prepare_model(reference, cache_dir, self.quantization)
        except TranslationModelUnavailable as error:
            raise TranslationModelUnavailable(
                f"{error}. Language {language!r}: set CTranslate2Translator.{setting} to a local Transformers or"
                " CTranslate2 folder, or allow Hugging Face Hub access for the first conversion."
            ) from error
        model = load_model(str(model_dir), self.device, self.compute_type, self.intra_threads, self.inter_threads)
        options = DecodingOptions(
            batch_size=self.batch_size,
            beam_size=self.beam_size,
            max_input_length=self.max_input_length,
            max_decoding_length=self.max_decoding_length,
            max_sentence_chars=self.max_sentence_chars,
        )
        return translate_texts(model, texts, language_tokens(self.family, language), options)

    def translate_articles(
        self,
        articles: Sequence[SourceArticle],
        language: str,
        machine_translate_all: bool = False,
        missing_english: str | None = None,
    ) -> list[ArticleTranslation]:
        if language == "en":
            return passthrough(articles)
        if not articles:
            return []
        # Titles and texts in one call, so that they share batches.
        english = self.translate_texts([a.title for a in articles] + [a.text for a in articles], language)
        model = self.model_reference(language)
        return [
            ArticleTranslation(a.article_id, title, text, MACHINE, model=model, machine_text_en=text)
            for a, title, text in zip(articles, english[: len(articles)], english[len(articles) :])
        ]


class SourceProvidedTranslator(Translator):
    """The English the news source supplies (eng_title / eng_text); `missing_english` decides what
    happens to articles that lack it."""

    missing_english: Optional[str] = Field(
        default=None,
        description="Articles without source English: 'fail' (an error), 'skip' (recorded as translation failures)"
        " or 'machine' (translated by `fallback`); unset: 'machine' with a fallback, else 'fail'."
        " Set by ASKNEWS_MISSING_ENGLISH.",
    )
    fallback: Optional[CTranslate2Translator] = Field(
        default=None, description="Machine translation for 'machine' (and for measuring chrF); unset: none."
    )

    @property
    def backend(self) -> str:
        return f"{SOURCE_PROVIDED}+{MACHINE}" if self.fallback else SOURCE_PROVIDED

    def translate_articles(
        self,
        articles: Sequence[SourceArticle],
        language: str,
        machine_translate_all: bool = False,
        missing_english: str | None = None,
    ) -> list[ArticleTranslation]:
        if language == "en":
            return passthrough(articles)
        choice = missing_english or self.missing_english or ("machine" if self.fallback else "fail")
        if choice not in MISSING_ENGLISH_CHOICES:
            raise ValueError(f"missing_english must be one of {MISSING_ENGLISH_CHOICES}, not {choice!r}")
        missing = [a for a in articles if not a.has_source_english]
        if missing and choice == "fail":
            raise SourceEnglishMissing(
                f"{len(missing)} article(s) in {language!r} have no source-provided English"
                f" (e.g. {[a.article_id for a in missing[:5]]}): set ASKNEWS_MISSING_ENGLISH (or the run config"
                " ops.translated_articles.config.missing_english) to 'skip' to record them as translation failures"
                " and go on, or to 'machine' to machine-translate them"
            )
        to_machine = list(articles) if machine_translate_all else (missing if choice == "machine" else [])
        if to_machine and self.fallback is None:
            raise SourceEnglishMissing(
                f"{'measuring chrF' if machine_translate_all else f'{len(missing)} article(s) without source English'}"
                f" in {language!r} need a machine translation and no translation model is configured: set"
                " ASKNEWS_MISSING_ENGLISH=machine (it configures CTranslate2 from ASKNEWS_TRANSLATION_FAMILY and"
                " ASKNEWS_CT2_CACHE_DIR) or use ASKNEWS_DEPLOYMENT=production"
            )
        machine = {t.article_id: t for t in self.fallback.translate_articles(to_machine, language)} if to_machine else {}
        translations = []
        for article in articles:
            translated = machine.get(article.article_id)
            if not article.has_source_english:
                translations.append(
                    translated
                    or ArticleTranslation(
                        article.article_id, "", "", UNTRANSLATED, failure="no source-provided English (missing_english=skip)"
                    )
                )
                continue
            translations.append(
                ArticleTranslation(
                    article.article_id,
                    article.eng_title or "",
                    article.eng_text or "",
                    SOURCE_PROVIDED,
                    model=translated.model if translated else None,
                    machine_text_en=translated.machine_text_en if translated else None,
                )
            )
        return translations


def ctranslate2_translator(config: Settings) -> CTranslate2Translator:
    """CTranslate2 configured by ASKNEWS_TRANSLATION_FAMILY (opus-mt | nllb | m2m100),
    ASKNEWS_CT2_CACHE_DIR, ASKNEWS_CT2_COMPUTE_TYPE and ASKNEWS_CT2_THREADS: the production
    translator of every non-English article."""
    return CTranslate2Translator(
        family=config.translation_family,
        cache_dir=config.ct2_cache_dir,
        compute_type=config.ct2_compute_type,
        intra_threads=config.ct2_threads,
    )


def source_provided_translator(config: Settings) -> SourceProvidedTranslator:
    """The local translator: the English the source provides, and for articles without it what
    ASKNEWS_MISSING_ENGLISH says (with 'machine', CTranslate2 as configured for production)."""
    choice = config.missing_english
    # The model is only loaded when an article needs it, so configuring it costs nothing offline.
    return SourceProvidedTranslator(missing_english=choice, fallback=ctranslate2_translator(config) if choice == "machine" else None)
