"""GLiNER speed: the project's batched inference against a per-text loop, and the fine-tuning
function against a bare `train_model` call.

1. Inference: `predict_entities_batched` (windowing, length-sorted batches of 8) against a loop of
   GLiNER's own `predict_entities`, one text at a time, on the same offline MiniLM GLiNER and the
   same news-length texts, labels, threshold and torch thread count. Both must find the same spans
   and labels (scores equal up to float rounding), which a row of its own checks. Target: batched
   >= 2x texts/s. The gain is compute GLiNER spends and ours does not: markerV0's span MLP factored
   to per-word products (see `_marker_span_logits`) and vectorised flat decoding.
2. Training: `train_gliner` (windowing, seeding, loss callback, final safetensors save) against a
   bare `model.train_model` with the same TrainingArguments and data, followed by the same save, on
   two identically built models. Target: >= 0.95x the bare call's steps/s.

Both sides of each comparison run in the same process, alternating, so that load from other
processes weighs on both alike. Run: python -m benchmarks.gliner [--quick]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from asknews_assets.models.inference import predict_entities_batched
from asknews_assets.models.offline import build_offline_gliner
from asknews_assets.models.training import TrainingSettings, train_gliner, training_arguments
from asknews_assets_tests.support.data.synthetic_ner import ENTITY_TYPES, synthetic_rows
from benchmarks._common import best_seconds, ratio_rows

BATCH_SIZE = 8
SCORE_TOLERANCE = 1e-4






def _inference_rows(texts: list[str], repeats: int) -> list[dict]:
    import torch

    model = build_offline_gliner(seed=0)
    model.eval()

    def naive_loop() -> list[list[dict]]:
        return [model.predict_entities(text, ENTITY_TYPES, threshold=0.5) for text in texts]

    def batched() -> list[list[dict]]:
        return predict_entities_batched(model, texts, ENTITY_TYPES, threshold=0.5, batch_size=BATCH_SIZE)

    # Also the warm-up: both sides' outputs must agree before their speeds are compared.
    theirs, ours = naive_loop(), batched()
    spans = lambda entities: [(e["start"], e["end"], e["label"]) for e in entities]  # noqa: E731
    same_spans = [spans(e) for e in theirs] == [spans(e) for e in ours]
    score_gap = max(
        (abs(a["score"] - b["score"]) for x, y in zip(theirs, ours) for a, b in zip(x, y)), default=0.0
    )
    seconds = best_seconds({"naive": naive_loop, "batched": batched}, repeats)
    title = f"gliner inference, {len(texts)} texts, {torch.get_num_threads()} threads (ratio: x per-text loop)"
    agreement = {
        "benchmark": title,
        "figure": f"same spans+labels as the loop ({sum(map(len, theirs))}), max score difference",
        "value": float(f"{score_gap:.2g}"),
        "target": SCORE_TOLERANCE,
        "passed": same_spans and score_gap <= SCORE_TOLERANCE,
    }
    return [
        agreement,
        *ratio_rows(
            title,
            ("per-text predict_entities loop, texts/s", len(texts) / seconds["naive"]),
            (f"predict_entities_batched (batch {BATCH_SIZE}), texts/s", len(texts) / seconds["batched"]),
            target=2.0,
        ),
    ]


def _training_rows(rows: list[dict], settings: TrainingSettings, repeats: int) -> list[dict]:
    import torch

    # Model building is not training: each side times its own call only.
    timings = {"bare": float("inf"), "ours": float("inf")}

    def bare(folder: Path) -> None:
        model = build_offline_gliner(seed=settings.seed)
        started = time.perf_counter()
        model.train_model(
            train_dataset=rows,
            eval_dataset=None,
            training_args=training_arguments(settings, folder / "checkpoints", use_cpu=not torch.cuda.is_available()),
        )
        model.save_pretrained(str(folder), safe_serialization=True)
        timings["bare"] = min(timings["bare"], time.perf_counter() - started)

    def ours(folder: Path) -> None:
        model = build_offline_gliner(seed=settings.seed)
        started = time.perf_counter()
        train_gliner(model, rows, folder, settings, ENTITY_TYPES)
        timings["ours"] = min(timings["ours"], time.perf_counter() - started)

    with tempfile.TemporaryDirectory() as scratch:
        for round_ in range(repeats):
            bare(Path(scratch) / f"bare-{round_}")
            ours(Path(scratch) / f"ours-{round_}")
    steps = settings.max_steps
    return ratio_rows(
        f"gliner training, {steps} steps of batch {settings.batch_size} (ratio: x bare train_model)",
        ("bare train_model + save, steps/s", steps / timings["bare"]),
        ("train_gliner (asset's training function), steps/s", steps / timings["ours"]),
        target=0.95,
    )


def run(quick: bool = False) -> list[dict]:
    documents = synthetic_rows(16 if quick else 48, seed=0, sentences=(2, 4))
    texts = [" ".join(row["tokenized_text"]) for row in documents]
    settings = TrainingSettings(max_steps=4 if quick else 12, batch_size=4, save_steps=10_000)
    repeats = 1 if quick else 2
    training_rows = synthetic_rows(40, seed=1, sentences=(1, 3))
    # Inference rounds are short and the machine may be shared: more rounds, best of each side.
    return _inference_rows(texts, 2 * repeats + 1) + _training_rows(training_rows, settings, repeats)




if __name__ == "__main__":
    from benchmarks.__main__ import main  # one table printer for every benchmark

    sys.exit(main(["gliner", *sys.argv[1:]]))
