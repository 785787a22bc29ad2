"""The model publication gate gates (class 9): its checks are blocking, and a fine-tuned model that
is worse than its base on the test split beyond the tolerance fails it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from asknews_assets.checks.models import MAX_F1_DROP, finetuned_not_worse_than_base
from asknews_assets.definitions import defs
from asknews_assets.releases import blocking_check_keys
from asknews_assets.warehouse import tables


def test_the_checks_the_model_gate_relies_on_are_blocking():
    repository = defs.get_repository_def()
    assert {k.name for k in blocking_check_keys(repository, tables.FINETUNED_MODELS.key)} >= {"finetuned_model_folders_complete"}
    assert {k.name for k in blocking_check_keys(repository, tables.MODEL_EVALUATIONS.key)} >= {
        "model_evaluations_complete",
        "finetuned_not_worse_than_base",
    }


def _seed(warehouse, scores: dict[str, tuple[float, float]]) -> None:
    """Model versions of the small variant (oldest first) with (base, fine-tuned) F1 on the test split."""
    start = datetime(2024, 5, 1, tzinfo=timezone.utc)
    models = [
        {"variant": "small", "model_version": version, "model_path": "/m", "base_model": "b", "data_version": "v",
         "steps": 1, "train_seconds": 1.0, "created_at": start + timedelta(days=i)}
        for i, version in enumerate(scores)
    ]  # fmt: skip
    evaluations = [
        {"variant": "small", "model_version": version, "benchmark": benchmark, "model": model, "precision": f1,
         "recall": f1, "f1": f1, "n_docs": 50, "per_type": "{}"}
        for version, (base, tuned) in scores.items()
        for benchmark in ("test", "crossner_ai")
        for model, f1 in (("base", base), ("finetuned", tuned))
    ]  # fmt: skip
    with warehouse.get_connection() as conn:
        tables.FINETUNED_MODELS.replace(conn, models)
        tables.MODEL_EVALUATIONS.replace(conn, evaluations)


@pytest.mark.parametrize(
    ("scores", "passed"),
    [
        ({"m-1": (0.40, 0.55)}, True),
        ({"m-1": (0.40, 0.40 - MAX_F1_DROP / 2)}, True),  # within the tolerance
        ({"m-1": (0.40, 0.30)}, False),
        ({"m-1": (0.40, 0.30), "m-2": (0.40, 0.50)}, True),  # only the latest version is gated
        ({"m-1": (0.40, 0.50), "m-2": (0.40, 0.30)}, False),
    ],
)
def test_a_finetuned_model_worse_than_its_base_fails_the_gate(warehouse, scores, passed):
    _seed(warehouse, scores)
    result = finetuned_not_worse_than_base(warehouse=warehouse)
    assert result.passed is passed
    assert result.metadata["versions_checked"].value == 1


def test_a_version_without_test_scores_fails_the_gate(warehouse):
    _seed(warehouse, {"m-1": (0.4, 0.5)})
    with warehouse.get_connection() as conn:
        conn.execute(f"DELETE FROM {tables.MODEL_EVALUATIONS} WHERE benchmark = 'test' AND model = 'finetuned'")
    assert finetuned_not_worse_than_base(warehouse=warehouse).passed is False
