"""Batched, windowed GLiNER inference on the offline MiniLM GLiNER (tiny max_len, no Hub)."""

import re
import warnings

import pytest
import torch

from asknews_assets.models import inference
from asknews_assets.models.inference import (
    GlinerModelUnavailable,
    fit_word_windows,
    load_gliner,
    open_gliner,
    predict_entities_batched,
    predict_token_spans,
    word_windows,
)
from asknews_assets.models.offline import build_offline_gliner

MAX_LEN = 16
LABELS = ["person", "city"]


@pytest.fixture(scope="module")
def model():
    return build_offline_gliner(max_len=MAX_LEN, seed=0)


def test_word_windows_cover_every_word_within_both_limits():
    windows = word_windows([1] * 40, max_words=16, max_subwords=1000, overlap=4)
    assert windows[0] == (0, 16) and windows[-1][1] == 40
    assert all(e - s <= 16 for s, e in windows)
    assert all(b[0] == a[1] - 4 for a, b in zip(windows, windows[1:]))  # consecutive windows overlap
    # The subword budget also ends a window; a word longer than the budget still gets one.
    assert word_windows([3, 3, 3, 3], max_words=10, max_subwords=6, overlap=1) == [(0, 2), (1, 3), (2, 4)]
    assert word_windows([9], max_words=10, max_subwords=6, overlap=1) == [(0, 1)]
    assert word_windows([], 10, 10, 2) == []


def test_windows_respect_the_model_max_length(model):
    words = [f"word{i}" for i in range(50)]
    windows = fit_word_windows(model, [words, [], ["short"]], LABELS)
    assert windows[1] == [] and [(s, e) for s, e, _ in windows[2]] == [(0, 1)]
    assert max(e - s for s, e, _ in windows[0]) == MAX_LEN
    assert windows[0][0][0] == 0 and windows[0][-1][1] == 50


def test_short_texts_match_gliners_own_inference(model):
    texts = ["Angela Merkel visited Paris in France .", "", "Olaf Scholz met Giorgia Meloni in Rome ."]
    ours = predict_entities_batched(model, texts, LABELS, threshold=0.3, batch_size=2)
    theirs = model.inference(texts, LABELS, threshold=0.3)
    key = lambda entities: [(e["start"], e["end"], e["label"], round(e["score"], 4)) for e in entities]  # noqa: E731
    assert [key(e) for e in ours] == [key(e) for e in theirs]
    assert ours[1] == []


def test_long_text_is_windowed_not_truncated_and_offsets_are_exact(model):
    sentence = "Angela Merkel met Olaf Scholz in Berlin on a cold Monday morning ."
    text = "  ".join([sentence] * 6)  # 72 words, 4.5 times MAX_LEN; double spaces test offsets
    beyond_max_len = [m.start() for m in re.finditer(r"\S+", text)][MAX_LEN]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (entities,) = predict_entities_batched(model, [text], LABELS, threshold=0.0, batch_size=4)
    assert not [w for w in caught if "truncated" in str(w.message)]
    assert entities, "an untrained model at threshold 0 still proposes spans"
    assert any(e["start"] >= beyond_max_len for e in entities)
    for entity in entities:
        assert text[entity["start"] : entity["end"]] == entity["text"]
        assert entity["text"] == entity["text"].strip() and entity["label"] in LABELS
    # Overlapping predictions from neighbouring windows were merged: flat, sorted output.
    assert all(a["end"] <= b["start"] for a, b in zip(entities, entities[1:]))


def test_token_spans_use_the_given_tokens(model):
    tokens = [["Angela", "Merkel", "visited", "Paris"] * 10, []]
    spans = predict_token_spans(model, tokens, LABELS, threshold=0.0, batch_size=3)
    assert spans[1] == []
    assert spans[0] and all(0 <= s <= e < 40 and label in LABELS for s, e, label in spans[0])
    assert max(e for _, e, _ in spans[0]) >= MAX_LEN


