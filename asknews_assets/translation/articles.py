"""Articles in, English versions out, and the rows and figures of the translated_articles table.

Each translation records how its English came about (`backend`): 'passthrough' for English
articles, 'source-provided' for English the news source supplied, 'ctranslate2' for a machine
translation. `machine_text_en` holds the machine translation of the text wherever one was made
(also beside source-provided English when chrF is measured), so chrF is computed exactly where a
machine translation and source-provided English both exist.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from asknews_assets.partitions import ArticlePartition
from asknews_assets.translation.language_id import identify_language
from asknews_assets.translation.quality import corpus_chrf, sentence_chrf

PASSTHROUGH, SOURCE_PROVIDED, MACHINE = "passthrough", "source-provided", "ctranslate2"
UNTRANSLATED = "untranslated"  # no English could be had: recorded in translation_failures with the reason


@dataclass(frozen=True)
class SourceArticle:
    article_id: str
    title: str
    text: str
    eng_title: str | None = None
    eng_text: str | None = None

    @property
    def has_source_english(self) -> bool:
        """The source supplies English for the text, and for the title unless there is none."""
        return bool(self.eng_text) and (bool(self.eng_title) or not self.title)


@dataclass(frozen=True)
class ArticleTranslation:
    article_id: str
    title_en: str
    text_en: str
    backend: str
    model: str | None = None  # the model that machine-translated this article, if one did
    machine_text_en: str | None = None
    failure: str | None = None  # why there is no English (backend UNTRANSLATED)

    @property
    def ok(self) -> bool:
        return self.failure is None


def _text(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def source_articles(raw: pd.DataFrame) -> list[SourceArticle]:
    """The articles of a raw_articles partition, as the translator reads them."""
    return [
        SourceArticle(
            article_id=row["article_id"],
            title=_text(row["title"]) or "",
            text=_text(row["text"]) or "",
            eng_title=_text(row["eng_title"]),
            eng_text=_text(row["eng_text"]),
        )
        for row in raw.to_dict("records")
    ]


def passthrough(articles: Sequence[SourceArticle]) -> list[ArticleTranslation]:
    """English articles are their own translation."""
    return [ArticleTranslation(a.article_id, a.title, a.text, PASSTHROUGH) for a in articles]


def _chrf_pair(article: SourceArticle, translation: ArticleTranslation) -> tuple[str, str] | None:
    """(machine translation, source-provided English) of an article's text, where both exist."""
    if translation.machine_text_en is not None and article.eng_text:
        return translation.machine_text_en, article.eng_text
    return None


def translation_rows(
    partition: ArticlePartition, articles: Sequence[SourceArticle], translations: Sequence[ArticleTranslation]
) -> list[dict[str, Any]]:
    """One translated_articles row per article: the English, how it was made, chrF where
    measurable, and the language identified in the original text against the declared one."""
    if [a.article_id for a in articles] != [t.article_id for t in translations]:
        raise ValueError("translations do not match the articles one to one, in order")
    rows = []
    for article, translation in zip(articles, translations):
        if not translation.ok:
            continue  # in translation_failures instead (failure_rows)
        guess = identify_language(f"{article.title}\n{article.text}")
        pair = _chrf_pair(article, translation)
        rows.append(
            {
                "country": partition.country,
                "language": partition.language,
                "article_id": article.article_id,
                "title_en": translation.title_en,
                "text_en": translation.text_en,
                "translation_backend": translation.backend,
                "translation_model": translation.model,
                "chrf": sentence_chrf(*pair) if pair else None,
                "detected_language": guess.language,
                "language_confidence": guess.confidence,
                "language_matches": guess.matches(partition.language),
            }
        )
    return rows


def failure_rows(partition: ArticlePartition, translations: Sequence[ArticleTranslation]) -> list[dict[str, Any]]:
    """One translation_failures row per article that got no English, with the reason."""
    return [
        {"country": partition.country, "language": partition.language, "article_id": t.article_id, "reason": t.failure}
        for t in translations
        if not t.ok
    ]


@dataclass(frozen=True)
class PartitionTranslation:
    """A partition's rows of translated_articles and of translation_failures."""

    rows: list[dict[str, Any]]
    failures: list[dict[str, Any]]


def partition_translation(
    partition: ArticlePartition, articles: Sequence[SourceArticle], translations: Sequence[ArticleTranslation]
) -> PartitionTranslation:
    """The rows to write for one partition: an English row per translated article, a failure row
    (with the reason) per article that got none."""
    return PartitionTranslation(translation_rows(partition, articles, translations), failure_rows(partition, translations))


PREVIEW_COLUMNS = ("country", "language", "article_id", "translation_backend", "detected_language", "title_en")


@dataclass(frozen=True)
class TranslationStats:
    """The figures translated_articles reports: how each article got its English, by which models,
    chrF where measurable, and the articles whose identified language is not the declared one."""

    counts: dict[str, int]
    models: list[str]
    corpus_chrf: float | None
    chrf_articles: int
    language_mismatches: list[dict[str, Any]]
    preview: list[dict[str, Any]]


def translation_stats(
    rows: Sequence[dict[str, Any]], articles: Sequence[SourceArticle], translations: Sequence[ArticleTranslation]
) -> TranslationStats:
    """Statistics over translated_articles `rows` made from `articles` and their `translations`."""
    backends = Counter(row["translation_backend"] for row in rows)
    compared = [pair for a, t in zip(articles, translations) if (pair := _chrf_pair(a, t))]
    return TranslationStats(
        counts={
            "articles": len(articles),
            "translated": len(rows) - backends[PASSTHROUGH],
            "passed_through_english": backends[PASSTHROUGH],
            "source_provided": backends[SOURCE_PROVIDED],
            "machine_translated": backends[MACHINE],
            "failed": sum(not t.ok for t in translations),
        },
        models=sorted({t.model for t in translations if t.model}),
        corpus_chrf=corpus_chrf([h for h, _ in compared], [r for _, r in compared]),
        chrf_articles=len(compared),
        language_mismatches=[
            {k: row[k] for k in ("article_id", "language", "detected_language", "language_confidence")}
            for row in rows
            if not row["language_matches"]
        ],
        preview=[{k: row[k] for k in PREVIEW_COLUMNS} for row in rows],
    )
