"""The annotation step as one plain function: the diversified sample in, the rows of the four
annotation tables and the figures that describe them out.

Every sampled summary becomes an `annotated_articles` row (GLiNER tokens and grounded spans) or an
`annotation_failures` row with the reason; the schema's types and the annotator's scores on the
gold set are recorded beside them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from asknews_assets.annotation.backends import Annotation, Document
from asknews_assets.annotation.quality import GOLD_SET_PATH, QualityReport, evaluate_on_gold, quality_rows
from asknews_assets.annotation.records import annotated_rows, annotation_stats, entity_type_counts
from asknews_assets.annotation.schema import EntitySchema
from asknews_assets.annotation.spans import normalize_text

Annotate = Callable[[Sequence[Document]], Sequence[Annotation]]

PREVIEW_ENTITIES = 8  # entities shown per document in the preview
MOST_COMMON = 20  # mentions listed in the ungrounded / unattested tables


@dataclass(frozen=True)
class AnnotatedSample:
    """What `annotate_sample` made: table rows and figures, nothing written yet."""

    articles: int
    rows: list[dict[str, Any]]  # annotated_articles
    failures: list[dict[str, Any]]  # annotation_failures
    entity_types: list[dict[str, Any]]  # annotation_entity_types
    quality_rows: list[dict[str, Any]]  # annotation_quality
    quality: dict[str, QualityReport]  # by part; empty when the gold set was not scored
    backend: str
    model: str
    prompt_version: str | None
    cached: int  # answers taken from the LLM cache

    @property
    def failed_entirely(self) -> bool:
        """Articles to annotate, and not one annotated: the step has nothing to hand on."""
        return bool(self.articles) and not self.rows

    @property
    def failures_by_reason(self) -> Counter[str]:
        return Counter(f["reason"] for f in self.failures)

    def failure_message(self) -> str:
        return f"no article of {self.articles} could be annotated by {self.backend} ({self.model}): {dict(self.failures_by_reason)}"

    @cached_property
    def stats(self) -> dict[str, Any]:
        return annotation_stats(self.rows)

    @cached_property
    def type_counts(self) -> dict[str, int]:
        return entity_type_counts(self.rows)

    def most_common_mentions(self, column: str) -> list[tuple[str, int]]:
        """The mentions most often listed in a JSON list column (ungrounded_mentions, unattested_mentions)."""
        return Counter(m for r in self.rows for m in json.loads(r[column])).most_common(MOST_COMMON)

    @property
    def documents_by_entity_count(self) -> dict[int, int]:
        return dict(sorted(Counter(r["n_entities"] for r in self.rows).items()))

    def quality_summary(self) -> list[dict[str, Any]]:
        """The gold-set scores, one row per part, without the provenance columns of the table."""
        return quality_rows(self.quality)

    def preview(self) -> list[dict[str, str]]:
        """Each document's text with its first entities, as people check an annotation by eye."""
        return [
            {
                "article_id": r["article_id"],
                "entities": ", ".join(
                    f"{' '.join(r['tokenized_text'][s : e + 1])} ({t})" for s, e, t in json.loads(r["ner"])[:PREVIEW_ENTITIES]
                ),
                "text": " ".join(r["tokenized_text"]),
            }
            for r in self.rows
        ]


def annotate_sample(
    sample: pd.DataFrame,
    schema: EntitySchema,
    annotate: Annotate,
    *,
    backend: str,
    model: str,
    prompt_version: str | None,
    score_gold_set: bool,
) -> AnnotatedSample:
    """Annotate the summaries of `sample` (warehouse.readers.sample_with_provenance) with `annotate`,
    ground every entity in the tokens and, with `score_gold_set`, score the same annotator on the
    gold set. Articles without a summary or whose answer was unusable become failure rows."""
    articles = sample.to_dict("records")
    texts = {a["article_id"]: normalize_text(a["summary"] or "").strip() for a in articles}
    documents = [Document(a["article_id"], texts[a["article_id"]]) for a in articles if texts[a["article_id"]]]
    annotations = {a.key: a for a in annotate(documents)}
    quality = evaluate_on_gold(annotate, schema.names) if score_gold_set else {}
    # The article's English text (source or translation): every entity must occur in it too.
    references = {a["article_id"]: a["text_en"] if isinstance(a.get("text_en"), str) else None for a in articles}
    rows, failures = annotated_rows(
        articles, texts, annotations, schema.names, backend=backend, model=model, prompt_version=prompt_version,
        references=references,
    )  # fmt: skip
    return AnnotatedSample(
        articles=len(articles),
        rows=rows,
        failures=failures,
        entity_types=[
            {"entity_type": t.name, "description": t.description, "position": i, "schema_version": schema.version}
            for i, t in enumerate(schema)
        ],
        quality_rows=[
            {**row, "annotation_backend": backend, "annotation_model": model, "gold_set": GOLD_SET_PATH.name}
            for row in quality_rows(quality)
        ],
        quality=quality,
        backend=backend,
        model=model,
        prompt_version=prompt_version,
        cached=sum(1 for a in annotations.values() if a.cached),
    )
