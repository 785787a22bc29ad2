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


def warehouse_path() -> Path:
    return Path(os.environ.get("ASKNEWS_DUCKDB_PATH", data_dir() / "warehouse" / "asknews.duckdb")).resolve()


def deployment() -> str:
    """Which resource set the definitions bind: 'local' (offline, embedded) or 'production'."""
    value = os.environ.get("ASKNEWS_DEPLOYMENT", "local")
    if value not in ("local", "production"):
        raise ValueError(f"ASKNEWS_DEPLOYMENT must be 'local' or 'production', not {value!r}")
    return value


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


EXECUTORS = ("current", "celery", "k8s")


def executor() -> str:
    """Where the steps of a run execute: 'current' (Dagster's default: subprocesses of the run
    worker), 'celery' (dagster-celery workers behind a broker) or 'k8s' (one Kubernetes Job per step)."""
    value = os.environ.get("ASKNEWS_EXECUTOR", "current")
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
