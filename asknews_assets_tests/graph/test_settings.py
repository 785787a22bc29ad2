"""Settings are read from the environment once per process, validated up front, and never hold a secret."""

import dataclasses
import os

import pytest

from asknews_assets import settings
from asknews_assets.resources import build_resources
from asknews_assets.settings import Settings


def test_settings_are_read_once_until_cleared(tmp_path):
    first = settings.current()
    assert settings.current() is first
    # Changed behind the cache's back (not through monkeypatch): the process keeps what it read.
    previous = os.environ.get("ASKNEWS_DATA_DIR")
    os.environ["ASKNEWS_DATA_DIR"] = str(tmp_path)
    try:
        assert settings.current().data_dir == first.data_dir
        settings.clear()
        assert settings.current().data_dir == tmp_path.resolve()
    finally:
        if previous is None:
            del os.environ["ASKNEWS_DATA_DIR"]
        else:
            os.environ["ASKNEWS_DATA_DIR"] = previous
        settings.clear()


def test_every_path_derives_from_the_data_dir(tmp_path):
    config = Settings.from_env({"ASKNEWS_DATA_DIR": str(tmp_path)})
    assert config.warehouse_path == tmp_path.resolve() / "warehouse" / "asknews.duckdb"
    assert (config.dataset_store_dir, config.model_store_dir) == (tmp_path.resolve() / "datasets", tmp_path.resolve() / "models")
    assert (config.publish_dir, config.ducklake_data_path) == (tmp_path.resolve() / "publish", str(tmp_path.resolve() / "lake"))


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ASKNEWS_DEPLOYMENT", "staging", "ASKNEWS_DEPLOYMENT must be 'local' or 'production'"),
        ("ASKNEWS_EXECUTOR", "threads", "ASKNEWS_EXECUTOR must be one of"),
        ("ASKNEWS_PARTITIONS_PER_RUN", "0", "ASKNEWS_PARTITIONS_PER_RUN must be a whole number of at least 1"),
        ("ASKNEWS_ACCEPT_PARTIAL_BUILD", "maybe", "ASKNEWS_ACCEPT_PARTIAL_BUILD must be 1 or 0"),
        ("ASKNEWS_TRAINING_RUNNER", "ray", "ASKNEWS_TRAINING_RUNNER must be one of"),
        ("ASKNEWS_ANNOTATOR", "regex", "ASKNEWS_ANNOTATOR must be one of"),
        ("ASKNEWS_LLM_CONCURRENCY", "many", "ASKNEWS_LLM_CONCURRENCY must be a whole number, not 'many'"),
        ("ASKNEWS_ANNOTATOR_GLINER_THRESHOLD", "high", "ASKNEWS_ANNOTATOR_GLINER_THRESHOLD must be a number"),
        ("ASKNEWS_HF_PRIVATE", "perhaps", "ASKNEWS_HF_PRIVATE must be true or false"),
    ],
)
def test_a_bad_value_is_refused_when_read_naming_its_variable(name, value, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_env({name: value})


def test_settings_hold_the_names_of_secret_variables_never_their_values():
    secrets = {
        "ASKNEWS_API_KEY": "sk-settings-test-0123456789",
        "ASKNEWS_DUCKLAKE_CATALOG": "dbname=lake password=settings-test-hunter2",
        "ASKNEWS_CELERY_BROKER": "redis://:settings-test-pass@broker:6379/0",
        "MY_LLM_KEY": "sk-llm-settings-test-9876543210",
    }
    config = Settings.from_env({**secrets, "ASKNEWS_LLM_API_KEY_ENV": "MY_LLM_KEY", "ASKNEWS_SOURCE": "asknews"})
    held = repr(dataclasses.asdict(config))
    assert not any(secret in held for secret in secrets.values())
    assert (config.asknews_credentials, config.celery_broker_env, config.llm_api_key_env) == (
        ("ASKNEWS_API_KEY",), "ASKNEWS_CELERY_BROKER", "MY_LLM_KEY"
    )


def test_llm_backends_cache_in_the_deployments_warehouse_and_the_others_take_no_cache(tmp_path):
    local = build_resources(Settings.from_env({"ASKNEWS_DATA_DIR": str(tmp_path)}))
    for key in ("summarizer", "topic_labeler", "annotator"):
        assert "warehouse" not in type(local[key]).model_fields  # extractive, keywords, spaCy: no cache

    environ = {"ASKNEWS_DATA_DIR": str(tmp_path), "ASKNEWS_SOURCE_DIR": str(tmp_path), "ASKNEWS_ANNOTATOR": "llm"}
    production = build_resources(Settings.from_env(environ, deployment="production"))
    for key in ("summarizer", "topic_labeler", "annotator"):
        assert production[key].backend == "llm"
        assert production[key].warehouse.database == production["warehouse"].database
