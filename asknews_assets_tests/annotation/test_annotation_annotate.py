"""annotate_sample, the annotation step without Dagster: rows of the four tables and their figures."""

import json

import pandas as pd

from asknews_assets.annotation import Annotation, Mention, load_entity_schema
from asknews_assets.annotation.annotate import annotate_sample
from asknews_assets.annotation.quality import GOLD_SET_PATH, QUALITY_PARTS

SCHEMA = load_entity_schema(only=["person", "city"])
ANSWERS = {  # what a scripted annotator proposes for each article
    "a1": (Mention("Ada Lovelace", "person"), Mention("Paris", "city"), Mention("Atlantis", "city")),
    "a2": (Mention("Paris", "city"), Mention("Atlantis", "city")),
}


def _sample():
    base = {"country": "FR", "language": "fr", "topic_id": 1, "topic_label": "science", "pub_date": None,
            "translation_backend": None, "translation_model": None, "summary_backend": None, "summary_model": None,
            "prompt_version": None}  # fmt: skip
    return pd.DataFrame(
        [
            {**base, "article_id": "a1", "summary": "Ada Lovelace spoke in Paris.", "text_en": "Ada Lovelace spoke in Paris."},
            # The English article does not hold Paris: the summary's Paris is unattested.
            {**base, "article_id": "a2", "summary": "Paris was quiet.", "text_en": "The city was quiet."},
            {**base, "article_id": "a3", "summary": "Nothing usable.", "text_en": None},
            {**base, "article_id": "a4", "summary": None, "text_en": None},
        ]
    )


def _annotate(calls):
    def annotate(documents):
        calls.append([d.key for d in documents])
        return [
            Annotation(d.key, ANSWERS[d.key], cached=d.key == "a1") if d.key in ANSWERS else Annotation(d.key, failure="invalid_json", attempts=2)
            for d in documents
        ]

    return annotate


def test_every_article_ends_annotated_or_failed_with_its_reason():
    calls = []
    result = annotate_sample(_sample(), SCHEMA, _annotate(calls), backend="llm", model="m", prompt_version="p1", score_gold_set=False)

    assert calls == [["a1", "a2", "a3"]]  # the article without a summary is never sent
    assert [r["article_id"] for r in result.rows] == ["a1", "a2"] and result.articles == 4
    assert [(f["article_id"], f["reason"], f["attempts"]) for f in result.failures] == [("a3", "invalid_json", 2), ("a4", "no_text", 0)]
    assert result.failures_by_reason == {"invalid_json": 1, "no_text": 1} and not result.failed_entirely
    assert result.cached == 1
    first = result.rows[0]
    assert json.loads(first["ner"]) == [[0, 1, "person"], [4, 4, "city"]] and first["n_ungrounded"] == 1
    assert result.rows[1]["tokenized_text"] == ["Paris", "was", "quiet", "."]
    assert json.loads(result.rows[1]["unattested_mentions"]) == ["Paris"]


def test_figures_of_an_annotation():
    result = annotate_sample(_sample(), SCHEMA, _annotate([]), backend="llm", model="m", prompt_version="p1", score_gold_set=False)

    assert result.stats["n_entities"] == 2 and result.stats["n_proposed"] == 5 and result.stats["ungrounded_rate"] == 0.4
    assert result.type_counts == {"person": 1, "city": 1}
    assert result.most_common_mentions("ungrounded_mentions") == [("Atlantis", 2)]
    assert result.most_common_mentions("unattested_mentions") == [("Paris", 1)]
    assert result.documents_by_entity_count == {0: 1, 2: 1}
    assert result.preview()[0] == {
        "article_id": "a1", "entities": "Ada Lovelace (person), Paris (city)", "text": "Ada Lovelace spoke in Paris ."
    }  # fmt: skip
    assert result.entity_types == [
        {"entity_type": t.name, "description": t.description, "position": i, "schema_version": SCHEMA.version}
        for i, t in enumerate(SCHEMA)
    ]
    assert result.quality == {} and result.quality_rows == [] and result.quality_summary() == []


def test_the_annotator_is_scored_on_the_gold_set_with_the_same_callable():
    calls = []
    result = annotate_sample(_sample(), SCHEMA, _annotate(calls), backend="llm", model="m", prompt_version=None, score_gold_set=True)

    assert len(calls) == 2 and len(calls[1]) > 10  # the sample, then every gold text at once
    assert sorted(r["part"] for r in result.quality_rows) == sorted(QUALITY_PARTS)
    assert {(r["annotation_backend"], r["annotation_model"], r["gold_set"]) for r in result.quality_rows} == {
        ("llm", "m", GOLD_SET_PATH.name)
    }
    assert result.quality_summary() == [{k: v for k, v in r.items() if k not in ("annotation_backend", "annotation_model", "gold_set")} for r in result.quality_rows]
    # every gold answer failed: nothing predicted, every document counted as failed
    assert all(r["predicted_spans"] == 0 and r["failed_documents"] == r["documents"] > 0 for r in result.quality_rows)


def test_a_sample_of_which_nothing_could_be_annotated_says_why():
    sample = _sample()[lambda f: f["article_id"].isin(["a3", "a4"])]
    result = annotate_sample(sample, SCHEMA, _annotate([]), backend="llm", model="m", prompt_version=None, score_gold_set=False)
    assert result.failed_entirely and result.rows == []
    assert result.failure_message() == "no article of 2 could be annotated by llm (m): {'invalid_json': 1, 'no_text': 1}"
    empty = annotate_sample(sample.head(0), SCHEMA, _annotate([]), backend="llm", model="m", prompt_version=None, score_gold_set=False)
    assert not empty.failed_entirely  # no article at all is not a failure of the annotator
