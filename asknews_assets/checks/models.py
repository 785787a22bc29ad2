"""Checks of the model layer: registered models are complete folders, evaluations are complete, and
a fine-tuned model is not worse than its base on the dataset's test split.

All three are blocking: `published_models` publishes a model version only once they passed on its
`finetuned_gliner` and `model_evaluation` materializations (see asknews_assets.releases).
"""

from pathlib import Path

from dagster import AssetCheckResult, asset_check

from asknews_assets.assets.models import FINETUNED_GLINER, MODEL_EVALUATION
from asknews_assets.metadata import md
from asknews_assets.warehouse.resource import Warehouse
from asknews_assets.warehouse.storage import table_exists

# The held-out benchmark of the gate: the dataset's test split (never trained on, same distribution).
GATE_BENCHMARK = "test"
# How much F1 a fine-tuned model may lose to its base there and still be published: the test split
# holds tens to hundreds of documents, whose F1 moves by about this much between equally good models.
MAX_F1_DROP = 0.02
# What GLiNER.from_pretrained(folder) needs, with nothing else at hand.
MODEL_FILES = ("model.safetensors", "gliner_config.json", "tokenizer.json", "tokenizer_config.json")


@asset_check(
    asset=FINETUNED_GLINER, blocking=True, description="every registered model folder holds weights, config and tokenizer"
)
def finetuned_model_folders_complete(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if not table_exists(conn, "finetuned_models"):
            return AssetCheckResult(passed=False, metadata={"error": "finetuned_models does not exist"})
        models = conn.execute("SELECT variant, model_version, model_path FROM finetuned_models").fetchall()
    incomplete = [
        f"{variant}/{version}: missing {', '.join(missing)}"
        for variant, version, path in models
        if (missing := [name for name in MODEL_FILES if not (Path(path) / name).is_file()])
    ]
    return AssetCheckResult(
        passed=not incomplete, metadata={"models_checked": len(models), "incomplete": "\n".join(incomplete[:20])}
    )


@asset_check(
    asset=MODEL_EVALUATION,
    blocking=True,
    description="each benchmark scored for both base and fine-tuned model, metrics in [0, 1]",
)
def model_evaluations_complete(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if not table_exists(conn, "model_evaluations"):
            return AssetCheckResult(passed=False, metadata={"error": "model_evaluations does not exist"})
        broken = conn.execute(
            """
            SELECT variant, model_version, benchmark, count(DISTINCT model) AS models,
                   bool_and(precision BETWEEN 0 AND 1 AND recall BETWEEN 0 AND 1 AND f1 BETWEEN 0 AND 1) AS in_range
            FROM model_evaluations GROUP BY ALL
            HAVING models != 2 OR NOT in_range
            """
        ).df()
        checked = conn.execute("SELECT count(*) FROM model_evaluations").fetchone()[0]
    return AssetCheckResult(
        passed=broken.empty, metadata={"rows_checked": checked, "broken": md(broken.head(20))}
    )


@asset_check(
    asset=MODEL_EVALUATION,
    blocking=True,
    description=f"the latest fine-tuned version of each variant loses at most {MAX_F1_DROP} F1 to its base on the '{GATE_BENCHMARK}' split",
)
def finetuned_not_worse_than_base(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if not table_exists(conn, "model_evaluations"):
            return AssetCheckResult(passed=False, metadata={"error": "model_evaluations does not exist"})
        latest = (
            "(SELECT variant, arg_max(model_version, created_at) AS model_version FROM finetuned_models GROUP BY variant)"
            if table_exists(conn, "finetuned_models")
            else "(SELECT DISTINCT variant, model_version FROM model_evaluations)"
        )
        compared = conn.execute(
            f"""
            SELECT l.variant, l.model_version,
                   max(f1) FILTER (WHERE e.model = 'base') AS base_f1, max(f1) FILTER (WHERE e.model = 'finetuned') AS finetuned_f1
            FROM {latest} l LEFT JOIN model_evaluations e
                 ON e.variant = l.variant AND e.model_version = l.model_version AND e.benchmark = ?
            GROUP BY ALL ORDER BY ALL
            """,
            [GATE_BENCHMARK],
        ).df()
    missing = compared[compared["base_f1"].isna() | compared["finetuned_f1"].isna()]
    worse = compared[compared["finetuned_f1"] < compared["base_f1"] - MAX_F1_DROP]
    return AssetCheckResult(
        passed=missing.empty and worse.empty and not compared.empty,
        metadata={
            "benchmark": GATE_BENCHMARK,
            "max_f1_drop": MAX_F1_DROP,
            "versions_checked": len(compared),
            "without_both_scores": missing.to_string(),
            "worse_than_base": worse.to_string(),
        },
    )
