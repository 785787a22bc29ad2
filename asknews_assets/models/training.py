"""Fine-tuning a GLiNER with GLiNER's own Trainer and TrainingArguments.

The run is seeded, writes checkpoints under `<model_dir>/checkpoints/` (and resumes from the
latest one when a run of the same version was interrupted), records the loss through a callback,
and saves the final model as safetensors + gliner_config.json + tokenizer files at the top of
`model_dir`, so that `GLiNER.from_pretrained(model_dir)` needs nothing else.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from asknews_assets.dataset.export import training_rows
from asknews_assets.models.inference import fit_word_windows

CHECKPOINTS = "checkpoints"
TRAINING_RECORD = "training.json"


@dataclass(frozen=True)
class TrainingSettings:
    """What a fine-tuning run does. Every field enters the model version."""

    # ~1.3 s a step at batch 4 on 2 idle cores for ~120-word documents: 120 steps take 2-3 minutes.
    max_steps: int = 120  # optimizer steps; 0 or less: train `epochs` epochs instead
    epochs: float = 1.0
    # Rates for the offline base, whose span and prompt layers start untrained; pretrained GLiNER
    # bases are usually fine-tuned gentler (GLiNER's configs: 1e-5 / 5e-5).
    lr_encoder: float = 5e-5  # the transformer encoder (GLiNER's `learning_rate`)
    lr_others: float = 5e-4  # span, prompt and scoring layers (GLiNER's `others_lr`)
    batch_size: int = 4
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    negatives: float = 1.0  # share of negative span x type pairs kept in the loss
    neg_type_ratio: int = 1  # up to this many absent schema types per present type in a prompt
    max_types: int = 25  # entity types in one example's prompt, negatives included
    focal_loss_alpha: float = 0.75
    focal_loss_gamma: float = 2.0
    save_steps: int = 100
    save_total_limit: int = 2
    seed: int = 0


def model_version(data_version: str, base_model: str, settings: TrainingSettings) -> str:
    """`<data version>-<hash of base model and settings>`: equal inputs, equal folder."""
    payload = json.dumps({"base_model": base_model, "settings": asdict(settings)}, sort_keys=True)
    digest = hashlib.sha256(payload.encode()).hexdigest()[:10]
    safe_data_version = re.sub(r"[^A-Za-z0-9._-]", "_", data_version) or "data"
    return f"{safe_data_version}-{digest}"


def window_examples(model: Any, rows: Sequence[dict[str, Any]], entity_types: Sequence[str]) -> list[dict[str, Any]]:
    """Training rows cut into windows the model reads whole, instead of letting GLiNER truncate
    them: each window keeps the spans that lie inside it, re-indexed. The prompt budget assumes the
    longest `max_types` entity types, the worst a training prompt can be."""
    longest = sorted(set(entity_types), key=len, reverse=True)[: int(model.config.max_types)]
    examples = []
    for row, windows in zip(rows, fit_word_windows(model, [r["tokenized_text"] for r in rows], longest)):
        for start, end, _ in windows:
            examples.append(
                {
                    "tokenized_text": row["tokenized_text"][start:end],
                    "ner": [[s - start, e - start, t] for s, e, t in row["ner"] if s >= start and e < end],
                }
            )
    return examples


class SchemaNegativeExamples:
    """Training examples whose prompt also names types of the whole schema that they do not contain,
    drawn afresh each time an example is read (GLiNER's `ner_negatives`).

    GLiNER's own sampling only takes absent types from the other examples of a batch, so a schema type
    that no training span uses never appears in a prompt; evaluation prompts name every schema type,
    and such never-seen types then won the spans. Per example, `randint(0, neg_type_ratio)` times its
    number of present types are added, at most up to `max_types`, so no present type is cut.
    """

    def __init__(self, examples: Sequence[dict[str, Any]], entity_types: Sequence[str], settings: TrainingSettings):
        self.examples = list(examples)
        self.entity_types = list(dict.fromkeys(entity_types))
        self.neg_type_ratio = settings.neg_type_ratio
        self.max_types = settings.max_types

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> dict[str, Any]:
        example = self.examples[index]
        present = {t for _, _, t in example["ner"]}
        absent = [t for t in self.entity_types if t not in present]
        wanted = random.randint(0, max(0, self.neg_type_ratio)) * max(1, len(present))
        count = max(0, min(wanted, self.max_types - len(present), len(absent)))
        return {**example, "ner_negatives": random.sample(absent, count)}


@dataclass
class TrainingResult:
    model_dir: Path
    steps: int
    examples: int
    train_seconds: float
    loss_history: list[dict[str, float]]
    eval_loss: float | None
    resumed_from: str | None

    @property
    def steps_this_run(self) -> int:
        """Steps trained by this call: a resumed run started at its checkpoint's step."""
        return self.steps - (int(Path(self.resumed_from).name.rsplit("-", 1)[-1]) if self.resumed_from else 0)

    @property
    def steps_per_second(self) -> float:
        return self.steps_this_run / self.train_seconds if self.train_seconds else 0.0


def _trainer_classes():
    """GLiNER's Trainer, and its TrainingArguments with `save_safetensors`, which GLiNER's Trainer
    reads for checkpoints but Transformers 5 no longer declares."""
    from gliner.training import Trainer, TrainingArguments
    from transformers import TrainerCallback

    @dataclass
    class SafetensorsTrainingArguments(TrainingArguments):
        save_safetensors: bool = True

    class LossHistory(TrainerCallback):
        """Collects every logged training loss; `report` sees each point as it comes."""

        def __init__(self, report: Callable[[dict[str, float]], None] | None = None):
            self.points: list[dict[str, float]] = []
            self.report = report

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                point = {
                    "step": state.global_step,
                    "loss": float(logs["loss"]),
                    "learning_rate": float(logs.get("learning_rate", 0.0)),
                }
                self.points.append(point)
                if self.report:
                    self.report(point)

    return Trainer, SafetensorsTrainingArguments, LossHistory


def training_arguments(settings: TrainingSettings, output_dir: Path, use_cpu: bool):
    """GLiNER TrainingArguments for these settings (also used by the benchmark's bare run)."""
    _, arguments_class, _ = _trainer_classes()
    return arguments_class(
        output_dir=str(output_dir),
        learning_rate=settings.lr_encoder,
        others_lr=settings.lr_others,
        weight_decay=settings.weight_decay,
        others_weight_decay=settings.weight_decay,
        lr_scheduler_type="linear",
        warmup_ratio=settings.warmup_ratio,
        per_device_train_batch_size=settings.batch_size,
        per_device_eval_batch_size=settings.batch_size,
        max_steps=settings.max_steps if settings.max_steps > 0 else -1,
        num_train_epochs=settings.epochs,
        focal_loss_alpha=settings.focal_loss_alpha,
        focal_loss_gamma=settings.focal_loss_gamma,
        negatives=settings.negatives,
        save_strategy="steps",
        save_steps=settings.save_steps,
        save_total_limit=settings.save_total_limit,
        logging_steps=max(1, (settings.max_steps if settings.max_steps > 0 else 100) // 50),
        seed=settings.seed,
        data_seed=settings.seed,
        use_cpu=use_cpu,
        dataloader_num_workers=0,
        report_to="none",
        disable_tqdm=True,
        prediction_loss_only=True,  # evaluation reports the loss; logits differ in shape per batch
    )


def apply_sampling_settings(model: Any, settings: TrainingSettings) -> None:
    """Prompt size lives in the model config, read by GLiNER's collator (which also keeps the ratio
    in the saved config; the negative types themselves come from `SchemaNegativeExamples`)."""
    model.config.max_neg_type_ratio = settings.neg_type_ratio
    model.config.max_types = settings.max_types


def train_gliner(
    model: Any,
    train_rows: Sequence[dict[str, Any]],
    model_dir: str | Path,
    settings: TrainingSettings,
    entity_types: Sequence[str] = (),
    eval_rows: Sequence[dict[str, Any]] = (),
    report: Callable[[dict[str, float]], None] | None = None,
    keep_checkpoints: bool = False,
) -> TrainingResult:
    """Fine-tune `model` in place on GLiNER rows and save it to `model_dir`.

    Checkpoints go to `model_dir/checkpoints` and are removed after the final save unless
    `keep_checkpoints`; a checkpoint left there by an interrupted run is resumed from.
    """
    import torch
    from transformers.trainer_utils import get_last_checkpoint, set_seed

    model_dir = Path(model_dir)
    checkpoint_dir = model_dir / CHECKPOINTS
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    set_seed(settings.seed)
    apply_sampling_settings(model, settings)
    rows = training_rows(list(train_rows))
    if not rows:
        raise ValueError("no training rows with tokens: the dataset's train split is empty")
    types = list(entity_types) or sorted({t for row in rows for _, _, t in row["ner"]})
    examples = SchemaNegativeExamples(window_examples(model, rows, types), types, settings)
    evaluation = (
        SchemaNegativeExamples(window_examples(model, training_rows(list(eval_rows)), types), types, settings)
        if eval_rows
        else None
    )

    trainer_class, _, loss_history_class = _trainer_classes()
    history = loss_history_class(report)
    trainer = trainer_class(
        model=model,
        args=training_arguments(settings, checkpoint_dir, use_cpu=not torch.cuda.is_available()),
        train_dataset=examples,
        eval_dataset=evaluation,
        data_collator=model._create_data_collator(),
        processing_class=model.data_processor.transformer_tokenizer,
        callbacks=[history],
    )
    resume_from = get_last_checkpoint(str(checkpoint_dir))
    started = time.perf_counter()
    trainer.train(resume_from_checkpoint=resume_from)
    train_seconds = time.perf_counter() - started
    eval_loss = trainer.evaluate().get("eval_loss") if evaluation else None

    model.eval()
    model.save_pretrained(str(model_dir), safe_serialization=True)
    steps = int(trainer.state.global_step)
    record = {
        "settings": asdict(settings),
        "steps": steps,
        "examples": len(examples),
        "train_seconds": train_seconds,
        "eval_loss": eval_loss,
        "resumed_from": resume_from,
        "loss_history": history.points,
    }
    (model_dir / TRAINING_RECORD).write_text(json.dumps(record, indent=2), encoding="utf-8")
    if not keep_checkpoints:
        shutil.rmtree(checkpoint_dir, ignore_errors=True)
    return TrainingResult(model_dir, steps, len(examples), train_seconds, history.points, eval_loss, resume_from)


def loss_curve_figure(loss_history: Sequence[dict[str, float]], title: str):
    """A matplotlib figure of training loss against step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 3))
    steps = [point["step"] for point in loss_history]
    axis.plot(steps, [point["loss"] for point in loss_history], marker="." if len(steps) < 30 else None)
    axis.set_title(title)
    axis.set_xlabel("step")
    axis.set_ylabel("training loss")
    axis.grid(alpha=0.3)
    return figure
