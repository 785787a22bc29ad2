"""Grounding entity mentions in GLiNER word tokens: the hard cases."""

import unicodedata

import pytest
from gliner.data_processing.tokenizer import WhitespaceTokenSplitter

from hypothesis import given
from hypothesis import strategies as st

from asknews_assets.annotation.spans import Mention, align_mentions, normalize_text, split_words, trim_span

TYPES = ["person", "country", "city", "organization", "date", "money", "percentage", "location", "government agency"]


def _align(text, *mentions, types=TYPES):
    text = normalize_text(text)
    tokens = split_words(text)
    alignment = align_mentions(text, tokens, mentions, types)
    words = [t.text for t in tokens]
    return alignment, [(" ".join(words[s : e + 1]), label) for s, e, label in alignment.spans]


@pytest.mark.parametrize(
    "text",
    [
        "Joe Biden's $5.2-billion plan (U.S.) won 20% support in Kyiv-based polls on 2024-03-01.",
        "Emmanuel Macron\u2019s \u00ab r\u00e9forme \u00bb \u2014 see https://news.example/el_pais \u2026 «Київ» 東京 snake_case-word",
        "  tabs\tand\nnewlines  ",
        "",
    ],
)
def test_tokens_are_gliners_whitespace_splitter(text):
    ours = [(t.text, t.start, t.end) for t in split_words(text)]
    assert ours == list(WhitespaceTokenSplitter()(text))


def test_every_occurrence_of_a_repeated_name_is_labelled():
    alignment, spans = _align("Biden met Xi. Later Biden said Xi and Biden agreed.", Mention("Biden", "person"), Mention("Xi", "person"))
    assert spans == [("Biden", "person"), ("Xi", "person"), ("Biden", "person"), ("Xi", "person"), ("Biden", "person")]
    assert alignment.n_ungrounded == 0 and alignment.n_proposed == 2


def test_longest_candidate_wins_overlaps_and_no_token_gets_two_spans():
    alignment, spans = _align(
        "The Bank of England and England's Bank met. Bank of England officials agreed.",
        Mention("England", "country"),
        Mention("Bank of England", "organization"),
        Mention("Bank", "organization"),
    )
    assert spans == [
        ("Bank of England", "organization"),
        ("England", "country"),
        ("Bank", "organization"),
        ("Bank of England", "organization"),
    ]
    starts_ends = [(s, e) for s, e, _ in alignment.spans]
    covered = [i for s, e in starts_ends for i in range(s, e + 1)]
    assert len(covered) == len(set(covered))


def test_same_text_with_two_types_keeps_the_first_proposed():
    _, spans = _align("Georgia voted. Georgia is a country.", Mention("Georgia", "country"), Mention("Georgia", "location"))
    assert spans == [("Georgia", "country"), ("Georgia", "country")]


def test_punctuation_inside_and_around_entities():
    _, spans = _align(
        "The U.S. said Biden's team pledged $5 billion (about 20%) to St. Louis-based firms.",
        Mention("U.S.", "country"),
        Mention("Biden", "person"),
        Mention("$5 billion", "money"),
        Mention("20%", "percentage"),
        Mention("St. Louis", "city"),  # "Louis-based" is one token: not groundable
    )
    assert spans == [("U . S .", "country"), ("Biden", "person"), ("$ 5 billion", "money"), ("20 %", "percentage")]


def test_mentions_match_regardless_of_spacing_and_quote_style():
    alignment, spans = _align(
        "O\u2019Neill met officials of the Ministry of Defence ( MoD ) in Paris .",
        Mention("O'Neill", "person"),
        Mention("Ministry  of\nDefence", "government agency"),
        Mention("Paris.", "city"),  # grounded, then trimmed to the convention: no trailing full stop
    )
    assert spans == [("O \u2019 Neill", "person"), ("Ministry of Defence", "government agency"), ("Paris", "city")]
    assert alignment.n_ungrounded == 0


def test_unicode_composed_and_decomposed_forms_match():
    decomposed = unicodedata.normalize("NFD", "Zelenskyy visited Bucure\u0219ti and Kyiv (\u041a\u0438\u0457\u0432) with Fran\u00e7ois.")
    alignment, spans = _align(
        decomposed,
        Mention("Bucure\u0219ti", "city"),  # composed, while the text came decomposed
        Mention(unicodedata.normalize("NFD", "Fran\u00e7ois"), "person"),
        Mention("\u041a\u0438\u0457\u0432", "city"),
    )
    assert spans == [("Bucure\u0219ti", "city"), ("\u041a\u0438\u0457\u0432", "city"), ("Fran\u00e7ois", "person")]
    assert alignment.n_ungrounded == 0


