"""The entity-type schema, the LLM prompt and answer parsing, and spaCy's label mapping."""

import pytest

from asknews_assets.annotation import load_entity_schema, spacy_entity_type
from asknews_assets.annotation.prompt import (
    INVALID_ENTITY,
    INVALID_JSON,
    NO_ENTITY_LIST,
    AnswerFormatError,
    entities_problem,
    entity_messages,
    parse_entities,
)
from asknews_assets.annotation.schema import InvalidEntitySchema
from asknews_assets.annotation.spacy_labels import SPACY_LABELS
from asknews_assets.annotation.spans import Mention

REQUIRED = [
    "person", "organization", "location", "country", "city", "nationality or group", "date", "time", "event",
    "law or policy", "product", "money", "percentage", "quantity", "work of art", "disease", "vehicle", "weapon",
    "technology", "facility", "political party", "sports team", "award",
]  # fmt: skip


def test_packaged_schema_has_54_described_news_types():
    schema = load_entity_schema()
    assert len(schema) == 54 and len(set(schema.names)) == 54
    assert set(REQUIRED) <= set(schema.names)
    assert all(t.description and "\n" not in t.description for t in schema)
    assert all(name == name.lower().strip() for name in schema.names)


def test_schema_subset_and_override_file(tmp_path):
    subset = load_entity_schema(only=["city", "Person"])
    assert subset.names == ["person", "city"]  # schema order kept
    with pytest.raises(InvalidEntitySchema, match="unicorn"):
        load_entity_schema(only=["unicorn"])

    custom = tmp_path / "types.yaml"
    custom.write_text("version: mine\nentity_types:\n  - name: Ship_Name\n    description: a ship\n  - name: port\n")
    schema = load_entity_schema(custom)
    assert (schema.version, schema.names, schema.types[1].description) == ("mine", ["ship name", "port"], "")

    custom.write_text("entity_types:\n  - name: port\n  - name: Port\n")
    with pytest.raises(InvalidEntitySchema, match="unique"):
        load_entity_schema(custom)
    with pytest.raises(InvalidEntitySchema, match="cannot read"):
        load_entity_schema(tmp_path / "missing.yaml")


def test_prompt_lists_every_type_with_its_description_and_the_text():
    schema = load_entity_schema(only=["person", "city"])
    system, user = entity_messages("  Macron visited Lyon.  ", schema)
    assert system["role"] == "system" and user["role"] == "user"
    assert "- person: A named individual" in user["content"] and "- city: A city" in user["content"]
    assert "- country" not in user["content"]
    assert user["content"].endswith("Text:\nMacron visited Lyon.")


@pytest.mark.parametrize(
    "answer",
    [
        '{"entities": [{"text": "Macron", "type": "person"}, {"text": "Lyon", "type": "city"}]}',
        'Here you go:\n```json\n{"entities": [{"text": "Macron", "type": "person"}, {"text": "Lyon", "type": "city"}]}\n```',
        '[{"entity": "Macron", "label": "person"}, {"name": " Lyon ", "entity_type": "city"}]',
    ],
)
def test_answers_in_the_usual_shapes_parse(answer):
    assert parse_entities(answer) == [Mention("Macron", "person"), Mention("Lyon", "city")]
    assert entities_problem(answer) is None


@pytest.mark.parametrize(
    "answer, problem",
    [
        ("Macron (person), Lyon (city)", INVALID_JSON),
        ('{"entities": [{"text": "Macron", "type": "person"}', INVALID_JSON),
        ('{"people": ["Macron"]}', NO_ENTITY_LIST),
        ('{"entities": ["Macron"]}', INVALID_ENTITY),
        ('{"entities": [{"text": "Macron"}]}', INVALID_ENTITY),
    ],
)
def test_unusable_answers_name_their_problem(answer, problem):
    assert entities_problem(answer) == problem
    with pytest.raises(AnswerFormatError):
        parse_entities(answer)


def test_an_empty_entity_list_is_a_valid_answer():
    assert parse_entities('{"entities": []}') == [] and entities_problem('{"entities": []}') is None


def test_spacy_labels_map_onto_the_schema():
    names = set(load_entity_schema().names)
    assert {label for label in SPACY_LABELS.values() if label} <= names
    assert spacy_entity_type("PERSON", "Joe Biden") == "person"
    assert spacy_entity_type("NORP", "Ukrainians") == "nationality or group"
    assert spacy_entity_type("FAC", "Heathrow Airport") == "facility"
    assert spacy_entity_type("CARDINAL", "three") is None and spacy_entity_type("ORDINAL", "first") is None
    # GPE: countries by gazetteer (ISO names and the short forms news uses), any other place is a location
    for country in ("France", "the U.S.", "UK", "South Korea", "Russia", "Côte d'Ivoire", "the United States"):
        assert spacy_entity_type("GPE", country) == "country", country
    assert spacy_entity_type("GPE", "Kharkiv") == "location"
    assert spacy_entity_type("CUSTOM_LABEL", "x") == "CUSTOM_LABEL"  # passed on, counted outside the schema
