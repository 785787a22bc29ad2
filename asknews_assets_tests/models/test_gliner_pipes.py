"""finetuned_gliner as a Dagster Pipes workload (ASKNEWS_TRAINING_RUNNER=pipes): the entrypoint
module trains in a subprocess through PipesSubprocessClient and reports back; the model files and
the metadata are those of the in-process training."""

import json
from pathlib import Path

import pytest
from dagster import MetadataValue, PipesSubprocessClient, materialize

from asknews_assets.assets.models import finetuned_gliner
from asknews_assets.models.pipes import base_models_from, pipes_extras
from asknews_assets.models.training import TrainingSettings
from asknews_assets.resources.models import OfflineGlinerBaseModels, production_pipes_client
from asknews_assets.warehouse import tables
from asknews_assets.resources import build_resources
from asknews_assets.settings import Settings
from asknews_assets_tests.support.data.synthetic_ner import FEW_STEPS, SIZES, write_synthetic_dataset
from asknews_assets_tests.support.fakes.upstream import stub_dataset_splits


def _train(runner: str, data_dir: Path, export: Path, instance, warehouse, monkeypatch):
    monkeypatch.setenv("ASKNEWS_TRAINING_RUNNER", runner)
    monkeypatch.setenv("ASKNEWS_DATA_DIR", str(data_dir))
    resources = {
        "warehouse": warehouse,
        "gliner_base_models": OfflineGlinerBaseModels(max_len=24),
        "training_pipes": PipesSubprocessClient(),
    }
    result = materialize(
        [finetuned_gliner],
        partition_key="small",
        instance=instance,
        resources=resources,
        run_config={"ops": {"finetuned_gliner": {"config": {**FEW_STEPS, "dataset_path": str(export)}}}},
    )
    assert result.success
    return result.asset_materializations_for_node("finetuned_gliner")[0].metadata, result.run_id


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_pipes_training_matches_in_process_training(tmp_path, instance, warehouse, monkeypatch):
    export = write_synthetic_dataset(tmp_path / "datasets" / "synthetic-v1", sizes=SIZES, sentences=(1, 2))
    assert materialize([stub_dataset_splits(export)], instance=instance).success

    local, _ = _train("in_process", tmp_path / "in_process", export, instance, warehouse, monkeypatch)
    piped, run_id = _train("pipes", tmp_path / "pipes", export, instance, warehouse, monkeypatch)

    # The same metadata, key for key and kind for kind; values equal except timings and paths.
    assert {k: type(v) for k, v in piped.items()} == {k: type(v) for k, v in local.items()}
    for key in ("model_version", "base_model", "base_model_backend", "data_version", "steps", "examples",
                "parameters", "settings", "table", "dataset_path"):  # fmt: skip
        assert piped[key] == local[key], key
    local_path, piped_path = Path(local["model_path"].value), Path(piped["model_path"].value)
    assert piped_path == (tmp_path / "pipes").resolve() / "models" / "gliner-small" / piped["model_version"].value
    assert local_path.relative_to((tmp_path / "in_process").resolve()) == piped_path.relative_to((tmp_path / "pipes").resolve())
    # The same model files and configuration (weights and losses differ in the last digits: CPU
    # training is not bit-for-bit reproducible across processes).
    assert _files(piped_path) == _files(local_path) and "model.safetensors" in _files(piped_path)
    for name in ("gliner_config.json", "training.json"):
        piped_json, local_json = (json.loads((path / name).read_text()) for path in (piped_path, local_path))
        assert piped_json.keys() == local_json.keys(), name
    for key in ("settings", "steps", "examples"):  # training.json: the same training, run elsewhere
        assert piped_json[key] == local_json[key], key
    assert json.loads((piped_path / "gliner_config.json").read_text()) == json.loads(
        (local_path / "gliner_config.json").read_text()
    )
    # The metadata really came back through Pipes: the run's logs hold the workload's messages.
    logs = [e.user_message for e in instance.all_logs(run_id)]
    assert any("[pipes] external process successfully opened dagster pipes" in m for m in logs)
    assert any("fine-tuning" in m and "synthetic-v1" in m for m in logs)
    # The registry row points at the model the workload saved.
    with warehouse.get_connection() as conn:
        paths = {row[0] for row in conn.execute(f"SELECT model_path FROM {tables.FINETUNED_MODELS}").fetchall()}
    assert str(piped_path) in paths


def test_pipes_extras_rebuild_the_step_resource():
    base = OfflineGlinerBaseModels(max_len=24, seed=3)
    extras = json.loads(json.dumps(pipes_extras("small", Path("/d"), TrainingSettings(max_steps=2), base, False)))
    rebuilt = base_models_from(extras)
    assert type(rebuilt) is OfflineGlinerBaseModels and rebuilt.model_dump() == base.model_dump()
    with pytest.raises(ValueError, match="GlinerBaseModels"):
        base_models_from({"base_models": {"class": "PipesSubprocessClient", "config": {}}})


def test_production_pipes_training_needs_dagster_k8s(monkeypatch):
    monkeypatch.setenv("ASKNEWS_TRAINING_RUNNER", "pipes")
    try:
        from dagster_k8s import PipesK8sClient
    except ImportError:
        with pytest.raises(ImportError, match=r"asknews-assets\[k8s\]"):
            production_pipes_client(Settings.from_env())
    else:
        assert isinstance(production_pipes_client(Settings.from_env()), PipesK8sClient)
    assert isinstance(build_resources(Settings.from_env(deployment="local"))["training_pipes"], PipesSubprocessClient)
    monkeypatch.setenv("ASKNEWS_TRAINING_RUNNER", "in_process")
    assert production_pipes_client(Settings.from_env()) is not None  # in-process training needs no pods


def test_metadata_kinds_survive_the_pipes_encoding():
    from asknews_assets.models.pipes_entrypoint import to_pipes_metadata

    encoded = to_pipes_metadata({"p": MetadataValue.path("/m"), "j": MetadataValue.json({"a": 1}), "n": 3, "z": None})
    assert encoded == {"p": {"raw_value": "/m", "type": "path"}, "j": {"raw_value": {"a": 1}, "type": "json"}, "n": 3, "z": None}


def test_the_registry_row_is_the_same_from_in_process_or_pipes_metadata():
    from datetime import datetime, timezone

    from asknews_assets.models.finetune import registry_row

    local = {"model_version": "v1-abc", "model_path": MetadataValue.path("/models/gliner-small/v1-abc"),
             "base_model": "offline:base", "data_version": "v1", "steps": 2, "train_seconds": 1.5,
             "loss_curve": MetadataValue.md("![plot]()")}  # fmt: skip
    # Through Pipes every value comes back wrapped (text, int, float metadata values).
    piped = {key: value if isinstance(value, MetadataValue) else MetadataValue.text(str(value))
             for key, value in local.items()}  # fmt: skip
    piped.update(steps=MetadataValue.int(2), train_seconds=MetadataValue.float(1.5))
    created = datetime(2024, 5, 1, tzinfo=timezone.utc)
    row = registry_row("small", local, created)
    assert row == registry_row("small", piped, created)
    assert row == {"variant": "small", "model_version": "v1-abc", "model_path": "/models/gliner-small/v1-abc",
                   "base_model": "offline:base", "data_version": "v1", "steps": 2, "train_seconds": 1.5,
                   "created_at": created}  # fmt: skip
    assert registry_row("small", local)["created_at"].tzinfo is not None
    with pytest.raises(KeyError, match="steps"):
        registry_row("small", {key: value for key, value in local.items() if key != "steps"})
