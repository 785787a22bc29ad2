"""The card sections as plain functions: data in, Markdown out (the whole cards are pinned by
test_publication_staging and test_card_escaping)."""

from __future__ import annotations

import json

import pandas as pd

from asknews_assets.models.benchmarks import ZERO_SHOT_BENCHMARKS
from asknews_assets.publication.cards import (
    SplitSummary,
    coverage_skews,
    dataset_intro,
    dataset_limitations_section,
    evaluation_comparison,
    evaluation_table_rows,
    grounding_section,
    model_intro,
    per_type_sections,
    provenance_section,
    splits_section,
    zero_shot_note,
)


def _evaluations(benchmarks: dict[str, tuple[float, float]], per_type: str = "{}") -> pd.DataFrame:
    return pd.DataFrame(
        [{"benchmark": name, "model": model, "precision": f1, "recall": f1, "f1": f1, "n_docs": 10, "per_type": per_type}
         for name, scores in benchmarks.items() for model, f1 in zip(("base", "finetuned"), scores)]  # fmt: skip
    )


def test_the_intro_counts_the_published_splits_and_the_schema():
    splits = [SplitSummary("train", 6, 12, 48, ("a",)), SplitSummary("test", 2, 3, 16, ("b",))]
    manifest = {"counts": {"language": {"de": 5, "fr": 3}, "country": {"DE": 8}, "topic": {"T": 8},
                           "entity_type": {"person": 10, "date": 5, "law": 0}}}  # fmt: skip
    intro = dataset_intro("v-1", "v-1", manifest, splits, ("2024-03-01", "2024-03-09"))
    assert intro.startswith("# AskNews-NER (v-1)\n\n8 English news summaries with 15 grounded entity annotations of 2 types")
    assert "(from a schema of 3)" in intro  # types counted when the manifest lists none
    assert "from 1 countries in\n2 languages, published between 2024-03-01 and 2024-03-09, and cover 1 topics" in intro
    assert "published between" not in dataset_intro("v-1", "v-1", manifest, splits, None)


def test_the_provenance_table_names_each_steps_backends():
    section = provenance_section({"source_backends": ["files", "asknews"], "entity_types": ["a", "b"],
                                  "provenance": {"annotation": [{"backend": "spacy", "model": "m", "documents": 4}]}})  # fmt: skip
    assert section.startswith("## How it was made\n\n|")
    assert "| ingestion |" in section and "source `files`, source `asknews` |" in section
    assert "| annotation | entities of 2 types extracted and grounded in the text | backend spacy, model m (4 documents) |" in section
    assert "| translation | non-English articles translated to English | not recorded |" in section


def test_held_out_topics_are_named_by_label_or_id():
    section = splits_section({"heldout_topics": [{"topic_id": 3, "topic_label": "Elections"}, {"topic_id": 7}]}, [])
    assert section.endswith("never in train): `Elections`, `topic 7`.")
    assert splits_section({}, []).endswith("never in train): none.")


def test_grounding_lists_the_unattested_rate_per_annotator_only_when_recorded():
    bare = grounding_section({"ungrounded_rate": 0.125})
    assert "12.5% of the entities the annotator proposed" in bare and "0.0%\nof the entities found" in bare
    assert bare.endswith("were dropped.\n\n")
    rows = [{"backend": "llm", "model": "m", "documents": 9, "n_unattested": 2, "unattested_rate": 0.2}]
    assert grounding_section({"unattested_by_backend": rows}).endswith("| llm (m) | 9 | 2 | 20.0% |")


def test_the_limitations_name_the_largest_share_of_each_count():
    counts = {"language": {"de": 3, "fr": 1}, "topic": {"A": 1, "B": 1}}
    assert coverage_skews(counts) == [
        "the largest language (`de`) holds 75.0% of the documents",
        "the largest topic (`A`) holds 50.0% of the documents",
    ]
    assert "Coverage is uneven: no counts recorded." in dataset_limitations_section({})


def test_the_evaluation_rows_end_with_the_averages():
    all_zero_shot = evaluation_comparison(_evaluations({name: (0.4, 0.5) for name in ZERO_SHOT_BENCHMARKS}))
    rows = evaluation_table_rows(all_zero_shot)
    assert [str(r["benchmark"]) for r in rows[-2:]] == ["**Average (zero-shot, 7 sets)**", "**Average (all 7 benchmarks)**"]
    assert rows[-1]["documents"] == 70 and rows[-1]["F1 change"] == "+10.0 pt"
    assert zero_shot_note(all_zero_shot).endswith("base 40.0%, this model 50.0%.")

    own_only = evaluation_comparison(_evaluations({"test": (0.5, 0.4)}))
    assert [str(r["benchmark"]) for r in evaluation_table_rows(own_only)] == ["test", "**Average (all 1 benchmarks)**"]
    assert zero_shot_note(own_only) == ""


def test_per_type_tables_fold_per_benchmark_and_skip_unreadable_scores():
    scores = json.dumps({"person": {"f1": 0.5}, "date": 0.25})
    sections = per_type_sections(_evaluations({"news": (0.4, 0.5), "mit-movie": (0.3, 0.4)}, per_type=scores))
    assert sections.count("<details>") == 2 and "<summary>MIT Movie</summary>" in sections
    assert "| date | 25.0% | 25.0% |" in sections
    assert per_type_sections(_evaluations({"news": (0.4, 0.5)}, per_type="not json")) == ""


def test_a_local_base_model_is_named_but_not_linked():
    common = dict(variant="small", model_version="m-1", tag="m-1", dataset_repo_id="acme/d", data_version="v", data_tag="v")
    assert "[`urchade/gliner_small-v2.1`](/urchade/gliner_small-v2.1)" in model_intro(base_model="urchade/gliner_small-v2.1", **common)
    assert "recognition: `/data/base`\nfine-tuned on [`acme/d`](/datasets/acme/d)" in model_intro(base_model="/data/base", **common)