def test_the_factored_span_head_computes_gliners_logits(model):
    assert inference._has_marker_span_head(model)
    words = [["Angela", "Merkel", "visited", "Paris", "."], "Olaf Scholz met Giorgia Meloni in Rome".split()]
    batch = model.collate_batch([{"tokenized_text": w, "ner": None} for w in words], LABELS, model.create_collator())
    with torch.inference_mode():
        theirs = model.run_batch(batch)[0]
        ours = inference._marker_span_logits(model, batch)
    assert ours.shape == theirs.shape
    for row, text in enumerate(words):  # spans inside each text; the rest are never decoded
        for start in range(len(text)):
            widths = min(model.config.max_width, len(text) - start)
            torch.testing.assert_close(ours[row, start, :widths], theirs[row, start, :widths], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("threshold", [0.0, 0.5])
def test_fast_path_finds_what_gliners_own_forward_and_decoder_find(model, monkeypatch, threshold):
    sentence = "Angela Merkel met Olaf Scholz in Berlin on a cold Monday morning ."
    texts = [" ".join([sentence] * 3), "Giorgia Meloni flew to Rome .", ""]
    fast = predict_entities_batched(model, texts, LABELS, threshold=threshold, batch_size=2)
    monkeypatch.setattr(inference, "_has_marker_span_head", lambda _model: False)
    generic = predict_entities_batched(model, texts, LABELS, threshold=threshold, batch_size=2)
    key = lambda entities: [(e["start"], e["end"], e["label"]) for e in entities]  # noqa: E731
    assert [key(e) for e in fast] == [key(e) for e in generic]
    assert threshold > 0 or sum(map(len, fast)) > 0, "at threshold 0 an untrained model proposes spans"
    scores = [(a["score"], b["score"]) for x, y in zip(fast, generic) for a, b in zip(x, y)]
    assert all(abs(a - b) < 1e-5 for a, b in scores)


def test_load_gliner_caches_per_process_and_reads_saved_folders(model, tmp_path):
    model.save_pretrained(str(tmp_path / "m"), safe_serialization=True)
    first = load_gliner(tmp_path / "m")
    assert load_gliner(str(tmp_path / "m")) is first
    assert first.config.max_len == MAX_LEN


def test_an_unloadable_model_is_a_clear_error(tmp_path):
    with pytest.raises(GlinerModelUnavailable, match="cannot load GLiNER model"):
        open_gliner(str(tmp_path / "no-such-model"))


def test_the_offline_model_is_seeded_and_saved_as_safetensors(model, tmp_path):
    build_offline_gliner(tmp_path / "offline", max_len=MAX_LEN, seed=0)
    assert (tmp_path / "offline" / "model.safetensors").is_file()
    rebuilt = open_gliner(tmp_path / "offline").model.state_dict()
    original = model.model.state_dict()
    assert rebuilt.keys() == original.keys()
    assert all(torch.equal(rebuilt[k], original[k]) for k in original)


def test_the_offline_model_tells_label_vectors_apart_before_training(model):
    # Regression: vectors taken at the new <<ENT>> marker were ~0.9 cosine-similar at build and ~0.99
    # after fine-tuning, so every span got the same type. The label's own word piece differs from the start.
    labels = ["person", "organization", "location", "date", "money", "law or policy", "work of art", "quantity"]
    batch = model.collate_batch([{"tokenized_text": "Alice met Bob in Paris".split(), "ner": None}], labels)
    core = model.model
    with torch.inference_mode():
        representations = core.get_representations(
            batch["input_ids"], batch["attention_mask"], batch["text_lengths"], batch["words_mask"]
        )
        vectors = torch.nn.functional.normalize(core.prompt_rep_layer(representations.prompts_embedding)[0], dim=-1)
    cosine = vectors @ vectors.T
    mean_off_diagonal = (cosine.sum() - len(labels)) / (len(labels) ** 2 - len(labels))
    assert mean_off_diagonal < 0.75
