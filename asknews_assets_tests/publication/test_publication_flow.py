"""The publication sensor and publish jobs on a real temporary instance, with stub upstream assets.

The stubs stand in for `dataset_splits`, `finetuned_gliner` and `model_evaluation` (same keys,
partitions and metadata contracts), with blocking checks whose outcome each test chooses.
"""

import secrets
from pathlib import Path

import huggingface_hub.constants
import pytest
from dagster import (
    AssetCheckExecutionContext,
    AssetSelection,
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    Config,
    Definitions,
    MaterializeResult,
    MetadataValue,
    SkipReason,
    asset,
    asset_check,
    build_sensor_context,
    materialize,
    serialize_value,
)

from asknews_assets import settings
from asknews_assets.assets.publication import published_dataset, published_models
from asknews_assets.partitions import model_variant_partitions
from asknews_assets.publication.local import read_refs
from asknews_assets.releases import DATASET_SPLITS, FINETUNED_GLINER, MODEL_EVALUATION, latest_materialization
from asknews_assets.resources.publication import HubPublisher, LocalFolderPublisher
from asknews_assets.warehouse.resource import Warehouse
from asknews_assets.sensors.publication import publication_sensor
from asknews_assets_tests.support.data.artefacts import evaluation_rows, write_dataset_export, write_model_folder
from asknews_assets_tests.support.fakes.hub_server import FakeHubServer, Fault

TOKEN_ENV = "ASKNEWS_TEST_HF_TOKEN"


class StubVersionConfig(Config):
    version: str
    checks_pass: bool = True


@asset(key=DATASET_SPLITS)
def stub_dataset_splits(config: StubVersionConfig) -> MaterializeResult:
    folder = write_dataset_export(settings.current().dataset_store_dir / config.version, config.version)
    return MaterializeResult(
        metadata={"dataset_version": config.version, "dataset_path": MetadataValue.path(str(folder)),
                  "stub_checks_pass": config.checks_pass}  # fmt: skip
    )


@asset(key=FINETUNED_GLINER, partitions_def=model_variant_partitions)
def stub_finetuned_gliner(context: AssetExecutionContext, config: StubVersionConfig) -> MaterializeResult:
    variant = context.partition_key
    folder = write_model_folder(settings.current().model_store_dir / f"gliner-{variant}" / config.version)
    return MaterializeResult(
        metadata={"model_version": config.version, "model_path": MetadataValue.path(str(folder)),
                  "base_model": f"urchade/gliner_{variant}-v2.1", "data_version": "v-1",
                  "stub_checks_pass": config.checks_pass}  # fmt: skip
    )


@asset(key=MODEL_EVALUATION, partitions_def=model_variant_partitions)
def stub_model_evaluation(context: AssetExecutionContext, config: StubVersionConfig, warehouse: Warehouse) -> MaterializeResult:
    rows = evaluation_rows(context.partition_key, config.version)
    with warehouse.get_connection() as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS model_evaluations (variant VARCHAR, model_version VARCHAR, benchmark VARCHAR,"
            " model VARCHAR, precision DOUBLE, recall DOUBLE, f1 DOUBLE, n_docs INTEGER, per_type VARCHAR)"
        )
        conn.execute("DELETE FROM model_evaluations WHERE variant = ? AND model_version = ?", [context.partition_key, config.version])
        conn.executemany(
            "INSERT INTO model_evaluations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [list(row.values()) for row in rows]
        )
    return MaterializeResult(metadata={"model_version": config.version})


# A test sets an outcome here to re-evaluate a check on a materialization with another result.
CHECK_OUTCOMES: dict[AssetKey, bool] = {}


def _outcome(context: AssetCheckExecutionContext, key: AssetKey) -> AssetCheckResult:
    event = context.instance.get_latest_materialization_event(key)
    passed = CHECK_OUTCOMES.get(key, bool(event.asset_materialization.metadata["stub_checks_pass"].value))
    return AssetCheckResult(passed=passed)


@asset_check(asset=DATASET_SPLITS, blocking=True)
def stub_splits_valid(context: AssetCheckExecutionContext) -> AssetCheckResult:
    return _outcome(context, DATASET_SPLITS)


@asset_check(asset=FINETUNED_GLINER, blocking=True)
def stub_model_valid(context: AssetCheckExecutionContext) -> AssetCheckResult:
    return _outcome(context, FINETUNED_GLINER)


