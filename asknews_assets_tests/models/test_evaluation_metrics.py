"""Exact span+type metrics on hand-computed answers, progress while a model runs over a benchmark, and the
before/after evaluation of a variant (suites chosen, rows scored, F1 compared) with stand-in models."""

import json

import pytest

from asknews_assets.models.benchmarks import ZERO_SHOT_BENCHMARKS, Benchmark, BenchmarkScan, NerExample
from asknews_assets.models.evaluation import (
    ZERO_SHOT_AVERAGE,
    EvaluationPlan,
    capped,
    choose_suites,
    compare,
    evaluate_examples,
    evaluate_variant,
    micro_scores,
    per_type_scores,
)


def test_micro_scores_count_exact_span_and_type_per_document():
    gold = [[(0, 1, "person"), (4, 4, "city")], [(2, 3, "organization")]]
    predicted = [
        [(0, 1, "person"), (4, 4, "country")],  # one right, one wrong type
        [(2, 3, "organization"), (5, 5, "city")],  # one right, one spurious
    ]
    scores = micro_scores(gold, predicted)
    assert (scores.true_positives, scores.predicted, scores.gold) == (2, 4, 3)
    assert scores.precision == pytest.approx(0.5)
    assert scores.recall == pytest.approx(2 / 3)
    assert scores.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))


def test_a_span_in_another_document_or_with_other_boundaries_does_not_count():
    gold = [[(0, 1, "person")], []]
    assert micro_scores(gold, [[], [(0, 1, "person")]]).true_positives == 0
    assert micro_scores(gold, [[(0, 0, "person")], []]).f1 == 0.0


def test_no_predictions_give_zeros_not_errors():
    scores = micro_scores([[(0, 0, "city")]], [[]])
    assert (scores.precision, scores.recall, scores.f1) == (0.0, 0.0, 0.0)
    assert micro_scores([[]], [[]]).f1 == 0.0
    with pytest.raises(ValueError, match="2 gold documents but 1 predicted"):
        micro_scores([[], []], [[]])


def test_per_type_scores():
    gold = [[(0, 1, "person"), (4, 4, "city"), (6, 6, "city")]]
    predicted = [[(0, 1, "person"), (4, 4, "city"), (8, 8, "country")]]
    by_type = per_type_scores(gold, predicted)
    assert list(by_type) == ["city", "country", "person"]
    assert by_type["person"].f1 == 1.0
    assert (by_type["city"].precision, by_type["city"].recall) == (1.0, 0.5)
    assert by_type["city"].f1 == pytest.approx(2 / 3)
    assert by_type["country"].f1 == 0.0 and by_type["country"].gold == 0


class EchoModel:
    """Stands in for GLiNER: predicts the first word of every text as a person."""

    def __init__(self):
        self.calls = 0

    def predict(self, texts):
        self.calls += 1
        return [[(0, 0, "person")] if tokens else [] for tokens in texts]


def test_evaluate_examples_reports_progress_in_chunks(monkeypatch):
    model = EchoModel()
    import asknews_assets.models.inference as inference

    monkeypatch.setattr(
        inference, "predict_token_spans", lambda m, texts, labels, threshold, batch_size: m.predict(texts)
    )
    examples = [NerExample(["Ana", "spoke"], [(0, 0, "person")]) for _ in range(5)]
    seen = []
    result = evaluate_examples(model, examples, ["person"], batch_size=2, progress=lambda *a: seen.append(a[:2]),
                               progress_every=2)  # fmt: skip
    assert seen == [(2, 5), (4, 5), (5, 5)] and model.calls == 3
    assert result.n_docs == 5 and result.scores.f1 == 1.0


# --- one variant before and after fine-tuning: plain functions, no materialisation --------------


def _row(benchmark: str, model: str, f1: float) -> dict:
    return {"variant": "small", "model_version": "v1", "benchmark": benchmark, "model": model, "f1": f1}


def test_compare_pivots_base_and_finetuned_with_deltas_and_averages():
    names = ["test", *ZERO_SHOT_BENCHMARKS]
    rows = [_row(name, model, f1) for i, name in enumerate(names)
            for model, f1 in (("base", 0.1 * i), ("finetuned", 0.1 * i + 0.05))]  # fmt: skip
    comparison = compare(list(reversed(rows)), names)
    table = comparison.table.set_index("benchmark")
    assert list(table.index) == [*names, "average (all)", ZERO_SHOT_AVERAGE]
    assert list(table.columns) == ["base", "finetuned", "delta"]
    assert table.loc["CrossNER_AI", "delta"] == pytest.approx(0.05)
    assert comparison.average == pytest.approx({"base": 0.35, "finetuned": 0.4, "delta": 0.05})
    assert comparison.zero_shot_sets == 7
    assert comparison.zero_shot_average == pytest.approx({"base": 0.4, "finetuned": 0.45})
    assert table.loc[ZERO_SHOT_AVERAGE, "base"] == pytest.approx(0.4)


