"""Checks of the model layer: registered models are complete folders, evaluations are complete, and
a fine-tuned model is not worse than its base on the dataset's test split.

All three are blocking: `published_models` publishes a model version only once they passed on its
`finetuned_gliner` and `model_evaluation` materializations (see asknews_assets.releases).
"""

from pathlib import Path

from dagster import AssetCheckResult, asset_check

from asknews_assets.dataset.export import TEST
from asknews_assets.metadata import md
from asknews_assets.warehouse import tables
from asknews_assets.warehouse.resource import Warehouse

# The held-out benchmark of the gate: the dataset's test split (never trained on, same distribution).
GATE_BENCHMARK = TEST
# How much F1 a fine-tuned model may lose to its base there and still be published: the test split
# holds tens to hundreds of documents, whose F1 moves by about this much between equally good models.
MAX_F1_DROP = 0.02
# What GLiNER.from_pretrained(folder) needs, with nothing else at hand.
MODEL_FILES = ("model.safetensors", "gliner_config.json", "tokenizer.json", "tokenizer_config.json")


@asset_check(
    asset=tables.FINETUNED_MODELS.key,
    blocking=True,
    description="every registered model folder holds weights, config and tokenizer",
)
def finetuned_model_folders_complete(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if not tables.FINETUNED_MODELS.exists(conn):
            return AssetCheckResult(passed=False, metadata={"error": f"{tables.FINETUNED_MODELS} does not exist"})
        models = conn.execute(f"SELECT variant, model_version, model_path FROM {tables.FINETUNED_MODELS}").fetchall()
    incomplete = [
        f"{variant}/{version}: missing {', '.join(missing)}"
        for variant, version, path in models
        if (missing := [name for name in MODEL_FILES if not (Path(path) / name).is_file()])
    ]
    return AssetCheckResult(
        passed=not incomplete, metadata={"models_checked": len(models), "incomplete": "\n".join(incomplete[:20])}
    )


@asset_check(
    asset=tables.MODEL_EVALUATIONS.key,
    blocking=True,
    description="each benchmark scored for both base and fine-tuned model, metrics in [0, 1]",
)
def model_evaluations_complete(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if not tables.MODEL_EVALUATIONS.exists(conn):
            return AssetCheckResult(passed=False, metadata={"error": f"{tables.MODEL_EVALUATIONS} does not exist"})
        broken = conn.execute(
            f"""
            SELECT variant, model_version, benchmark, count(DISTINCT model) AS models,
                   bool_and(precision BETWEEN 0 AND 1 AND recall BETWEEN 0 AND 1 AND f1 BETWEEN 0 AND 1) AS in_range
            FROM {tables.MODEL_EVALUATIONS} GROUP BY ALL
            HAVING models != 2 OR NOT in_range
            """
        ).df()
        checked = conn.execute(f"SELECT count(*) FROM {tables.MODEL_EVALUATIONS}").fetchone()[0]
    return AssetCheckResult(
        passed=broken.empty, metadata={"rows_checked": checked, "broken": md(broken.head(20))}
    )


@asset_check(
    asset=tables.MODEL_EVALUATIONS.key,
    blocking=True,
    description=f"the latest fine-tuned version of each variant loses at most {MAX_F1_DROP} F1 to its base on the '{GATE_BENCHMARK}' split",
)
def finetuned_not_worse_than_base(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if not tables.MODEL_EVALUATIONS.exists(conn):
            return AssetCheckResult(passed=False, metadata={"error": f"{tables.MODEL_EVALUATIONS} does not exist"})
        latest = (
            f"(SELECT variant, arg_max(model_version, created_at) AS model_version FROM {tables.FINETUNED_MODELS} GROUP BY variant)"
            if tables.FINETUNED_MODELS.exists(conn)
            else f"(SELECT DISTINCT variant, model_version FROM {tables.MODEL_EVALUATIONS})"
        )
        compared = conn.execute(
            f"""
            SELECT l.variant, l.model_version,
                   max(f1) FILTER (WHERE e.model = 'base') AS base_f1, max(f1) FILTER (WHERE e.model = 'finetuned') AS finetuned_f1
            FROM {latest} l LEFT JOIN {tables.MODEL_EVALUATIONS} e
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