def test_case_insensitive_but_capitalised_names_skip_lowercase_words():
    _, spans = _align(
        "The US told us that BIDEN and biden fans may meet in May. Inflation hit the european union.",
        Mention("US", "country"),
        Mention("Biden", "person"),
        Mention("May", "date"),
        Mention("European Union", "organization"),  # only written in lower case: matched anyway
    )
    assert spans == [
        ("US", "country"),
        ("BIDEN", "person"),
        ("May", "date"),
        ("european union", "organization"),
    ]


def test_ungrounded_and_unknown_types_are_dropped_and_counted():
    alignment, spans = _align(
        "Macron spoke in Paris.",
        Mention("Macron", "Person"),  # type case and spacing are normalised
        Mention("Angela Merkel", "person"),  # not in the text: hallucinated
        Mention("Paris", "capital city"),  # type outside the schema
        Mention("", "person"),
    )
    assert spans == [("Macron", "person")]
    assert (alignment.n_proposed, alignment.n_ungrounded, alignment.n_unknown_type) == (4, 2, 1)
    assert alignment.ungrounded == ["Angela Merkel", ""] and alignment.unknown_types == ["capital city"]


def test_positioned_mentions_label_only_that_occurrence_and_need_token_boundaries():
    text = "Paris-based Paris startups met in Paris ."
    mentions = [
        Mention("Paris", "city", 0, 5),  # inside the token "Paris-based": not on a boundary
        Mention("Paris", "city", 12, 17),
        Mention(" Paris", "city", 33, 39),  # surrounding spaces are ignored
    ]
    alignment = align_mentions(text, split_words(text), mentions, TYPES)
    assert alignment.spans == [(1, 1, "city"), (5, 5, "city")]
    assert alignment.n_ungrounded == 1


def test_empty_text_grounds_nothing():
    alignment, spans = _align("", Mention("Paris", "city"))
    assert spans == [] and alignment.n_ungrounded == 1


def test_span_convention_drops_articles_possessives_and_edge_punctuation():
    alignment, spans = _align(
        "Officials of the European Parliament met Rishi Sunak's team, the Emirates' envoy and (BCRA) staff.",
        Mention("the European Parliament", "organization"),
        Mention("Rishi Sunak's", "person"),
        Mention("the Emirates'", "country"),
        Mention("(BCRA)", "government agency"),
        Mention("the", "country"),  # nothing left once trimmed: not an entity
    )
    assert spans == [
        ("European Parliament", "organization"),
        ("Rishi Sunak", "person"),
        ("Emirates", "country"),
        ("BCRA", "government agency"),
    ]
    assert alignment.trimmed == {"determiner": 2, "possessive": 2, "punctuation": 1}
    assert alignment.n_trimmed == 4 and alignment.ungrounded == ["the"]


def test_span_convention_keeps_articles_of_names_and_abbreviation_dots():
    _, spans = _align(
        "Judges in The Hague and the U.S. praised The Salt Road at 3 a.m. on Friday. The Hague agreed.",
        Mention("The Hague", "city"),
        Mention("the U.S.", "country"),
        Mention("The Salt Road", "location"),
        Mention("3 a.m.", "date"),
    )
    # mid-sentence "The" is part of a name; at a sentence start it cannot be told from the article
    assert spans == [
        ("The Hague", "city"),
        ("U . S .", "country"),
        ("The Salt Road", "location"),
        ("3 a . m .", "date"),
        ("Hague", "city"),
    ]


def test_positioned_spans_are_trimmed_too():
    text = "Talks with the Bank of Russia's board."
    alignment = align_mentions(text, split_words(text), [Mention("the Bank of Russia's", "organization", 11, 31)], TYPES)
    assert alignment.spans == [(3, 5, "organization")] and alignment.n_trimmed == 1


@given(st.lists(st.sampled_from(["the", "The", "a", "'", "s", ".", ",", "(", ")", "Paris", "Sunak", "U", "New", "York"]), max_size=8))
def test_trimmed_spans_never_grow_and_trimming_is_idempotent(words):
    tokens = split_words(" ".join(words))
    if not tokens:
        return
    span, _ = trim_span(tokens, 0, len(tokens) - 1)
    if span is None:
        return
    first, last = span
    assert 0 <= first <= last < len(tokens)
    again, kinds = trim_span(tokens, first, last)
    assert again == span and kinds == []
