"""finetuned_gliner and model_evaluation through dagster.materialize: offline base model, a tiny
synthetic dataset found through a stub dataset_splits materialization, a temporary warehouse."""

import json
import shutil
from pathlib import Path

import pytest
from dagster import PipesSubprocessClient, build_asset_context, materialize
from gliner import GLiNER

from asknews_assets.assets.models import dataset_path, finetuned_gliner, model_evaluation
from asknews_assets.checks.models import finetuned_model_folders_complete, model_evaluations_complete
from asknews_assets.models.benchmarks import ZERO_SHOT_BENCHMARKS
from asknews_assets.dataset.export import DatasetExportMissing
from asknews_assets.models.inference import GlinerModelUnavailable
from asknews_assets.models.offline import OFFLINE_BASE_MODEL
from asknews_assets.resources.models import HubGlinerBaseModels, OfflineGlinerBaseModels
from asknews_assets.warehouse import tables
from asknews_assets.resources import build_resources
from asknews_assets.settings import Settings
from asknews_assets_tests.support.data.synthetic_ner import FEW_STEPS, SIZES, write_synthetic_dataset
from asknews_assets_tests.support.fakes.upstream import stub_dataset_splits

FIXTURES = Path(__file__).parents[1] / "fixtures" / "benchmarks"


