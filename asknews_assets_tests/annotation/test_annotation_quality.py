"""The gold set and the scoring of annotators against it."""

import json
from collections import Counter

import pytest

from asknews_assets.annotation import Annotation, load_entity_schema, split_words
from asknews_assets.annotation.quality import (
    GOLD_SET_PATH,
    InvalidGoldSet,
    classify_errors,
    evaluate_on_gold,
    load_gold_set,
    score_spans,
)
from asknews_assets.annotation.spans import Mention, trim_span
from asknews_assets.publication.cards import annotation_quality_section

SCHEMA = load_entity_schema()


def test_gold_set_is_valid_and_follows_the_span_convention():
    documents = load_gold_set()  # raises on any span out of bounds, overlap, or type outside the schema
    slices = Counter(d.slice for d in documents)
    assert slices["sample"] >= 60 and slices["hard"] >= 15
    assert {d.split for d in documents} == {"dev", "heldout"} and sum(d.split == "heldout" for d in documents) >= 20
    assert len({d.id for d in documents}) == len(documents)
    for document in documents:
        tokens = split_words(document.text)
        assert [t.text for t in tokens] == list(document.tokens)
        for start, end, label in document.spans:
            assert label in SCHEMA and 0 <= start <= end < len(tokens)
            assert trim_span(tokens, start, end) == ((start, end), []), (document.id, document.tokens[start : end + 1])
    # the sample slice is made of the sample corpus' articles
    assert all(d.id.startswith("smp-") for d in documents if d.slice == "sample")
    assert len({label for d in documents for _, _, label in d.spans}) >= 40


def test_gold_loader_rejects_a_broken_row(tmp_path):
    good = GOLD_SET_PATH.read_text(encoding="utf-8").splitlines()[0]
    row = json.loads(good)
    row["ner"] = [[0, len(row["tokenized_text"]), "person"]]
    path = tmp_path / "gold.jsonl"
    path.write_text(good + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(InvalidGoldSet, match="span_out_of_bounds"):
        load_gold_set(path)
    row["ner"] = [[0, 0, "villain"]]
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(InvalidGoldSet, match="unknown_type:villain"):
        load_gold_set(path)


def test_errors_are_sorted_into_boundary_type_spurious_and_missed():
    gold = [(0, 1, "person"), (3, 3, "city"), (5, 6, "company"), (8, 8, "date"), (10, 10, "country")]
    predicted = [
        (0, 1, "person"),  # exact
        (3, 4, "city"),  # boundary
        (5, 6, "organization"),  # type
        (7, 8, "time"),  # boundary and type
        (12, 12, "money"),  # spurious
    ]  # (10, 10, country) is missed
    errors, confusions = classify_errors(gold, predicted)
    assert errors == Counter(boundary=1, type=1, boundary_and_type=1, spurious=1, missed=1)
    assert confusions == Counter({("company", "organization"): 1})
    report = score_spans([gold], [predicted])
    assert (report.micro.true_positives, report.micro.predicted, report.micro.gold) == (1, 5, 5)
    assert report.micro.f1 == pytest.approx(0.2) and report.per_type["person"].f1 == 1.0


def test_a_perfect_annotator_scores_one_and_a_silent_one_zero():
    documents = {d.id: d for d in load_gold_set()}

    def perfect(docs):
        return [
            Annotation(d.key, tuple(Mention(" ".join(documents[d.key].tokens[s : e + 1]), t) for s, e, t in documents[d.key].spans))
            for d in docs
        ]

    reports = evaluate_on_gold(perfect, SCHEMA.names)
    # text-only mentions label every occurrence; the guideline gives one type per surface form, so
    # the gold set's few exceptions (hard slice: "Jordan", "Amazon", "May", "Washington") cost a little
    assert reports["all"].micro.f1 > 0.97 and set(reports) == {"heldout", "dev", "all"}
    silent = evaluate_on_gold(lambda docs: [Annotation(d.key, failure="down") for d in docs], SCHEMA.names)
    assert silent["heldout"].micro.f1 == 0.0 and silent["heldout"].failed_documents == silent["heldout"].documents


def test_a_narrowed_schema_is_scored_on_its_own_types():
    reports = evaluate_on_gold(lambda docs: [Annotation(d.key) for d in docs], ["person", "city"])
    assert reports["all"].micro.gold == sum(1 for d in load_gold_set() for s in d.spans if s[2] in {"person", "city"})


def test_card_section_names_the_annotator_the_figures_belong_to():
    rows = [{"part": "heldout", "documents": 28, "precision": 0.61, "recall": 0.6, "f1": 0.605, "boundary_errors": 3,
             "type_errors": 4, "spurious_errors": 1, "missed_errors": 2, "annotation_backend": "llm",
             "annotation_model": "fake-llama", "gold_set": "gold_ner.jsonl"}]  # fmt: skip
    section = annotation_quality_section(rows)
    assert "`llm` (`fake-llama`)" in section and "| heldout | 28 | 0.610 | 0.600 | 0.605 |" in section
    assert annotation_quality_section([]).startswith("Not measured")
