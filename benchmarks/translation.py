"""Translation speed: CTranslate2 int8 against Hugging Face transformers, and the translator
resource against a bare CTranslate2 loop.

1. Engine: the same OPUS-MT-sized Marian model (d_model 512, 6+6 layers, 8 heads, FFN 2048, a
   58,101-piece vocabulary; random weights, built locally) translates the same sentences with
   `transformers` `generate` (float32) and with CTranslate2 (converted to int8), greedy, a fixed
   output length on both sides, and the same thread count (THREADS). Target: CTranslate2 >= 3x.
2. Pipeline: `CTranslate2Translator.translate_texts` (sentence splitting, length-sorted batching,
   reassembly) on articles against a bare tokenize / `translate_batch` / decode loop over the same
   sentences in the same batches on the same loaded model. Target: the resource keeps >= 90% of
   the bare loop's throughput.

The model is built once and cached under <ASKNEWS_DATA_DIR>/cache/bench.
Run: python -m benchmarks.translation [--quick]
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from asknews_assets import settings
from asknews_assets.resources.translation import CTranslate2Translator
from asknews_assets.translation.models import load_model, prepare_model
from asknews_assets.translation.segments import segment
from asknews_assets_tests.support.models.tiny_marian import SPANISH, build_marian
from benchmarks._common import best_seconds, ratio_rows

OPUS_MT_ARCHITECTURE = {
    "d_model": 512, "encoder_layers": 6, "decoder_layers": 6, "encoder_attention_heads": 8,
    "decoder_attention_heads": 8, "encoder_ffn_dim": 2048, "decoder_ffn_dim": 2048, "max_position_embeddings": 512,
}  # fmt: skip
OPUS_MT_VOCABULARY = 58_101
OUTPUT_TOKENS = 24
BATCH_SIZE = 16
SENTENCES_PER_ARTICLE = 4
# One thread on each side: on a shared machine an oversubscribed OpenMP pool (torch) slows down
# several times over, which would measure the machine's load rather than the engines.
THREADS = 1


def _bench_model() -> Path:
    folder = settings.current().data_dir / "cache" / "bench" / "opus-mt-sized-marian"
    if not (folder / "hf" / "config.json").is_file():
        build_marian(folder, OPUS_MT_ARCHITECTURE, subwords=400, vocab_size=OPUS_MT_VOCABULARY)
    return folder / "hf"


def _sentences(count: int) -> list[str]:
    """Spanish sentences of news length (about 20 words), from the words the tokenizer was trained on."""
    pairs = [(SPANISH[i % len(SPANISH)], SPANISH[(i + 3) % len(SPANISH)]) for i in range(count)]
    return [f"{first[:-1]} y {second[0].lower()}{second[1:]}" for first, second in pairs]


def _best_rates(items: int, runs: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Items per second of each run's fastest repetition (runs alternate)."""
    return {name: items / seconds for name, seconds in best_seconds(runs, repeats).items()}


def _engine_rows(hf_folder: Path, ct2_folder: Path, sentences: list[str], repeats: int) -> list[dict]:
    import torch
    from transformers import MarianMTModel

    model = load_model(str(ct2_folder), "cpu", "int8", THREADS, 1)
    tokenizer = model.tokenizer
    batches = [sentences[i : i + BATCH_SIZE] for i in range(0, len(sentences), BATCH_SIZE)]
    token_batches = [[tokenizer.convert_ids_to_tokens(tokenizer.encode(s)) for s in batch] for batch in batches]

    def ctranslate2_run() -> list[int]:
        lengths = []
        for batch in token_batches:
            results = model.translator.translate_batch(
                batch, beam_size=1, max_decoding_length=OUTPUT_TOKENS, min_decoding_length=OUTPUT_TOKENS
            )
            lengths += [len(r.hypotheses[0]) for r in results]
        return lengths

    torch.set_num_threads(THREADS)
    hf_model = MarianMTModel.from_pretrained(hf_folder).eval()
    encoded = [tokenizer(batch, return_tensors="pt", padding=True) for batch in batches]

    def transformers_run() -> list[int]:
        lengths = []
        with torch.inference_mode():
            for inputs in encoded:
                output = hf_model.generate(
                    **inputs, num_beams=1, do_sample=False, max_new_tokens=OUTPUT_TOKENS, min_new_tokens=OUTPUT_TOKENS
                )
                lengths += [output.shape[1] - 1] * output.shape[0]  # minus the decoder start token
        return lengths

    # Same work on both sides (every sentence decoded to exactly OUTPUT_TOKENS tokens); also a warm-up.
    assert ctranslate2_run() == transformers_run() == [OUTPUT_TOKENS] * len(sentences)
    rates = _best_rates(len(sentences), {"hf": transformers_run, "ct2": ctranslate2_run}, repeats)
    return ratio_rows(
        "translation engine (ratio: x transformers)",
        ("transformers generate, sentences/s", rates["hf"]),
        ("ctranslate2 int8, sentences/s", rates["ct2"]),
        target=3.0,
    )


