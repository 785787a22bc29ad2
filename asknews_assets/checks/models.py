"""Checks of the model layer: registered models are complete folders, evaluations are complete."""

from pathlib import Path

from dagster import AssetCheckResult, asset_check

from asknews_assets.assets.models import FINETUNED_GLINER, MODEL_EVALUATION
from asknews_assets.metadata import md
from asknews_assets.resources.warehouse import Warehouse
from asknews_assets.storage import table_exists

# What GLiNER.from_pretrained(folder) needs, with nothing else at hand.
MODEL_FILES = ("model.safetensors", "gliner_config.json", "tokenizer.json", "tokenizer_config.json")


@asset_check(asset=FINETUNED_GLINER, description="every registered model folder holds weights, config and tokenizer")
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
    asset=MODEL_EVALUATION, description="each benchmark scored for both base and fine-tuned model, metrics in [0, 1]"
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
