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