def _pipeline_rows(hf_folder: Path, ct2_folder: Path, sentences: list[str], repeats: int) -> list[dict]:
    articles = [
        " ".join(sentences[i : i + SENTENCES_PER_ARTICLE]) for i in range(0, len(sentences), SENTENCES_PER_ARTICLE)
    ]
    translator = CTranslate2Translator(
        models={"es": str(hf_folder)},
        cache_dir=str(ct2_folder.parent),
        compute_type="int8",
        intra_threads=THREADS,
        batch_size=BATCH_SIZE,
        beam_size=1,
        max_decoding_length=OUTPUT_TOKENS,
    )
    model = load_model(str(ct2_folder), "cpu", "int8", THREADS, 1)  # the very model the resource uses
    tokenizer = model.tokenizer
    assert [s for article in articles for s in segment(article).segments] == sentences
    # The bare loop gets the sentences already split and in the resource's length-sorted order
    # (untimed), so both sides decode identical batches and the ratio isolates the resource's own work.
    lengths = [len(tokenizer.encode(s)) for s in sentences]
    ordered = [sentences[i] for i in sorted(range(len(sentences)), key=lambda i: lengths[i], reverse=True)]

    def bare_loop() -> list[str]:
        outputs = []
        for i in range(0, len(ordered), BATCH_SIZE):
            batch = [tokenizer.convert_ids_to_tokens(tokenizer.encode(s)) for s in ordered[i : i + BATCH_SIZE]]
            results = model.translator.translate_batch(batch, beam_size=1, max_decoding_length=OUTPUT_TOKENS)
            outputs += [
                tokenizer.decode(tokenizer.convert_tokens_to_ids(r.hypotheses[0]), skip_special_tokens=True)
                for r in results
            ]
        return outputs

    # Same translations on both sides; also a warm-up.
    translated = dict(zip(ordered, bare_loop()))
    expected = [" ".join(translated[s] for s in segment(article).segments) for article in articles]
    assert translator.translate_texts(articles, "es") == expected
    runs = {"bare": bare_loop, "resource": lambda: translator.translate_texts(articles, "es")}
    rates = _best_rates(len(sentences), runs, repeats)
    return ratio_rows(
        "translation pipeline (ratio: x bare loop)",
        ("bare translate_batch loop, sentences/s", rates["bare"]),
        ("CTranslate2Translator.translate_texts, sentences/s", rates["resource"]),
        target=0.9,
    )


def run(quick: bool = False) -> list[dict]:
    hf_folder = _bench_model()
    ct2_folder = prepare_model(str(hf_folder), hf_folder.parent / "ct2", "int8")
    sentences = _sentences(16 if quick else 64)
    repeats = 1 if quick else 2
    return _engine_rows(hf_folder, ct2_folder, sentences, repeats) + _pipeline_rows(
        hf_folder, ct2_folder, sentences, repeats
    )




if __name__ == "__main__":
    from benchmarks.__main__ import main  # one table printer for every benchmark

    sys.exit(main(["translation", *sys.argv[1:]]))