def make_definitions(publisher, warehouse: Warehouse) -> Definitions:
    return Definitions(
        assets=[stub_dataset_splits, stub_finetuned_gliner, stub_model_evaluation, published_dataset, published_models],
        asset_checks=[stub_splits_valid, stub_model_valid],
        sensors=[publication_sensor],
        resources={"publisher": publisher, "warehouse": warehouse},
    )


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("ASKNEWS_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def make_dataset(instance, version: str, checks_pass: bool = True, run_checks: bool = True) -> None:
    materialize([stub_dataset_splits, *([stub_splits_valid] if run_checks else [])], instance=instance,
                run_config={"ops": {"dataset_splits": {"config": {"version": version, "checks_pass": checks_pass}}}},
                raise_on_error=False)  # fmt: skip


def make_model(instance, variant: str, version: str, checks_pass: bool = True) -> None:
    materialize([stub_finetuned_gliner, stub_model_valid], instance=instance, partition_key=variant,
                run_config={"ops": {"finetuned_gliner": {"config": {"version": version, "checks_pass": checks_pass}}}},
                raise_on_error=False)  # fmt: skip


def make_evaluation(instance, warehouse, variant: str, version: str) -> None:
    materialize([stub_model_evaluation], instance=instance, partition_key=variant, resources={"warehouse": warehouse},
                run_config={"ops": {"model_evaluation": {"config": {"version": version}}}})  # fmt: skip


def evaluate_sensor(instance, defs: Definitions, cursor: str | None = None):
    return publication_sensor(build_sensor_context(instance=instance, cursor=cursor, definitions=defs))


def run_requested(instance, defs: Definitions, request):
    return defs.resolve_job_def(request.job_name).execute_in_process(
        run_config=request.run_config, instance=instance, partition_key=request.partition_key, tags=request.tags,
        raise_on_error=False,
    )  # fmt: skip


def test_one_run_request_per_new_version_and_none_once_published(instance, warehouse, tmp_path):
    defs = make_definitions(LocalFolderPublisher(organization="acme", directory=str(tmp_path / "publish")), warehouse)
    assert isinstance(evaluate_sensor(instance, defs), SkipReason)  # nothing materialized yet

    make_dataset(instance, "v-1")
    make_model(instance, "small", "m-1")
    make_evaluation(instance, warehouse, "small", "m-1")
    first = evaluate_sensor(instance, defs)
    requests = {r.run_key: r for r in first.run_requests}
    assert sorted(requests) == ["dataset:v-1", "model:small:m-1"]
    assert requests["dataset:v-1"].job_name == "publish_dataset_job"
    assert requests["dataset:v-1"].run_config == {"ops": {"published_dataset": {"config": {"dataset_version": "v-1"}}}}
    assert (requests["model:small:m-1"].job_name, requests["model:small:m-1"].partition_key) == ("publish_models_job", "small")

    # The cursor: the same versions are not requested again.
    assert isinstance(evaluate_sensor(instance, defs, first.cursor), SkipReason)

    for request in first.run_requests:
        assert run_requested(instance, defs, request).success
    assert read_refs(tmp_path / "publish", "acme/AskNews-NER")["tags"].keys() == {"v-1"}
    assert read_refs(tmp_path / "publish", "acme/gliner_small_news")["tags"].keys() == {"m-1"}
    # Published versions are not requested again even without the cursor (e.g. after a reset).
    assert isinstance(evaluate_sensor(instance, defs), SkipReason)

    make_dataset(instance, "v-2")
    second = evaluate_sensor(instance, defs, first.cursor)
    assert [r.run_key for r in second.run_requests] == ["dataset:v-2"]


def test_versions_wait_for_passed_blocking_checks_and_for_their_evaluation(instance, warehouse, tmp_path):
    defs = make_definitions(LocalFolderPublisher(organization="acme", directory=str(tmp_path / "publish")), warehouse)

    make_dataset(instance, "v-1", checks_pass=False)
    skipped = evaluate_sensor(instance, defs)
    assert isinstance(skipped, SkipReason) and "dataset_splits v-1: blocking checks failed (stub_splits_valid)" in skipped.skip_message

    make_dataset(instance, "v-1", run_checks=False)  # re-materialised, its check not run yet
    assert "not evaluated yet (stub_splits_valid)" in evaluate_sensor(instance, defs).skip_message

    make_model(instance, "medium", "m-1", checks_pass=False)
    make_evaluation(instance, warehouse, "medium", "m-1")
    make_model(instance, "large", "m-2")
    make_evaluation(instance, warehouse, "large", "m-1")  # the evaluation of an older model version
    message = evaluate_sensor(instance, defs).skip_message
    assert "finetuned_gliner[medium] m-1: blocking checks failed (stub_model_valid)" in message
    assert "finetuned_gliner[large] m-2: no model_evaluation of this version yet" in message

    make_dataset(instance, "v-1")  # fixed: the same version, now with a passing check
    make_evaluation(instance, warehouse, "large", "m-2")
    result = evaluate_sensor(instance, defs)
    assert sorted(r.run_key for r in result.run_requests) == ["dataset:v-1", "model:large:m-2"]


def test_a_check_evaluated_again_in_a_later_run_decides(instance, warehouse, tmp_path, monkeypatch):
    """The verdict is the check's latest evaluation of that very materialization, not the one of
    the run that materialized it."""
    defs = make_definitions(LocalFolderPublisher(organization="acme", directory=str(tmp_path / "publish")), warehouse)
    make_dataset(instance, "v-1", checks_pass=False)
    assert "blocking checks failed (stub_splits_valid)" in evaluate_sensor(instance, defs).skip_message

    monkeypatch.setitem(CHECK_OUTCOMES, DATASET_SPLITS, True)  # e.g. the check's threshold was fixed
    check_only = materialize([stub_dataset_splits, stub_splits_valid], instance=instance,
                             selection=AssetSelection.checks(stub_splits_valid))  # fmt: skip
    assert not check_only.get_asset_materialization_events()  # the same materialization, checked again
    assert [r.run_key for r in evaluate_sensor(instance, defs).run_requests] == ["dataset:v-1"]


def test_a_requested_version_still_publishes_after_a_newer_one_was_checked(instance, warehouse, tmp_path):
    """Its evaluation in the run that materialized it stands though the check's latest evaluation
    is of the newer version."""
    defs = make_definitions(LocalFolderPublisher(organization="acme", directory=str(tmp_path / "publish")), warehouse)
    make_dataset(instance, "v-1")
    (request,) = evaluate_sensor(instance, defs).run_requests
    make_dataset(instance, "v-2", checks_pass=False)
    assert run_requested(instance, defs, request).success
    assert read_refs(tmp_path / "publish", "acme/AskNews-NER")["tags"].keys() == {"v-1"}
    published = latest_materialization(instance, AssetKey("published_dataset"))
    assert (published.version, published.metadata["upstream_checks_passed"]) == ("v-1", "stub_splits_valid")


def test_the_latest_materialization_of_an_asset_or_partition(instance, warehouse):
    assert latest_materialization(instance, DATASET_SPLITS) is None
    make_model(instance, "small", "m-1")
    make_model(instance, "large", "m-2")
    make_model(instance, "small", "m-3")
    small = latest_materialization(instance, FINETUNED_GLINER, "small")
    assert (small.version, small.partition) == ("m-3", "small")
    assert small.metadata["model_path"].endswith("m-3") and small.metadata["base_model"] == "urchade/gliner_small-v2.1"
    assert latest_materialization(instance, FINETUNED_GLINER, "large").version == "m-2"
    assert latest_materialization(instance, FINETUNED_GLINER, "medium") is None
    make_evaluation(instance, warehouse, "small", "m-3")
    evaluation = latest_materialization(instance, MODEL_EVALUATION, "small")
    assert evaluation.version == "m-3" and evaluation.storage_id > small.storage_id


def failure_message(run) -> str:
    assert not run.success
    (failure,) = [e for e in run.all_events if e.is_step_failure]
    return failure.step_failure_data.error.cause.message


def test_the_publish_assets_refuse_what_the_sensor_would_not_publish(instance, warehouse, tmp_path):
    defs = make_definitions(LocalFolderPublisher(organization="acme", directory=str(tmp_path / "publish")), warehouse)
    make_dataset(instance, "v-1", checks_pass=False)
    run = defs.resolve_job_def("publish_dataset_job").execute_in_process(instance=instance, raise_on_error=False)
    assert "dataset_splits v-1: blocking checks failed: stub_splits_valid" in failure_message(run)

    make_model(instance, "small", "m-1")  # no evaluation yet
    run = defs.resolve_job_def("publish_models_job").execute_in_process(instance=instance, partition_key="small", raise_on_error=False)
    assert "no version m-1 of model_evaluation partition small" in failure_message(run)
    assert not (tmp_path / "publish").exists()


def test_publication_to_the_hub_end_to_end_without_the_token_in_any_record(instance, warehouse, tmp_path, monkeypatch):
    token = f"hf_e2e_{secrets.token_hex(12)}"
    monkeypatch.setenv(TOKEN_ENV, token)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    with FakeHubServer(token=token) as hub:
        publisher = HubPublisher(organization="acme", endpoint=hub.endpoint, token_env=TOKEN_ENV)
        defs = make_definitions(publisher, warehouse)
        make_dataset(instance, "v-1")
        make_model(instance, "small", "m-1")
        make_evaluation(instance, warehouse, "small", "m-1")
        for request in evaluate_sensor(instance, defs).run_requests:
            assert run_requested(instance, defs, request).success

        dataset_event = instance.get_latest_materialization_event(AssetKey("published_dataset")).asset_materialization
        metadata = {key: value.value for key, value in dataset_event.metadata.items()}
        assert (metadata["repo_id"], metadata["tag"], metadata["dataset_version"]) == ("acme/AskNews-NER", "v-1", "v-1")
        assert metadata["revision"] == hub.repo("dataset", "acme/AskNews-NER").branches["main"]
        assert metadata["dagster/row_count"] == 12 and metadata["url"] == f"{hub.endpoint}/datasets/acme/AskNews-NER"
        assert metadata["upstream_checks_passed"] == "stub_splits_valid"
        assert set(hub.files("model", "acme/gliner_small_news")) == {
            ".gitattributes", "README.md", "gliner_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"}  # fmt: skip
        assert any(r.headers.get("authorization") == f"Bearer {token}" for r in hub.log)  # the token was used...

    # ...and is nowhere in what Dagster recorded: events, run configs, storage files.
    for run in instance.get_runs():
        assert token not in serialize_value(run)
        assert all(token not in serialize_value(entry) for entry in instance.all_logs(run.run_id))
    for path in Path(instance.root_directory).rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def _assert_nowhere_in_the_instance(instance, secret: str) -> None:
    """Not in any run, event or file under the instance: the SQLite event log and the compute logs."""
    for run in instance.get_runs():
        assert secret not in serialize_value(run)
        assert all(secret not in serialize_value(entry) for entry in instance.all_logs(run.run_id))
    files = [path for path in Path(instance.root_directory).rglob("*") if path.is_file()]
    assert any(path.suffix in (".err", ".out", ".complete") or "compute_logs" in str(path) for path in files)
    assert any(path.suffix == ".db" for path in files)
    for path in files:
        assert secret.encode() not in path.read_bytes(), path


def test_a_hub_that_echoes_the_token_in_its_errors_leaves_it_in_no_record(instance, warehouse, monkeypatch):
    """Class 8: the server quotes the Authorization header in its error; the failure is reported
    with the token redacted, in the event log database and in the compute log files alike."""
    token = f"hf_echo_{secrets.token_hex(12)}"
    monkeypatch.setenv(TOKEN_ENV, token)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    with FakeHubServer(token=token) as hub:
        hub.echo_authorization = True
        hub.fail(Fault(400, path="/commit/"))
        defs = make_definitions(HubPublisher(organization="acme", endpoint=hub.endpoint, token_env=TOKEN_ENV), warehouse)
        make_dataset(instance, "v-1")
        run = defs.resolve_job_def("publish_dataset_job").execute_in_process(instance=instance, raise_on_error=False)
        assert any(token in str(r.headers) for r in hub.log)
    message = failure_message(run)
    assert "Bearer [redacted]" in message and token not in message
    _assert_nowhere_in_the_instance(instance, token)


def test_a_hub_answering_a_stale_commit_gets_no_tag_and_the_run_fails(instance, warehouse, monkeypatch):
    """Class 9: the commit id the server answers is checked against the bundle before tagging."""
    token = f"hf_stale_{secrets.token_hex(12)}"
    monkeypatch.setenv(TOKEN_ENV, token)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    with FakeHubServer(token=token) as hub:
        defs = make_definitions(HubPublisher(organization="acme", endpoint=hub.endpoint, token_env=TOKEN_ENV), warehouse)
        make_dataset(instance, "v-1")
        hub.answer_stale_commit = True
        run = defs.resolve_job_def("publish_dataset_job").execute_in_process(instance=instance, raise_on_error=False)
        assert "does not hold the bundle's files" in failure_message(run)
        assert hub.repo("dataset", "acme/AskNews-NER").tags == {}

        # Once the server answers truly, the same version publishes; publishing it again commits nothing.
        hub.answer_stale_commit = False
        assert defs.resolve_job_def("publish_dataset_job").execute_in_process(instance=instance).success
        commits = len(hub.commits("dataset", "acme/AskNews-NER"))
        assert defs.resolve_job_def("publish_dataset_job").execute_in_process(instance=instance).success
        assert len(hub.commits("dataset", "acme/AskNews-NER")) == commits
        assert list(hub.repo("dataset", "acme/AskNews-NER").tags) == ["v-1"]
