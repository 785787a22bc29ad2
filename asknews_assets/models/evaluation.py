"""NER evaluation: exact span+type micro P/R/F1, running a model over a benchmark, and the before/after
evaluation of one fine-tuned variant (the body of `model_evaluation`).

Scoring follows GLiNER's own evaluator (gliner/evaluation): a prediction counts only when
document, first token, last token and type all match a gold span; micro-averaged over all spans of
all documents, with 0.0 where a ratio is undefined. Inference is flat NER at a fixed threshold.
The benchmark files themselves are read by `benchmarks`.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from asknews_assets.dataset.export import TEST
from asknews_assets.models.benchmarks import (
    ZERO_SHOT_BENCHMARKS,
    Benchmark,
    BenchmarkScan,
    NerExample,
    TypeNames,
    dropped_summary,
    examples_from_gliner_rows,
    find_benchmarks,
)

if TYPE_CHECKING:
    from asknews_assets.dataset.export import DatasetExport


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


# --- one variant, before and after fine-tuning ---------------------------------------------------

MODELS = ("base", "finetuned")  # the columns of the comparison, in this order
ZERO_SHOT_AVERAGE = "Average (zero-shot, 7 sets)"


@dataclass(frozen=True)
class EvaluationPlan:
    """What to evaluate on, and how (the settings of model_evaluation)."""

    benchmark_dir: Path
    type_names: TypeNames = field(default_factory=TypeNames.natural)
    threshold: float = 0.5
    batch_size: int = 8
    max_sentences: int = 0  # per benchmark of the folder (the dataset's own splits run whole); 0: all
    benchmarks: Sequence[str] = ()  # benchmarks of the folder to run, by name; empty: all


@dataclass(frozen=True)
class Suites:
    run: list[Benchmark]  # in evaluation order: the dataset's splits, then the folder's benchmarks
    external: list[Benchmark]  # the folder's benchmarks that run, uncapped
    skipped: dict[str, str]  # path -> why it was not read or not run
    missing: list[str]  # configured benchmark names the folder does not hold


def capped(benchmark: Benchmark, max_sentences: int) -> Benchmark:
    """The benchmark's first `max_sentences` sentences; its label set stays the declared one."""
    if not max_sentences or len(benchmark.examples) <= max_sentences:
        return benchmark
    return Benchmark(benchmark.name, benchmark.examples[:max_sentences], benchmark.labels, benchmark.source,
                     benchmark.format, benchmark.dropped)  # fmt: skip


def choose_suites(dataset: DatasetExport, splits: Sequence[str], scan: BenchmarkScan, plan: EvaluationPlan) -> Suites:
    """The dataset's `splits` that hold rows (whole), then the folder's benchmarks the plan asks for
    (capped); a folder benchmark named like a dataset split is skipped, never run in its place."""
    suites = [
        Benchmark(name, examples_from_gliner_rows(dataset.split(name)), list(dataset.entity_types),
                  f"{dataset.version}:{name}", "dataset")  # fmt: skip
        for name in splits
        if dataset.split(name)
    ]
    skipped = dict(scan.skipped)
    external: list[Benchmark] = []
    for benchmark in scan.benchmarks:
        if benchmark.name in splits:
            skipped[benchmark.source] = "its name is that of a dataset split"
        elif plan.benchmarks and benchmark.name not in plan.benchmarks:
            skipped[benchmark.source] = "not in the configured benchmarks"
        else:
            external.append(benchmark)
    missing = sorted(set(plan.benchmarks) - {b.name for b in external})
    return Suites(suites + [capped(b, plan.max_sentences) for b in external], external, skipped, missing)


def score_row(
    variant: str, version: str, benchmark: Benchmark, model: str, evaluation: EvaluationResult, cap: int
) -> dict[str, Any]:
    """One row of the model evaluations table."""
    scores = evaluation.scores
    return {
        "variant": variant,
        "model_version": version,
        "benchmark": benchmark.name,
        "model": model,
        "precision": scores.precision,
        "recall": scores.recall,
        "f1": scores.f1,
        "n_docs": evaluation.n_docs,
        "per_type": json.dumps({label: round(s.f1, 4) for label, s in evaluation.per_type.items()}),
        "n_entities": benchmark.entities,
        "dropped_entities": benchmark.dropped_entities,
        "max_sentences": cap or None,
    }


def _number(value: float) -> float | None:
    """A reported number; None where there was nothing to average."""
    return None if pd.isna(value) else round(float(value), 4)


