"""Exact span+type metrics on hand-computed answers, and progress while a model runs over a benchmark."""

import pytest

from asknews_assets.models.benchmarks import NerExample
from asknews_assets.models.evaluation import evaluate_examples, micro_scores, per_type_scores


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