def test_compare_names_a_partial_zero_shot_average_and_leaves_a_missing_one_empty():
    rows = [_row(name, model, f1) for name in ("test", "CrossNER_AI", "mit-movie")
            for model, f1 in (("base", 0.2), ("finetuned", 0.6))]  # fmt: skip
    partial = compare(rows, ["test", "CrossNER_AI", "mit-movie"])
    assert list(partial.table["benchmark"])[-1] == "Average (zero-shot, 2 of 7 sets)"
    assert partial.zero_shot_sets == 2 and partial.zero_shot_average == pytest.approx({"base": 0.2, "finetuned": 0.6})
    alone = compare(rows[:2], ["test"])
    assert list(alone.table["benchmark"]) == ["test", "average (all)"]
    assert alone.zero_shot_sets == 0 and alone.zero_shot_average == {"base": None, "finetuned": None}
    nothing = compare([], [])
    assert nothing.average == {"base": None, "finetuned": None, "delta": None}


class _Export:
    """Stands in for a loaded dataset export: version, entity types and splits by name."""

    version = "synthetic-v1"
    entity_types = ["city", "person"]
    splits = {
        "test": [{"tokenized_text": ["Ana", "saw", "Rome"], "ner": [[0, 0, "person"], [2, 2, "city"]]}] * 3,
        "test_heldout_topics": [],
    }

    def split(self, name):
        return self.splits.get(name) or []


def _benchmark(name: str, sentences: int) -> Benchmark:
    examples = [NerExample(["Ana", "spoke"], [(0, 0, "person")]) for _ in range(sentences)]
    return Benchmark(name, examples, ["person"], f"/b/{name}.bio", "bio", {"unaligned": 1})


def test_choose_suites_runs_dataset_splits_whole_and_caps_and_filters_the_folder(tmp_path):
    scan = BenchmarkScan([_benchmark("CrossNER_AI", 5), _benchmark("test", 2), _benchmark("conll", 1)],
                         {"/b/notes.md": "unknown format"})  # fmt: skip
    plan = EvaluationPlan(tmp_path, max_sentences=2, benchmarks=["CrossNER_AI", "test", "mit-movie"])
    suites = choose_suites(_Export(), ("test", "test_heldout_topics"), scan, plan)
    # The empty held-out split is left out; the dataset's test split is never capped.
    assert [(b.name, b.format, len(b.examples)) for b in suites.run] == [("test", "dataset", 3), ("CrossNER_AI", "bio", 2)]
    assert suites.run[0].labels == ["city", "person"] and suites.run[0].source == "synthetic-v1:test"
    assert [b.name for b in suites.external] == ["CrossNER_AI"] and len(suites.external[0].examples) == 5
    assert suites.skipped == {"/b/notes.md": "unknown format", "/b/test.bio": "its name is that of a dataset split",
                              "/b/conll.bio": "not in the configured benchmarks"}  # fmt: skip
    assert suites.missing == ["mit-movie", "test"]
    assert scan.skipped == {"/b/notes.md": "unknown format"}  # the scan itself is left as read
    assert capped(suites.external[0], 0) is suites.external[0]


class _Model:
    """Stands in for GLiNER: tags the first word of every text as a person, or predicts nothing."""

    def __init__(self, finds: bool):
        self.finds = finds

    def predict(self, texts):
        return [[(0, 0, "person")] if self.finds and tokens else [] for tokens in texts]


def test_evaluate_variant_scores_both_models_on_every_suite(tmp_path, monkeypatch):
    import asknews_assets.models.inference as inference

    monkeypatch.setattr(
        inference, "predict_token_spans", lambda m, texts, labels, threshold, batch_size: m.predict(texts)
    )
    (tmp_path / "CrossNER_AI.bio").write_text("Ana B-PER\nspoke O\n\nBo B-PER\nsang O\n", encoding="utf-8")
    loaded, logs, warnings = [], [], []

    def loader(name: str, finds: bool):
        return lambda: loaded.append(name) or _Model(finds)

    result = evaluate_variant(
        "small", "v1", {"base": loader("base", False), "finetuned": loader("finetuned", True)}, _Export(),
        ("test", "test_heldout_topics"), EvaluationPlan(tmp_path, max_sentences=1, benchmarks=["CrossNER_AI", "nope"]),
        logs.append, warnings.append,
    )  # fmt: skip
    assert loaded == ["base", "finetuned"]
    assert [(r["benchmark"], r["model"], r["n_docs"], r["max_sentences"]) for r in result.rows] == [
        ("test", "base", 3, None), ("CrossNER_AI", "base", 1, 1),
        ("test", "finetuned", 3, None), ("CrossNER_AI", "finetuned", 1, 1),
    ]  # fmt: skip
    finetuned_test = result.rows[2]
    assert (finetuned_test["precision"], finetuned_test["recall"]) == (1.0, 0.5)
    assert json.loads(finetuned_test["per_type"]) == {"city": 0.0, "person": 1.0}
    assert result.rows[3]["f1"] == 1.0 and result.rows[3]["n_entities"] == 1
    assert result.test_per_type == [{"type": "city", "base": 0.0, "finetuned": 0.0},
                                    {"type": "person", "base": 0.0, "finetuned": 1.0}]  # fmt: skip
    assert result.comparison.table.set_index("benchmark").loc["CrossNER_AI", "delta"] == 1.0
    assert result.comparison.zero_shot_sets == 1
    assert result.benchmarks_read[0]["benchmark"] == "CrossNER_AI" and result.benchmarks_read[0]["sentences"] == 2
    assert warnings == [f"configured benchmarks not found in {tmp_path}: nope"]
    assert "finetuned on CrossNER_AI: 1/1 sentences" in "\n".join(logs)