@dataclass(frozen=True)
class Comparison:
    table: pd.DataFrame  # benchmark, base, finetuned, delta: one row per benchmark, then the averages
    average: dict[str, float | None]  # over all benchmarks: base, finetuned, delta
    zero_shot_sets: int  # how many of the seven zero-shot sets were evaluated
    zero_shot_average: dict[str, float | None]  # over those: base, finetuned


def compare(rows: Sequence[Mapping[str, Any]], order: Sequence[str]) -> Comparison:
    """F1 of the base and the fine-tuned model side by side, per benchmark (in `order`), with the
    average over all of them and over the zero-shot sets of the literature that were evaluated."""
    f1 = pd.DataFrame(list(rows), columns=["benchmark", "model", "f1"]).pivot(index="benchmark", columns="model", values="f1")
    f1 = f1.reindex(index=list(order), columns=list(MODELS))
    f1["delta"] = f1["finetuned"] - f1["base"]
    zero_shot = f1.loc[[name for name in ZERO_SHOT_BENCHMARKS if name in f1.index]]
    averages = {"average (all)": f1.mean()}
    if not zero_shot.empty:
        averages[ZERO_SHOT_AVERAGE if len(zero_shot) == len(ZERO_SHOT_BENCHMARKS)
                 else f"Average (zero-shot, {len(zero_shot)} of 7 sets)"] = zero_shot.mean()  # fmt: skip
    table = pd.concat([f1, pd.DataFrame(averages).T]).rename_axis("benchmark").reset_index().round(4)
    zero_shot_average = zero_shot.mean() if not zero_shot.empty else pd.Series(dtype=float)
    return Comparison(
        table,
        {name: _number(value) for name, value in averages["average (all)"].items()},
        len(zero_shot),
        {name: _number(zero_shot_average.get(name, float("nan"))) for name in MODELS},
    )


def benchmarks_read(external: Sequence[Benchmark]) -> list[dict[str, Any]]:
    """What was read of each benchmark of the folder, label sets in full."""
    return [
        {"benchmark": b.name, "layout": b.format, "sentences": len(b.examples), "entities": b.entities,
         "types": len(b.labels), "dropped entities": dropped_summary(b) or 0, "labels": ", ".join(b.labels),
         "source": b.source}  # fmt: skip
        for b in external
    ]


@dataclass(frozen=True)
class VariantEvaluation:
    rows: list[dict[str, Any]]  # the model evaluations rows: every suite x (base, fine-tuned)
    suites: Suites
    comparison: Comparison
    test_per_type: list[dict[str, Any]]  # F1 per entity type on the dataset's test split, both models
    benchmarks_read: list[dict[str, Any]]
    seconds: float


def evaluate_variant(
    variant: str,
    version: str,
    models: Mapping[str, Callable[[], Any]],
    dataset: DatasetExport,
    splits: Sequence[str],
    plan: EvaluationPlan,
    log: Callable[[str], None] = print,
    warn: Callable[[str], None] = print,
) -> VariantEvaluation:
    """Score each model of `models` (name -> loader; loaded one at a time) on the dataset's `splits`
    and the benchmarks of the plan's folder, and compare them."""
    suites = choose_suites(dataset, splits, find_benchmarks(plan.benchmark_dir, plan.type_names), plan)
    if suites.missing:
        warn(f"configured benchmarks not found in {plan.benchmark_dir}: {', '.join(suites.missing)}")
    rows: list[dict[str, Any]] = []
    test_per_type: dict[str, dict[str, float]] = {}
    started = time.perf_counter()
    for model_name, load in models.items():
        model = load()
        for benchmark in suites.run:

            def progress(done: int, total: int, seconds: float, name: str = benchmark.name) -> None:
                rate = done / seconds if seconds else 0.0
                log(f"{model_name} on {name}: {done}/{total} sentences, {rate:.1f} sentences/s")

            evaluation = evaluate_examples(
                model, benchmark.examples, benchmark.labels, plan.threshold, plan.batch_size, progress
            )
            cap = plan.max_sentences if benchmark.format != "dataset" else 0  # dataset splits run whole
            rows.append(score_row(variant, version, benchmark, model_name, evaluation, cap))
            if benchmark.name == TEST:
                for label, scores in evaluation.per_type.items():
                    test_per_type.setdefault(label, {})[model_name] = round(scores.f1, 4)
        del model  # one model in memory at a time
    return VariantEvaluation(
        rows,
        suites,
        compare(rows, [b.name for b in suites.run]),
        [{"type": label, **values} for label, values in sorted(test_per_type.items())],
        benchmarks_read(suites.external),
        round(time.perf_counter() - started, 1),
    )
