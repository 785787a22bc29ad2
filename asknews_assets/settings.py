"""Where things live, read once from the environment.

Every path the assets use derives from ASKNEWS_DATA_DIR (default: the repository's data/ folder),
so that tests and deployments can point a whole run somewhere else with one variable.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    return Path(os.environ.get("ASKNEWS_DATA_DIR", PROJECT_ROOT / "data")).resolve()


def sample_corpus_dir() -> Path:
    return PROJECT_ROOT / "data" / "sample"


def source_dir() -> Path:
    """Folder read by the file news source (default: the bundled sample corpus)."""
    return Path(os.environ.get("ASKNEWS_SOURCE_DIR", sample_corpus_dir())).resolve()


def source_kind(deployment_name: str | None = None) -> str:
    """Which news source to read: 'files' or 'asknews' (ASKNEWS_SOURCE).

    Default: 'asknews' in production, 'files' otherwise; in production an explicitly set
    ASKNEWS_SOURCE_DIR also means 'files'. Asking for the API while ASKNEWS_SOURCE_DIR is set is a
    contradiction and an error, never a silent choice.
    """
    deployment_name = deployment_name or deployment()
    folder_set = bool(os.environ.get("ASKNEWS_SOURCE_DIR", "").strip())
    value = os.environ.get("ASKNEWS_SOURCE", "").strip().lower()
    if not value:
        return "asknews" if deployment_name == "production" and not folder_set else "files"
    if value not in ("files", "asknews"):
        raise ValueError(f"ASKNEWS_SOURCE must be 'files' or 'asknews', not {value!r}")
    if value == "asknews" and folder_set:
        raise ValueError(
            "ASKNEWS_SOURCE=asknews reads the AskNews API, but ASKNEWS_SOURCE_DIR is set too: unset one of them"
        )
    return value


def source_license() -> str:
    """Licence of source records without a `license` field (ASKNEWS_SOURCE_LICENSE, an SPDX id).

    Default: apache-2.0 for the bundled sample corpus (written for this project), unknown ('') for
    any other folder, so a feed of unknown rights is never published under a licence it lacks.
    """
    if value := os.environ.get("ASKNEWS_SOURCE_LICENSE", "").strip():
        return value
    return "apache-2.0" if source_dir() == sample_corpus_dir().resolve() else ""


def dataset_license() -> str:
    """The licence the published dataset must carry (ASKNEWS_DATASET_LICENSE, an SPDX id); empty:
    the most restrictive licence of its source articles."""
    return os.environ.get("ASKNEWS_DATASET_LICENSE", "").strip().lower()


def missing_english() -> str:
    """What to do with non-English articles whose source gives no English (ASKNEWS_MISSING_ENGLISH):
    'fail' (default: the partition fails, naming the articles), 'skip' (recorded as translation
    failures with the reason, the rest goes on) or 'machine' (CTranslate2 translates them)."""
    value = os.environ.get("ASKNEWS_MISSING_ENGLISH", "fail").strip().lower() or "fail"
    if value not in MISSING_ENGLISH_CHOICES:
        raise ValueError(f"ASKNEWS_MISSING_ENGLISH must be one of {MISSING_ENGLISH_CHOICES}, not {value!r}")
    return value


MISSING_ENGLISH_CHOICES = ("fail", "skip", "machine")


def accept_partial_build() -> bool:
    """ASKNEWS_ACCEPT_PARTIAL_BUILD=1: let the dataset build pass with partitions missing or stale in
    a stage (the gaps are still recorded and shown); default: such gaps fail the build."""
    value = os.environ.get("ASKNEWS_ACCEPT_PARTIAL_BUILD", "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ValueError(f"ASKNEWS_ACCEPT_PARTIAL_BUILD must be 1 or 0, not {value!r}")


def warehouse_path() -> Path:
    return Path(os.environ.get("ASKNEWS_DUCKDB_PATH", data_dir() / "warehouse" / "asknews.duckdb")).resolve()


WAREHOUSE_BACKENDS = ("duckdb", "ducklake")


def warehouse_backend() -> str:
    """'duckdb' (one embedded file, the default) or 'ducklake' (PostgreSQL catalog, Parquet data)."""
    value = os.environ.get("ASKNEWS_WAREHOUSE", "duckdb")
    if value not in WAREHOUSE_BACKENDS:
        raise ValueError(f"ASKNEWS_WAREHOUSE must be one of {', '.join(WAREHOUSE_BACKENDS)}, not {value!r}")
    return value


def ducklake_data_path() -> str:
    """Where DuckLake writes its Parquet files: a folder every writer mounts, or an s3:// prefix."""
    value = os.environ.get("ASKNEWS_DUCKLAKE_DATA_PATH", "")
    if value.startswith("s3://"):
        return value
    return str(Path(value).resolve()) if value else str(data_dir() / "lake")


def deployment() -> str:
    """Which resource set the definitions bind: 'local' (offline, embedded) or 'production'."""
    value = os.environ.get("ASKNEWS_DEPLOYMENT", "local")
    if value not in ("local", "production"):
        raise ValueError(f"ASKNEWS_DEPLOYMENT must be 'local' or 'production', not {value!r}")
    return value


def partitions_per_run() -> int:
    """How many country x language partitions a backfill run materialises (ASKNEWS_PARTITIONS_PER_RUN)."""
    value = os.environ.get("ASKNEWS_PARTITIONS_PER_RUN", "8")
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"ASKNEWS_PARTITIONS_PER_RUN must be a whole number of at least 1, not {value!r}")
    return int(value)


def cache_dir() -> Path:
    """Converted translation models, downloaded base models, benchmark fixtures."""
    return data_dir() / "cache"


def dataset_store_dir() -> Path:
    """Versioned dataset exports: <dataset_store_dir>/<version>/."""
    return data_dir() / "datasets"


def model_store_dir() -> Path:
    """Fine-tuned models: <model_store_dir>/gliner-<variant>/<version>/."""
    return data_dir() / "models"


def publish_dir() -> Path:
    """The local publish target: one folder per Hub repository, with the Hub's layout."""
    return Path(os.environ.get("ASKNEWS_PUBLISH_DIR", data_dir() / "publish")).resolve()


EXECUTORS = ("in_process", "multiprocess", "celery", "k8s")


def executor() -> str:
    """Where the steps of a run execute: 'in_process' (default: in the run worker's process),
    'multiprocess' (a subprocess per step), 'celery' (dagster-celery workers behind a broker) or
    'k8s' (one Kubernetes Job per step)."""
    value = os.environ.get("ASKNEWS_EXECUTOR", "in_process")
    if value not in EXECUTORS:
        raise ValueError(f"ASKNEWS_EXECUTOR must be one of {EXECUTORS}, not {value!r}")
    return value


def celery_visibility_timeout() -> int:
    """Seconds after which the broker hands an unacknowledged step to another worker (the worker
    that took it is presumed dead): longer than the longest step, e.g. a fine-tuning."""
    return int(os.environ.get("ASKNEWS_CELERY_VISIBILITY_TIMEOUT", "7200"))


TRAINING_RUNNERS = ("in_process", "pipes")


def training_runner() -> str:
    """How finetuned_gliner runs its training: 'in_process' (in the step) or 'pipes' (a Dagster Pipes
    workload: a local subprocess, or a pod on the GPU node pool in production)."""
    value = os.environ.get("ASKNEWS_TRAINING_RUNNER", "in_process")
    if value not in TRAINING_RUNNERS:
        raise ValueError(f"ASKNEWS_TRAINING_RUNNER must be one of {TRAINING_RUNNERS}, not {value!r}")
    return value
