"""Rows of `annotated_articles` in the AskNews-NER-v0 shape, their statistics and their validation.

A row carries the recipe's fields (`tokenized_text`, `ner` as `[[start, end_inclusive, type], ...]`,
`metadata`) plus what the platform needs to trace it: the grounding counts and the backends and
models that translated, summarised and annotated it.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from asknews_assets.annotation.backends import Annotation
from asknews_assets.annotation.spans import align_mentions, attested_spans, split_words

NO_TEXT = "no_text"


def _iso_utc(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize(timezone.utc) if stamp.tzinfo is None else stamp.tz_convert(timezone.utc)
    return stamp.to_pydatetime().strftime("%Y-%m-%dT%H:%M:%SZ")


def recipe_metadata(article: Mapping[str, Any]) -> dict[str, Any]:
    """The `metadata` of an AskNews-NER row."""
    return {
        "source_country": article["country"],
        "article_language": article["language"],
        "article_pubDate": _iso_utc(article.get("pub_date")),
        "topic": article.get("topic_label"),
        "articleId": article["article_id"],
    }


def _value(article: Mapping[str, Any], column: str) -> Any:
    value = article.get(column)
    return None if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)) else value


def provenance(article: Mapping[str, Any], annotation_backend: str, annotation_model: str, prompt_version: str | None) -> dict:
    """Which backend and model produced each step of this row (None where the upstream table lacks it)."""
    return {
        "translation": {"backend": _value(article, "translation_backend"), "model": _value(article, "translation_model")},
        "summary": {
            "backend": _value(article, "summary_backend"),
            "model": _value(article, "summary_model"),
            "prompt_version": _value(article, "prompt_version"),
        },
        "annotation": {"backend": annotation_backend, "model": annotation_model, "prompt_version": prompt_version},
    }


def annotated_record(
    article: Mapping[str, Any],
    text: str,
    annotation: Annotation,
    entity_types: Sequence[str],
    *,
    backend: str,
    model: str,
    prompt_version: str | None,
    reference: str | None = None,
) -> dict[str, Any]:
    """One `annotated_articles` row: `text` tokenised as GLiNER does and the annotation grounded in it.

    With a `reference` (the article's English text), spans whose words it does not hold are dropped
    and counted (`n_unattested`); without one nothing is checked and `n_unattested` is None.
    """
    tokens = split_words(text)
    alignment = align_mentions(text, tokens, annotation.mentions, entity_types)
    spans, unattested = list(alignment.spans), []
    if reference:
        spans, unattested = attested_spans(tokens, alignment.spans, reference)
    topic_id = article.get("topic_id")
    return {
        "article_id": article["article_id"],
        "country": article["country"],
        "language": article["language"],
        "topic_id": -1 if topic_id is None or pd.isna(topic_id) else int(topic_id),
        "topic_label": _value(article, "topic_label"),
        "pub_date": _value(article, "pub_date"),
        "tokenized_text": [t.text for t in tokens],
        "ner": json.dumps([list(span) for span in spans], ensure_ascii=False),
        "metadata": json.dumps(recipe_metadata(article), ensure_ascii=False),
        "annotation_backend": backend,
        "annotation_model": model,
        "n_entities": len(spans),
        "n_proposed": alignment.n_proposed,
        "n_ungrounded": alignment.n_ungrounded,
        "n_unknown_type": alignment.n_unknown_type,
        "n_trimmed": alignment.n_trimmed,
        "trimmed_by_kind": json.dumps(alignment.trimmed),
        "ungrounded_mentions": json.dumps(alignment.ungrounded, ensure_ascii=False),
        "n_unattested": len(unattested) if reference else None,
        "unattested_mentions": json.dumps(unattested, ensure_ascii=False),
        "provenance": json.dumps(provenance(article, backend, model, prompt_version), ensure_ascii=False),
        "annotated_at": datetime.now(timezone.utc),
    }


def annotated_rows(
    articles: Sequence[Mapping[str, Any]],
    texts: Mapping[str, str],
    annotations: Mapping[str, Annotation],
    entity_types: Sequence[str],
    *,
    backend: str,
    model: str,
    prompt_version: str | None,
    references: Mapping[str, str | None] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`annotated_articles` rows for the annotated articles, and a failure row (with the reason) for
    each other one: an article without an annotation had no text to annotate. `references`: each
    article's English text, which every entity must occur in too."""
    rows, failures = [], []
    for article in articles:
        annotation = annotations.get(article["article_id"])
        if annotation is not None and annotation.ok:
            text = texts[article["article_id"]]
            rows.append(
                annotated_record(
                    article, text, annotation, entity_types, backend=backend, model=model, prompt_version=prompt_version,
                    reference=(references or {}).get(article["article_id"]),
                )  # fmt: skip
            )
            continue
        failures.append(
            {
                **{key: article[key] for key in ("article_id", "country", "language")},
                "reason": annotation.failure if annotation else NO_TEXT,
                "attempts": annotation.attempts if annotation else 0,
                "annotation_backend": backend,
                "annotation_model": model,
            }
        )
    return rows, failures


def json_object(value: Any) -> dict:
    """A JSON object column (text or already decoded); {} where absent."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return {}
    return json.loads(value) if isinstance(value, str) else dict(value)


def spans_of(ner: Any) -> list[list[Any]]:
    """The `ner` column as a list of [start, end, type], whether stored as JSON text or as a list."""
    return json.loads(ner) if isinstance(ner, str) else [list(span) for span in ner]


def entity_type_counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    counts = Counter(span[2] for row in rows for span in spans_of(row["ner"]))
    return dict(counts.most_common())


def _count(value: Any) -> int | None:
    return None if value is None or (not isinstance(value, (int, str)) and pd.isna(value)) else int(value)


def unattested_by_backend(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The unattested rate of each annotation backend and model, over the documents checked."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault((str(row["annotation_backend"]), str(row["annotation_model"])), []).append(row)
    return [
        {"backend": backend, "model": model, "documents": len(group), **{k: stats[k] for k in ("n_unattested", "unattested_rate")}}
        for (backend, model), group in sorted(groups.items())
        if (stats := annotation_stats(group))
    ]


def annotation_stats(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Entities per document and how much of what the annotator proposed could not be used."""
    per_document = [int(r["n_entities"]) for r in rows]
    proposed = sum(int(r["n_proposed"]) for r in rows)
    ungrounded = sum(int(r["n_ungrounded"]) for r in rows)
    unknown = sum(int(r["n_unknown_type"]) for r in rows)
    checked = [r for r in rows if _count(r.get("n_unattested")) is not None]
    unattested = sum(_count(r.get("n_unattested")) for r in checked)
    grounded = sum(int(r["n_entities"]) for r in checked) + unattested
    return {
        "documents": len(rows),
        "n_entities": sum(per_document),
        "n_proposed": proposed,
        "n_ungrounded": ungrounded,
        "n_unknown_type": unknown,
        "ungrounded_rate": ungrounded / proposed if proposed else 0.0,
        "unknown_type_rate": unknown / proposed if proposed else 0.0,
        "n_trimmed": sum(int(r.get("n_trimmed") or 0) for r in rows),
        "trimmed_by_kind": dict(sum((Counter(json_object(r.get("trimmed_by_kind"))) for r in rows), Counter())),
        "n_unattested": unattested,
        "documents_checked_against_article": len(checked),
        # Of the entities grounded in the summary, the share the article's English text does not hold.
        "unattested_rate": unattested / grounded if grounded else 0.0,
        "entities_per_document_mean": statistics.fmean(per_document) if per_document else 0.0,
        "entities_per_document_median": statistics.median(per_document) if per_document else 0.0,
        "entities_per_document_max": max(per_document, default=0),
        "documents_without_entities": sum(1 for n in per_document if n == 0),
    }


def record_problems(row: Mapping[str, Any], entity_types: Iterable[str]) -> list[str]:
    """What is wrong with a stored row: no text, a span out of bounds, reversed or overlapping, a type outside the schema."""
    tokens = list(row["tokenized_text"]) if row["tokenized_text"] is not None else []
    if not tokens:
        return ["no_text"]
    allowed = set(entity_types)
    problems = []
    covered: set[int] = set()
    for start, end, label in spans_of(row["ner"]):
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end < len(tokens)):
            problems.append(f"span_out_of_bounds:{start}-{end}")
            continue
        if label not in allowed:
            problems.append(f"unknown_type:{label}")
        positions = set(range(start, end + 1))
        if covered & positions:
            problems.append(f"overlapping_span:{start}-{end}")
        covered |= positions
    return problems
