"""Every setting of the project, read from the environment once per process.

`current()` reads the environment the first time it is called and validates every value, so a bad
value stops the code location when it loads, with a message naming the variable, not a run halfway.
Code that needs a setting asks `current()` (or is handed a `Settings`); nothing else reads
ASKNEWS_* variables but ASKNEWS_S3_URL_STYLE, which the warehouse resource reads with the AWS
credentials. `Settings.from_env()` builds a fresh one (tests use it, and `clear()` drops the
cached one after they change the environment).

Every path derives from ASKNEWS_DATA_DIR (default: the repository's data/ folder), so that tests and
deployments can point a whole run somewhere else with one variable.

Secrets (API keys, tokens, the DuckLake catalog string, the Celery broker URL) are never held here:
resources read them through Dagster's EnvVar or when used, so no value reaches the UI, logs or
metadata. Settings only say which variable holds one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEPLOYMENTS = ("local", "production")
MISSING_ENGLISH_CHOICES = ("fail", "skip", "machine")
WAREHOUSE_BACKENDS = ("duckdb", "ducklake")
EXECUTORS = ("in_process", "multiprocess", "celery", "k8s")
TRAINING_RUNNERS = ("in_process", "pipes")
SUMMARIZER_BACKENDS = ("llm", "extractive")
TOPIC_LABELERS = ("llm", "keywords")
ANNOTATORS = ("llm", "gliner", "spacy")
SOURCES = ("files", "asknews")
CELERY_BROKER_ENV = "ASKNEWS_CELERY_BROKER"
CELERY_BACKEND_ENV = "ASKNEWS_CELERY_BACKEND"
GLINER_BASE_PREFIX = "ASKNEWS_GLINER_BASE_"
# Sensors run unless their switch says 'off'.
SENSOR_SWITCHES = ("ASKNEWS_DISCOVERY_SENSOR", "ASKNEWS_PUBLISH_SENSOR")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def sample_corpus_dir() -> Path:
    return PROJECT_ROOT / "data" / "sample"


@dataclass(frozen=True)
class Settings:
    """The project's settings, each named after its environment variable (see README's table)."""

    # Which resource set the definitions bind: 'local' (offline, embedded) or 'production'.
    deployment: str
    data_dir: Path
    # The news source: 'files' (source_dir) or 'asknews' (the API; credentials in asknews_credentials).
    source: str
    source_dir: Path
    # Licence of source records without a `license` field: an SPDX id, '' when unknown.
    source_license: str
    # NAMES of the variables holding the AskNews credentials: the API key, or the OAuth client id and secret.
    asknews_credentials: tuple[str, ...]
    # The licence the published dataset must carry; '': the most restrictive of its source articles.
    dataset_license: str
    missing_english: str
    accept_partial_build: bool
    warehouse: str
    warehouse_path: Path
    ducklake_data_path: str
    partitions_per_run: int
    publish_dir: Path
    executor: str
    celery_visibility_timeout: int
    # NAMES of the variables holding the broker and result backend URLs (they may hold a password);
    # the broker's is None when it is not set.
    celery_broker_env: str | None
    celery_backend_env: str
    training_runner: str
    training_image: str | None
    summarizer: str
    topic_labeler: str
    annotator: str  # production only: the local deployment always annotates with spaCy
    annotator_gliner_model: str | None
    annotator_gliner_threshold: float | None
    embedding_model: str
    embedding_field: str
    translation_family: str
    ct2_cache_dir: str
    ct2_compute_type: str
    ct2_threads: int
    # Base model per GLiNER variant where ASKNEWS_GLINER_BASE_<VARIANT> overrides the default.
    gliner_base: Mapping[str, str]
    gliner_cache_dir: str
    # The LLM endpoint's settings besides ASKNEWS_LLM_BASE_URL and ASKNEWS_LLM_MODEL (those are read
    # by EnvVar when a run starts); None: the endpoint's default.
    llm_api_key_env: str | None
    llm_concurrency: int | None
    llm_timeout_s: float | None
    llm_max_retries: int | None
    hf_org: str | None
    hf_dataset_name: str | None
    hf_model_name_template: str | None
    hf_endpoint: str | None
    hf_token_env: str
    hf_private: bool
    # The Hugging Face Hub's offline mode (HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE).
    hub_offline: bool
    sensors_off: frozenset[str]

    @property
    def dataset_store_dir(self) -> Path:
        """Versioned dataset exports: <dataset_store_dir>/<version>/."""
        return self.data_dir / "datasets"

    @property
    def model_store_dir(self) -> Path:
        """Fine-tuned models: <model_store_dir>/gliner-<variant>/<version>/."""
        return self.data_dir / "models"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, deployment: str | None = None) -> Settings:
        """Read and validate every setting from `environ` (default: this process's environment);
        `deployment` overrides ASKNEWS_DEPLOYMENT."""
        env = os.environ if environ is None else environ

        def get(name: str, default: str = "") -> str:
            return env.get(name, default)

        deployment = deployment or get("ASKNEWS_DEPLOYMENT", "local")
        if deployment not in DEPLOYMENTS:
            raise ValueError(f"ASKNEWS_DEPLOYMENT must be 'local' or 'production', not {deployment!r}")
        data_dir = Path(get("ASKNEWS_DATA_DIR") or PROJECT_ROOT / "data").resolve()
        source_dir = Path(get("ASKNEWS_SOURCE_DIR") or sample_corpus_dir()).resolve()
        summarizer = _choice(env, "ASKNEWS_SUMMARIZER", SUMMARIZER_BACKENDS, "llm" if deployment == "production" else "extractive")
        # Topics are named by the LLM exactly when the summaries are, since that is when an endpoint is configured.
        topic_labeler = _choice(env, "ASKNEWS_TOPIC_LABELER", TOPIC_LABELERS, "llm" if summarizer == "llm" else "keywords")
        ducklake_data_path = get("ASKNEWS_DUCKLAKE_DATA_PATH")
        if not ducklake_data_path.startswith("s3://"):
            ducklake_data_path = str(Path(ducklake_data_path).resolve()) if ducklake_data_path else str(data_dir / "lake")
        return cls(
            deployment=deployment,
            data_dir=data_dir,
            source=_source(env, deployment),
            source_dir=source_dir,
            source_license=get("ASKNEWS_SOURCE_LICENSE").strip()
            # The bundled sample corpus is our own writing; a feed of unknown rights is never
            # published under a licence it lacks.
            or ("apache-2.0" if source_dir == sample_corpus_dir().resolve() else ""),
            asknews_credentials=("ASKNEWS_API_KEY",) if get("ASKNEWS_API_KEY") else ("ASKNEWS_CLIENT_ID", "ASKNEWS_CLIENT_SECRET"),
            dataset_license=get("ASKNEWS_DATASET_LICENSE").strip().lower(),
            missing_english=_missing_english(env),
            accept_partial_build=_accept_partial_build(env),
            warehouse=_warehouse(env),
            warehouse_path=Path(get("ASKNEWS_DUCKDB_PATH") or data_dir / "warehouse" / "asknews.duckdb").resolve(),
            ducklake_data_path=ducklake_data_path,
            partitions_per_run=_partitions_per_run(env),
            publish_dir=Path(get("ASKNEWS_PUBLISH_DIR") or data_dir / "publish").resolve(),
            executor=_choice(env, "ASKNEWS_EXECUTOR", EXECUTORS, "in_process", empty_is_default=False),
            celery_visibility_timeout=_number(env, "ASKNEWS_CELERY_VISIBILITY_TIMEOUT", int, 7200),
            celery_broker_env=CELERY_BROKER_ENV if get(CELERY_BROKER_ENV) else None,
            celery_backend_env=CELERY_BACKEND_ENV if get(CELERY_BACKEND_ENV) else CELERY_BROKER_ENV,
            training_runner=_choice(env, "ASKNEWS_TRAINING_RUNNER", TRAINING_RUNNERS, "in_process", empty_is_default=False),
            training_image=get("ASKNEWS_TRAINING_IMAGE") or None,
            summarizer=summarizer,
            topic_labeler=topic_labeler,
            annotator=_choice(env, "ASKNEWS_ANNOTATOR", ANNOTATORS, "llm", empty_is_default=False),
            annotator_gliner_model=env.get("ASKNEWS_ANNOTATOR_GLINER_MODEL"),
            annotator_gliner_threshold=_number(env, "ASKNEWS_ANNOTATOR_GLINER_THRESHOLD", float, None),
            embedding_model=get("ASKNEWS_EMBEDDING_MODEL"),
            embedding_field=get("ASKNEWS_EMBEDDING_FIELD", "summary"),
            translation_family=get("ASKNEWS_TRANSLATION_FAMILY", "opus-mt"),
            ct2_cache_dir=get("ASKNEWS_CT2_CACHE_DIR"),
            ct2_compute_type=get("ASKNEWS_CT2_COMPUTE_TYPE", "default"),
            ct2_threads=_number(env, "ASKNEWS_CT2_THREADS", int, 0),
            gliner_base={
                name[len(GLINER_BASE_PREFIX) :].lower(): value for name, value in env.items() if name.startswith(GLINER_BASE_PREFIX)
            },
            gliner_cache_dir=get("ASKNEWS_GLINER_CACHE_DIR"),
            llm_api_key_env=env.get("ASKNEWS_LLM_API_KEY_ENV"),
            llm_concurrency=_number(env, "ASKNEWS_LLM_CONCURRENCY", int, None),
            llm_timeout_s=_number(env, "ASKNEWS_LLM_TIMEOUT_S", float, None),
            llm_max_retries=_number(env, "ASKNEWS_LLM_MAX_RETRIES", int, None),
            hf_org=env.get("ASKNEWS_HF_ORG"),
            hf_dataset_name=env.get("ASKNEWS_HF_DATASET_NAME"),
            hf_model_name_template=env.get("ASKNEWS_HF_MODEL_NAME_TEMPLATE"),
            hf_endpoint=get("ASKNEWS_HF_ENDPOINT") or get("HF_ENDPOINT") or None,
            hf_token_env=get("ASKNEWS_HF_TOKEN_ENV", "HF_TOKEN"),
            hf_private=_hf_private(env),
            hub_offline=any(get(name).strip().lower() in _TRUE for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")),
            sensors_off=frozenset(name for name in SENSOR_SWITCHES if get(name, "on") == "off"),
        )


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str, empty_is_default: bool = True) -> str:
    value = env.get(name, default)
    if empty_is_default and not value:
        value = default
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, not {value!r}")
    return value


def _number(env: Mapping[str, str], name: str, kind: type, default):
    value = env.get(name)
    if value is None:
        return default
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"{name} must be a {'whole number' if kind is int else 'number'}, not {value!r}") from None


def _source(env: Mapping[str, str], deployment: str) -> str:
    """ASKNEWS_SOURCE; default: 'asknews' in production, 'files' otherwise; in production an explicitly
    set ASKNEWS_SOURCE_DIR also means 'files'. Asking for the API while ASKNEWS_SOURCE_DIR is set is a
    contradiction and an error, never a silent choice."""
    folder_set = bool(env.get("ASKNEWS_SOURCE_DIR", "").strip())
    value = env.get("ASKNEWS_SOURCE", "").strip().lower()
    if not value:
        return "asknews" if deployment == "production" and not folder_set else "files"
    if value not in SOURCES:
        raise ValueError(f"ASKNEWS_SOURCE must be 'files' or 'asknews', not {value!r}")
    if value == "asknews" and folder_set:
        raise ValueError(
            "ASKNEWS_SOURCE=asknews reads the AskNews API, but ASKNEWS_SOURCE_DIR is set too: unset one of them"
        )
    return value


def _missing_english(env: Mapping[str, str]) -> str:
    """Non-English articles whose source gives no English: 'fail' (default: the partition fails,
    naming the articles), 'skip' (recorded as translation failures with the reason, the rest goes on)
    or 'machine' (CTranslate2 translates them)."""
    value = env.get("ASKNEWS_MISSING_ENGLISH", "fail").strip().lower() or "fail"
    if value not in MISSING_ENGLISH_CHOICES:
        raise ValueError(f"ASKNEWS_MISSING_ENGLISH must be one of {MISSING_ENGLISH_CHOICES}, not {value!r}")
    return value


def _accept_partial_build(env: Mapping[str, str]) -> bool:
    """ASKNEWS_ACCEPT_PARTIAL_BUILD=1: let the dataset build pass with partitions missing or stale in
    a stage (the gaps are still recorded and shown); default: such gaps fail the build."""
    value = env.get("ASKNEWS_ACCEPT_PARTIAL_BUILD", "").strip().lower()
    if value in _FALSE:
        return False
    if value in _TRUE:
        return True
    raise ValueError(f"ASKNEWS_ACCEPT_PARTIAL_BUILD must be 1 or 0, not {value!r}")


def _warehouse(env: Mapping[str, str]) -> str:
    """'duckdb' (one embedded file, the default) or 'ducklake' (PostgreSQL catalog, Parquet data)."""
    value = env.get("ASKNEWS_WAREHOUSE", "duckdb")
    if value not in WAREHOUSE_BACKENDS:
        raise ValueError(f"ASKNEWS_WAREHOUSE must be one of {', '.join(WAREHOUSE_BACKENDS)}, not {value!r}")
    return value


def _hf_private(env: Mapping[str, str]) -> bool:
    """ASKNEWS_HF_PRIVATE=true: create the Hub repositories private."""
    value = env.get("ASKNEWS_HF_PRIVATE", "false")
    if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"ASKNEWS_HF_PRIVATE must be true or false, not {value!r}")
    return value.lower() in ("true", "1", "yes")


def _partitions_per_run(env: Mapping[str, str]) -> int:
    """How many country x language partitions a backfill run materialises."""
    value = env.get("ASKNEWS_PARTITIONS_PER_RUN", "8")
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"ASKNEWS_PARTITIONS_PER_RUN must be a whole number of at least 1, not {value!r}")
    return int(value)


_current: Settings | None = None


def current() -> Settings:
    """This process's settings, read from the environment on first use."""
    global _current
    if _current is None:
        _current = Settings.from_env()
    return _current


def clear() -> None:
    """Forget the settings read so far: the next `current()` reads the environment again (tests)."""
    global _current
    _current = None
