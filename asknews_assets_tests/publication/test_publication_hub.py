"""HubPublisher with the real huggingface_hub client against a local Hub-compatible server."""

import logging
import secrets

import huggingface_hub.constants
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from huggingface_hub import DatasetCard, HfApi, ModelCard
from huggingface_hub.errors import HfHubHTTPError

from asknews_assets.publication.bundle import PublicationError
from asknews_assets.publication.local import list_files, repo_path
from asknews_assets.publication.staging import stage_dataset, stage_model
from asknews_assets.resources.publication import (
    HubPublisher,
    LocalFolderPublisher,
    PublicationConfigurationError,
)
from asknews_assets.resources import build_resources
from asknews_assets.settings import Settings
from asknews_assets_tests.support.data.artefacts import evaluation_rows, write_dataset_export, write_model_folder
from asknews_assets_tests.support.fakes.hub_server import FakeHubServer, Fault

TOKEN_ENV = "ASKNEWS_TEST_HF_TOKEN"
TOKEN = f"hf_test_{secrets.token_hex(12)}"
DATASET = "acme/AskNews-NER"


@pytest.fixture
def hub(monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)  # the fake Hub is on 127.0.0.1
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with FakeHubServer(token=TOKEN) as server:
        yield server


def hub_publisher(hub: FakeHubServer, **overrides) -> HubPublisher:
    settings = {"organization": "acme", "endpoint": hub.endpoint, "token_env": TOKEN_ENV, "backoff_base_s": 0.01,
                "backoff_max_s": 0.05, **overrides}  # fmt: skip
    return HubPublisher(**settings)


def staged_dataset(tmp_path, version: str, max_shard_bytes: int = 500 * 2**20, sizes: dict | None = None):
    export = write_dataset_export(tmp_path / "exports" / f"{version}-{max_shard_bytes}", version, **({"sizes": sizes} if sizes else {}))
    return stage_dataset(export, version, DATASET, tmp_path / "work" / f"{version}-{max_shard_bytes}", max_shard_bytes)


@pytest.fixture
def api(hub):
    return HfApi(endpoint=hub.endpoint, token=TOKEN)


def test_a_dataset_goes_up_in_one_commit_and_comes_back_through_the_client(hub, api, tmp_path):
    staged = staged_dataset(tmp_path, "v-1", max_shard_bytes=2_000)
    result = hub_publisher(hub).publish(staged.bundle)

    assert sorted(api.list_repo_files(DATASET, repo_type="dataset")) == sorted([".gitattributes", *staged.bundle.files])
    refs = api.list_repo_refs(DATASET, repo_type="dataset")
    assert [(t.name, t.target_commit) for t in refs.tags] == [("v-1", result.commit)]
    assert [b.target_commit for b in refs.branches] == [result.commit]
    initial, published = hub.commits("dataset", DATASET)
    assert published.oid == result.commit and {op["path"] for op in published.operations} == set(staged.bundle.files)
    assert result.url == f"{hub.endpoint}/datasets/{DATASET}" and result.deleted == ()

    readme = api.hf_hub_download(DATASET, "README.md", repo_type="dataset", revision="v-1", cache_dir=tmp_path / "cache")
    card = DatasetCard.load(readme).data.to_dict()
    assert card["license"] == "apache-2.0" and card["language"] == ["en"]
    assert card["task_categories"] == ["token-classification"] and card["task_ids"] == ["named-entity-recognition"]
    assert [f["split"] for f in card["configs"][0]["data_files"]] == ["train", "validation", "test", "test_heldout_topics"]

    (train,) = [s for s in staged.splits if s.name == "train"]
    assert len(train.shards) > 1  # small shards: several per split
    downloaded = [api.hf_hub_download(DATASET, p, repo_type="dataset", cache_dir=tmp_path / "cache") for p in train.shards]
    source = pq.read_table(tmp_path / "exports" / "v-1-2000" / "train.parquet")
    assert pa.concat_tables(pq.read_table(p) for p in downloaded).equals(source)


