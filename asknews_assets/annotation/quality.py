"""Annotation quality measured against the hand-annotated gold set.

The gold set (`gold/gold_ner.jsonl`, guideline in `gold/README.md`) holds English news summaries
of the sample corpus plus a harder slice of our own writing, in GLiNER's format. An annotator is
scored on it the way production uses it: its mentions go through the same grounding and span
convention (`align_mentions`) as `annotated_articles`, then are compared with the gold spans:

- micro and per-type precision / recall / F1 over exact (document, start, end, type) matches, with
  the GLiNER evaluator's scoring (`models.evaluation`);
- every error sorted into one kind: a *boundary* error (right type, overlapping but not the same
  tokens), a *type* error (same tokens, another type), *boundary and type*, a *spurious* span (overlaps
  no gold span) and a *missed* gold span (no prediction overlaps it).

Each document has a fixed `split`: `dev` (what rules may be developed against) or `heldout`
(assigned by a hash of the id before any rule was written; the figure to report).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asknews_assets.annotation.backends import Annotation, Document
from asknews_assets.annotation.spans import Span, align_mentions, split_words
from asknews_assets.models.evaluation import Scores, micro_scores, per_type_scores

GOLD_SET_PATH = Path(__file__).with_name("gold") / "gold_ner.jsonl"
GOLD_SPLITS = ("dev", "heldout")
GOLD_SLICES = ("sample", "hard")
ERROR_KINDS = ("boundary", "type", "boundary_and_type", "spurious", "missed")


class InvalidGoldSet(ValueError):
    """The gold file is unreadable or a document in it breaks the format."""


@dataclass(frozen=True)
class GoldDocument:
    id: str
    slice: str
    split: str
    text: str
    tokens: tuple[str, ...]
    spans: tuple[Span, ...]


def gold_problems(row: dict[str, Any], entity_types: Iterable[str]) -> list[str]:
    """What is wrong with one gold row: tokens that are not the text's, spans out of bounds,
    overlapping or typed outside the schema, an unknown slice or split."""
    problems = []
    tokens = row.get("tokenized_text") or []
    if [t.text for t in split_words(row.get("text") or "")] != list(tokens) or not tokens:
        problems.append("tokens_do_not_match_text")
    if row.get("slice") not in GOLD_SLICES or row.get("split") not in GOLD_SPLITS:
        problems.append(f"slice_or_split:{row.get('slice')}/{row.get('split')}")
    allowed, covered = set(entity_types), set()
    for span in row.get("ner") or []:
        start, end, label = span
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end < len(tokens)):
            problems.append(f"span_out_of_bounds:{start}-{end}")
            continue
        if label not in allowed:
            problems.append(f"unknown_type:{label}")
        if covered & set(range(start, end + 1)):
            problems.append(f"overlapping_span:{start}-{end}")
        covered |= set(range(start, end + 1))
    return problems


def load_gold_set(
    path: str | Path | None = None, *, entity_types: Iterable[str] | None = None, split: str | None = None
) -> list[GoldDocument]:
    """The gold documents (all, or one split); a malformed row is an error naming the document.
    With `entity_types`, spans of other types are dropped (a project using a subset of the schema)."""
    from asknews_assets.annotation.schema import load_entity_schema

    source = Path(path) if path else GOLD_SET_PATH
    schema_names = load_entity_schema().names
    wanted = set(entity_types) if entity_types is not None else None
    documents = []
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise InvalidGoldSet(f"cannot read the gold set {source}: {error}") from error
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise InvalidGoldSet(f"{source}:{number}: not JSON: {error}") from error
        if problems := gold_problems(row, schema_names):
            raise InvalidGoldSet(f"{source}:{number} ({row.get('id')}): {problems[:5]}")
        if split is not None and row["split"] != split:
            continue
        spans = tuple((s, e, t) for s, e, t in row["ner"] if wanted is None or t in wanted)
        documents.append(GoldDocument(row["id"], row["slice"], row["split"], row["text"], tuple(row["tokenized_text"]), spans))
    return documents


@dataclass(frozen=True)
class QualityReport:
    documents: int
    micro: Scores
    per_type: dict[str, Scores]
    errors: dict[str, int]
    confusions: list[tuple[str, str, int]] = field(default_factory=list)  # (gold type, predicted type, count)
    failed_documents: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "precision": round(self.micro.precision, 4),
            "recall": round(self.micro.recall, 4),
            "f1": round(self.micro.f1, 4),
            "gold_spans": self.micro.gold,
            "predicted_spans": self.micro.predicted,
            **{f"{kind}_errors": self.errors[kind] for kind in ERROR_KINDS},
            "failed_documents": self.failed_documents,
        }

    def confusion_rows(self, limit: int = 20) -> list[dict[str, Any]]:
        """The most frequent (gold type, predicted type) confusions."""
        return [{"gold": g, "predicted": p, "count": n} for g, p, n in self.confusions[:limit]]

    def per_type_rows(self) -> list[dict[str, Any]]:
        return [
            {"entity_type": label, "precision": round(s.precision, 3), "recall": round(s.recall, 3), "f1": round(s.f1, 3), "gold": s.gold, "predicted": s.predicted}
            for label, s in sorted(self.per_type.items(), key=lambda item: (-item[1].gold, item[0]))
        ]


def classify_errors(gold: Sequence[Span], predicted: Sequence[Span]) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """Error kinds of one document, and (gold type, predicted type) confusions of type errors."""
    errors: Counter[str] = Counter()
    confusions: Counter[tuple[str, str]] = Counter()
    gold_set, predicted_set = set(gold), set(predicted)

    def overlapping(span: Span, others: Iterable[Span]) -> list[Span]:
        return [o for o in others if o[0] <= span[1] and span[0] <= o[1]]

    for span in predicted_set - gold_set:
        near = overlapping(span, gold)
        if not near:
            errors["spurious"] += 1
        elif any(g[:2] == span[:2] for g in near):
            errors["type"] += 1
            confusions[(next(g[2] for g in near if g[:2] == span[:2]), span[2])] += 1
        elif any(g[2] == span[2] for g in near):
            errors["boundary"] += 1
        else:
            errors["boundary_and_type"] += 1
    errors["missed"] = sum(1 for span in gold_set - predicted_set if not overlapping(span, predicted))
    return errors, confusions


def score_spans(gold: Sequence[Sequence[Span]], predicted: Sequence[Sequence[Span]], failed_documents: int = 0) -> QualityReport:
    """The report for predicted spans against gold spans, documents aligned by position."""
    errors: Counter[str] = Counter(dict.fromkeys(ERROR_KINDS, 0))
    confusions: Counter[tuple[str, str]] = Counter()
    for gold_spans, predicted_spans in zip(gold, predicted, strict=True):
        document_errors, document_confusions = classify_errors(list(gold_spans), list(predicted_spans))
        errors.update(document_errors)
        confusions.update(document_confusions)
    return QualityReport(
        len(gold),
        micro_scores(gold, predicted),
        per_type_scores(gold, predicted),
        dict(errors),
        [(g, p, n) for (g, p), n in confusions.most_common()],
        failed_documents,
    )


def grounded_spans(document: GoldDocument, annotation: Annotation | None, entity_types: Sequence[str]) -> list[Span]:
    """The annotation grounded as `annotated_articles` grounds it (same alignment, same convention)."""
    if annotation is None or not annotation.ok:
        return []
    return align_mentions(document.text, split_words(document.text), annotation.mentions, entity_types).spans


def score_annotations(
    documents: Sequence[GoldDocument], annotations: Sequence[Annotation], entity_types: Sequence[str]
) -> QualityReport:
    by_key = {a.key: a for a in annotations}
    predicted = [grounded_spans(d, by_key.get(d.id), entity_types) for d in documents]
    failed = sum(1 for d in documents if d.id not in by_key or not by_key[d.id].ok)
    return score_spans([list(d.spans) for d in documents], predicted, failed)


def gold_documents_for(documents: Sequence[GoldDocument]) -> list[Document]:
    """The gold texts as annotator input, keyed by gold id."""
    return [Document(d.id, d.text) for d in documents]


def quality_rows(reports: dict[str, QualityReport]) -> list[dict[str, Any]]:
    """One row per named report (e.g. per split), for a metadata table or the warehouse."""
    return [{"part": name, **report.summary()} for name, report in reports.items()]


QUALITY_PARTS = ("heldout", "dev", "all")


def evaluate_on_gold(
    annotate: Callable[[list[Document]], list[Annotation]], entity_types: Sequence[str], path: str | Path | None = None
) -> dict[str, QualityReport]:
    """Reports of one annotator on the gold set: the held-out split (the figure to quote), the dev
    split and both. `annotate` is called once with every gold text; gold spans of types outside
    `entity_types` are left out, so a narrowed schema is not charged for types it cannot use."""
    documents = load_gold_set(path, entity_types=entity_types)
    annotations = annotate(gold_documents_for(documents))
    parts = {"heldout": [d for d in documents if d.split == "heldout"], "dev": [d for d in documents if d.split == "dev"], "all": documents}
    return {name: score_annotations(docs, annotations, entity_types) for name, docs in parts.items()}