def test_finetune_then_evaluate_before_and_after(data_dir, tmp_path, instance, warehouse):
    export = write_synthetic_dataset(data_dir / "datasets" / "synthetic-v1", sizes=SIZES, sentences=(1, 2))
    assert materialize([stub_dataset_splits(export)], instance=instance).success
    # The seven zero-shot sets in their repositories' layouts (fixtures/benchmarks/), and a CoNLL file.
    benchmarks = tmp_path / "benchmarks"
    shutil.copytree(FIXTURES, benchmarks)
    (benchmarks / "conll_tiny.bio").write_text("Angela B-PER\nMerkel I-PER\nspoke O\n\nRome B-LOC\n", encoding="utf-8")
    # A folder named like a dataset split is reported, not evaluated, and not counted as found.
    (benchmarks / "test").mkdir()
    (benchmarks / "test" / "test.txt").write_text("Rome B-LOC\n", encoding="utf-8")
    resources = {
        "warehouse": warehouse,
        "gliner_base_models": OfflineGlinerBaseModels(max_len=24),
        "training_pipes": PipesSubprocessClient(),
    }

    trained = materialize(
        [finetuned_gliner, finetuned_model_folders_complete],
        partition_key="small",
        instance=instance,
        resources=resources,
        run_config={"ops": {"finetuned_gliner": {"config": FEW_STEPS}}},
    )
    assert [c.passed for c in trained.get_asset_check_evaluations()] == [True]
    metadata = trained.asset_materializations_for_node("finetuned_gliner")[0].metadata
    version, model_path = metadata["model_version"].value, Path(metadata["model_path"].value)
    assert model_path == data_dir.resolve() / "models" / "gliner-small" / version
    assert version.startswith("synthetic-v1-")
    assert metadata["steps"].value == 2 and metadata["data_version"].value == "synthetic-v1"
    assert metadata["base_model"].value == OFFLINE_BASE_MODEL and metadata["parameters"].value > 20_000_000
    assert "data:image/png;base64" in metadata["loss_curve"].value
    assert not (model_path / "checkpoints").exists()
    assert GLiNER.from_pretrained(str(model_path)).config.max_len == 24
    with warehouse.get_connection() as conn:
        registry = conn.execute(f"SELECT variant, model_version, model_path, steps FROM {tables.FINETUNED_MODELS}").fetchall()
    assert registry == [("small", version, str(model_path), 2)]

    quick = {"benchmark_dir": str(benchmarks), "max_sentences": 1}

    def evaluate():
        result = materialize(
            [model_evaluation, model_evaluations_complete],
            partition_key="small",
            instance=instance,
            resources=resources,
            run_config={"ops": {"model_evaluation": {"config": quick}}},
        )
        assert [c.passed for c in result.get_asset_check_evaluations()] == [True]
        logs = [e.user_message for e in instance.all_logs(result.run_id)]
        return result.asset_materializations_for_node("model_evaluation")[0].metadata, logs

    evaluated, logs = evaluate()
    assert evaluated["model_version"].value == version
    assert evaluated["benchmarks_found"].value == 10 and evaluated["zero_shot_sets"].value == 7
    assert evaluated["max_sentences"].value == 1
    table = evaluated["benchmarks"].value
    assert "conll_tiny" in table and "test_heldout_topics" in table and "Average (zero-shot, 7 sets)" in table
    read = evaluated["benchmarks_read"].value
    assert "programming language" in read and "programlang" not in read and "1 unmatched answer" in read
    assert evaluated["dropped_entities"].value == 3  # 1 unaligned, 1 unmatched answer, 1 invalid span
    assert "base on CrossNER_AI: 1/1 sentences" in "\n".join(logs)
    assert "its name is that of a dataset split" in evaluated["benchmark_files_skipped"].value
    assert "| type |" in evaluated["test_per_type_f1"].value
    evaluate()  # a re-materialisation replaces its rows
    with warehouse.get_connection() as conn:
        rows = conn.execute(
            f"SELECT benchmark, model, n_docs, f1, per_type FROM {tables.MODEL_EVALUATIONS} ORDER BY benchmark, model"
        ).fetchall()
        dropped = dict(conn.execute(
            f"SELECT benchmark, dropped_entities FROM {tables.MODEL_EVALUATIONS} WHERE model = 'base' AND dropped_entities > 0"
        ).fetchall())  # fmt: skip
    assert len(rows) == 2 * 12
    assert {(b, n) for b, m, n, _, _ in rows if m == "base"} == {
        *((name, 1) for name in ZERO_SHOT_BENCHMARKS), ("conll_tiny", 1), ("gliner_news", 1), ("newswire", 1),
        ("test", 4), ("test_heldout_topics", 3),  # the dataset's own splits are never capped
    }  # fmt: skip
    assert dropped == {"CrossNER_literature": 1, "CrossNER_science": 1, "gliner_news": 1}
    assert all(0.0 <= f1 <= 1.0 for *_, f1, _ in rows)
    # Two steps teach the model nothing yet: it predicts nothing, and that is reported honestly as zeros.
    test_finetuned = next(r for r in rows if r[:2] == ("test", "finetuned"))
    assert set(json.loads(test_finetuned[4])) == {"city", "country", "organization", "person"}


def test_without_a_dataset_the_error_names_the_asset_to_materialize(instance):
    with pytest.raises(DatasetExportMissing, match="materialize the 'dataset_splits' asset"):
        dataset_path(build_asset_context(instance=instance), "")


def test_a_base_model_that_cannot_load_names_its_setting(tmp_path):
    with pytest.raises(GlinerModelUnavailable, match=r"HubGlinerBaseModels\.medium \(env ASKNEWS_GLINER_BASE_MEDIUM\)"):
        HubGlinerBaseModels(medium=str(tmp_path / "missing")).load("medium")
    with pytest.raises(ValueError, match="not a model variant"):
        OfflineGlinerBaseModels().load("huge")


def test_resources_per_deployment(monkeypatch):
    monkeypatch.setenv("ASKNEWS_GLINER_BASE_LARGE", "/models/my-large")
    production = build_resources(Settings.from_env(deployment="production"))["gliner_base_models"]
    assert production.reference("small") == "urchade/gliner_small-v2.1"
    assert production.reference("large") == "/models/my-large"
    assert isinstance(build_resources(Settings.from_env(deployment="local"))["gliner_base_models"], OfflineGlinerBaseModels)