def test_a_new_version_deletes_stale_shards_in_the_same_commit_and_old_tags_stay(hub, api, tmp_path):
    publisher = hub_publisher(hub)
    first = publisher.publish(staged_dataset(tmp_path, "v-1", max_shard_bytes=2_000).bundle)
    staged = staged_dataset(tmp_path, "v-2")
    second = publisher.publish(staged.bundle)

    assert sorted(api.list_repo_files(DATASET, repo_type="dataset")) == sorted([".gitattributes", *staged.bundle.files])
    commits = hub.commits("dataset", DATASET)
    assert len(commits) == 3  # the repository's first commit, then one per publication
    deletes = {op["path"] for op in commits[-1].operations if op["op"] == "delete"}
    assert deletes == set(second.deleted) and deletes and all(p.startswith("data/") for p in deletes)
    assert {op["path"] for op in commits[-1].operations if op["op"] == "add"} == set(staged.bundle.files)
    refs = {t.name: t.target_commit for t in api.list_repo_refs(DATASET, repo_type="dataset").tags}
    assert refs == {"v-1": first.commit, "v-2": second.commit}
    assert set(hub.files("dataset", DATASET, "v-1")) - {".gitattributes"} == set(first.files)


def test_a_failed_commit_leaves_the_repository_as_it_was_and_a_retry_publishes_once(hub, tmp_path, caplog):
    publisher = hub_publisher(hub, max_retries=1)
    publisher.publish(staged_dataset(tmp_path, "v-1").bundle)
    before, commits_before = hub.files("dataset", DATASET), len(hub.commits("dataset", DATASET))

    hub.fail(Fault(500, path="/commit/", times=2))  # the attempt and its one retry
    with caplog.at_level(logging.DEBUG), pytest.raises(HfHubHTTPError) as failure:
        publisher.publish(staged_dataset(tmp_path, "v-2", max_shard_bytes=2_000).bundle)
    assert hub.files("dataset", DATASET) == before and len(hub.commits("dataset", DATASET)) == commits_before
    assert "v-2" not in hub.repo("dataset", DATASET).tags
    assert "commit to acme/AskNews-NER failed (HfHubHTTPError), retry 1/1" in caplog.text
    assert TOKEN not in caplog.text and TOKEN not in str(failure.value)

    staged = staged_dataset(tmp_path, "v-2", max_shard_bytes=2_000)
    result = publisher.publish(staged.bundle)
    assert len(hub.commits("dataset", DATASET)) == commits_before + 1
    assert set(hub.files("dataset", DATASET)) == {".gitattributes", *staged.bundle.files}
    assert hub.repo("dataset", DATASET).tags["v-2"] == result.commit


@pytest.mark.parametrize(
    "fault",
    [Fault(429, path="/commit/", retry_after="0"), Fault(503, path="/commit/"), Fault(path="/commit/", drop=True),
     Fault(500, path="/commit/", apply_first=True), Fault(502, path="/api/repos/create")],
    ids=["rate-limited", "unavailable", "connection-dropped", "answer-lost-after-commit", "create-repo-502"],
)  # fmt: skip
def test_transient_failures_are_retried_and_publish_exactly_one_commit(hub, tmp_path, fault):
    publisher = hub_publisher(hub)
    first = publisher.publish(staged_dataset(tmp_path, "v-1", max_shard_bytes=2_000).bundle)
    staged = staged_dataset(tmp_path, "v-2")
    hub.fail(fault)
    result = publisher.publish(staged.bundle)
    commits = hub.commits("dataset", DATASET)
    assert len(commits) == 3 and commits[-1].oid == result.commit  # the initial commit, v-1, and exactly one more
    assert set(hub.files("dataset", DATASET)) == {".gitattributes", *staged.bundle.files}
    assert set(result.deleted) == set(first.files) - set(staged.bundle.files) != set()
    assert hub.repo("dataset", DATASET).tags == {"v-1": first.commit, "v-2": result.commit}
    failed = [r for r in hub.log if fault.path in r.path and r.status == (0 if fault.drop else fault.status)]
    assert len(failed) == 1  # the fault did strike, and the retry got through


def test_client_errors_are_not_retried(hub, tmp_path, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, "hf_wrong")
    with pytest.raises(HfHubHTTPError, match="401"):
        hub_publisher(hub).publish(staged_dataset(tmp_path, "v-1").bundle)
    assert [r.path for r in hub.log].count("/api/repos/create") == 1 and hub.repos == {}


def test_a_version_tag_on_other_content_is_refused_before_anything_is_committed(hub, tmp_path):
    publisher = hub_publisher(hub)
    publisher.publish(staged_dataset(tmp_path, "v-1").bundle)
    commits = len(hub.commits("dataset", DATASET))
    republished = publisher.publish(staged_dataset(tmp_path / "again", "v-1").bundle)  # same content: fine, no commit
    assert len(hub.commits("dataset", DATASET)) == commits and republished.tag == "v-1"

    changed = staged_dataset(tmp_path, "v-1", sizes={"train": 3, "validation": 1, "test": 1, "test_heldout_topics": 1})
    with pytest.raises(PublicationError, match="tag v-1 of acme/AskNews-NER already points at commit"):
        publisher.publish(changed.bundle)
    assert len(hub.commits("dataset", DATASET)) == commits


