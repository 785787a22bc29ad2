"""NER evaluation: exact span+type micro P/R/F1, and running a model over a benchmark.

Scoring follows GLiNER's own evaluator (gliner/evaluation): a prediction counts only when
document, first token, last token and type all match a gold span; micro-averaged over all spans of
all documents, with 0.0 where a ratio is undefined. Inference is flat NER at a fixed threshold.
The benchmark files themselves are read by `benchmarks`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from asknews_assets.models.benchmarks import NerExample


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    true_positives: int
    predicted: int
    gold: int

    @classmethod
    def from_counts(cls, true_positives: int, predicted: int, gold: int) -> Scores:
        precision = true_positives / predicted if predicted else 0.0
        recall = true_positives / gold if gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return cls(precision, recall, f1, true_positives, predicted, gold)


def _span_sets(documents: Sequence[Iterable[Sequence[Any]]]) -> set[tuple[int, int, int, str]]:
    return {(doc, int(s), int(e), str(t)) for doc, spans in enumerate(documents) for s, e, t in spans}


def micro_scores(gold: Sequence[Iterable[Sequence[Any]]], predicted: Sequence[Iterable[Sequence[Any]]]) -> Scores:
    """Micro P/R/F1 over exact (document, start, end, type) matches; documents align by position."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold documents but {len(predicted)} predicted")
    gold_set, predicted_set = _span_sets(gold), _span_sets(predicted)
    return Scores.from_counts(len(gold_set & predicted_set), len(predicted_set), len(gold_set))


def per_type_scores(
    gold: Sequence[Iterable[Sequence[Any]]], predicted: Sequence[Iterable[Sequence[Any]]]
) -> dict[str, Scores]:
    """Scores of each entity type seen in gold or predictions, sorted by type."""
    by_type: dict[str, dict[str, set]] = defaultdict(lambda: {"gold": set(), "predicted": set()})
    for side, documents in (("gold", gold), ("predicted", predicted)):
        for span in _span_sets(documents):
            by_type[span[3]][side].add(span)
    return {
        label: Scores.from_counts(len(sets["gold"] & sets["predicted"]), len(sets["predicted"]), len(sets["gold"]))
        for label, sets in sorted(by_type.items())
    }


# --- running a model -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationResult:
    scores: Scores
    per_type: dict[str, Scores]
    n_docs: int


Progress = Callable[[int, int, float], None]  # (sentences done, sentences in all, seconds so far)


def evaluate_examples(
    model: Any,
    examples: Sequence[NerExample],
    labels: Sequence[str],
    threshold: float = 0.5,
    batch_size: int = 8,
    progress: Progress | None = None,
    progress_every: int = 200,
) -> EvaluationResult:
    """Predict with the project's batched, windowed path and score against the gold spans; `progress` is
    called after every `progress_every` sentences (and at the end), so a long run shows where it is."""
    from asknews_assets.models.inference import predict_token_spans

    gold = [example.spans for example in examples]
    predicted: list[list[tuple[int, int, str]]] = []
    started = time.perf_counter()
    step = max(progress_every, batch_size)
    for first in range(0, len(examples), step):
        chunk = [example.tokens for example in examples[first : first + step]]
        predicted.extend(predict_token_spans(model, chunk, labels, threshold, batch_size))
        if progress is not None:
            progress(len(predicted), len(examples), time.perf_counter() - started)
    return EvaluationResult(micro_scores(gold, predicted), per_type_scores(gold, predicted), len(examples))