def test_the_token_is_read_from_its_variable_and_required(hub, tmp_path, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV)
    with pytest.raises(PublicationConfigurationError, match=f"{TOKEN_ENV} .*is not set"):
        hub_publisher(hub).publish(staged_dataset(tmp_path, "v-1").bundle)
    assert hub.log == []  # nothing was sent without it


def _model_bundle(tmp_path, publisher, version="m-1"):
    return stage_model(
        model_path=write_model_folder(tmp_path / "models" / version), repo_id=publisher.model_repo_id("small"),
        variant="small", model_version=version, base_model="urchade/gliner_small-v2.1",
        dataset_repo_id=publisher.dataset_repo_id, data_version="v-1",
        evaluations=pd.DataFrame(evaluation_rows("small", version)), work_dir=tmp_path / "work" / version,
    )  # fmt: skip


def test_a_model_repository_holds_weights_config_tokenizer_and_card(hub, api, tmp_path):
    publisher = hub_publisher(hub)
    bundle, _ = _model_bundle(tmp_path, publisher)
    result = publisher.publish(bundle)
    repo = "acme/gliner_small_news"
    assert result.repo_id == repo and result.url == f"{hub.endpoint}/{repo}"
    assert sorted(api.list_repo_files(repo)) == [".gitattributes", "README.md", "gliner_config.json",
                                                 "model.safetensors", "tokenizer.json", "tokenizer_config.json"]  # fmt: skip
    card = ModelCard.load(api.hf_hub_download(repo, "README.md", revision="m-1", cache_dir=tmp_path / "cache")).data
    assert (card.library_name, card.pipeline_tag, card.license) == ("gliner", "token-classification", "apache-2.0")
    assert card.base_model == "urchade/gliner_small-v2.1" and card.datasets == [DATASET]
    weights = api.hf_hub_download(repo, "model.safetensors", revision="m-1", cache_dir=tmp_path / "cache")
    assert open(weights, "rb").read() == (tmp_path / "models" / "m-1" / "model.safetensors").read_bytes()


def test_the_local_folder_holds_exactly_what_the_hub_received(hub, tmp_path):
    hub_side, local_side = hub_publisher(hub), LocalFolderPublisher(organization="acme", directory=str(tmp_path / "publish"))
    dataset = staged_dataset(tmp_path, "v-1", max_shard_bytes=2_000).bundle
    model, _ = _model_bundle(tmp_path, hub_side)
    for bundle in (dataset, model):
        remote, local = hub_side.publish(bundle), local_side.publish(bundle)
        received = {op["path"]: op["content"] for op in hub.commits(bundle.repo_type, bundle.repo_id)[-1].operations}
        folder = repo_path(tmp_path / "publish", bundle.repo_id)
        on_disk = {path: (folder / path).read_bytes() for path in list_files(folder)}
        assert on_disk == received
        assert on_disk == {p: c for p, c in hub.files(bundle.repo_type, bundle.repo_id).items() if p != ".gitattributes"}
        assert (remote.tag, remote.files) == (local.tag, local.files)


def test_build_resources_for_each_deployment(monkeypatch, tmp_path):
    monkeypatch.setenv("ASKNEWS_PUBLISH_DIR", str(tmp_path / "out"))
    local = build_resources(Settings.from_env(deployment="local"))["publisher"]
    assert isinstance(local, LocalFolderPublisher) and local.directory == str(tmp_path / "out")
    assert local.dataset_repo_id == "asknews-assets/AskNews-NER" and local.model_repo_id("large") == "asknews-assets/gliner_large_news"

    monkeypatch.setenv("ASKNEWS_HF_ORG", "EmergentMethods")
    monkeypatch.setenv("ASKNEWS_HF_PRIVATE", "true")
    monkeypatch.setenv("ASKNEWS_HF_ENDPOINT", "http://127.0.0.1:9")
    production = build_resources(Settings.from_env(deployment="production"))["publisher"]
    assert isinstance(production, HubPublisher)
    assert (production.endpoint, production.private, production.token_env) == ("http://127.0.0.1:9", True, "HF_TOKEN")
