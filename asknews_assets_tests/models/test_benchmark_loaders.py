"""Benchmark loaders on files in the layouts the public sets ship (our own sentences, in
fixtures/benchmarks/), and property tests of the BIO and UniversalNER conversation readers."""

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asknews_assets.models.benchmarks import (
    NATURAL_TYPE_NAMES,
    ZERO_SHOT_BENCHMARKS,
    TypeNames,
    bio_to_spans,
    canonical_name,
    conversation_examples,
    find_benchmarks,
    instruct_uie_example,
    load_benchmark,
    read_bio,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "benchmarks"


def _by_name(folder: Path, type_names: TypeNames | None = None):
    scan = find_benchmarks(folder, type_names)
    return {b.name: b for b in scan.benchmarks}, scan.skipped


def test_the_fixture_folder_yields_the_seven_zero_shot_sets_under_their_standard_names():
    found, skipped = _by_name(FIXTURES)
    assert set(ZERO_SHOT_BENCHMARKS) <= set(found)
    assert set(found) - set(ZERO_SHOT_BENCHMARKS) == {"gliner_news", "newswire"}
    layouts = {name: b.format for name, b in found.items()}
    assert layouts["CrossNER_AI"] == layouts["mit-movie"] == layouts["newswire"] == "bio"
    assert layouts["CrossNER_literature"] == layouts["CrossNER_music"] == "instructuie-json"
    assert layouts["CrossNER_science"] == "universalner-conversations" and layouts["gliner_news"] == "gliner-json"
    # Nothing is named after a split file, and what was not read says why.
    assert not {"test", "engtest", "restauranttest", "engtrain"} & set(found)
    assert {Path(p).name: r for p, r in skipped.items()} == {"notes.md": "unknown format"}


def test_crossner_folders_read_tab_separated_bio_with_natural_names_and_every_split_s_types():
    ai = _by_name(FIXTURES)[0]["CrossNER_AI"]
    assert ai.examples[0].tokens[:3] == ["The", "Lumen", "toolkit"]
    assert ai.examples[0].spans == [(1, 1, "product"), (6, 6, "programming language"), (9, 10, "task"),
                                    (12, 12, "metrics")]  # fmt: skip
    assert (9, 9, "miscellaneous") in ai.examples[1].spans
    # conference/country only occur in train.txt, organisation only in dev.txt: still offered at test.
    assert {"conference", "country", "organization", "field"} <= set(ai.labels)
    assert "programlang" not in ai.labels and "organisation" not in ai.labels
    assert ai.source.endswith("ai/test.txt") and ai.dropped == {}


def test_mit_files_tag_first_crlf_docstart_and_space_separated():
    found = _by_name(FIXTURES)[0]
    movie, restaurant = found["mit-movie"], found["mit-restaurant"]
    assert movie.examples[0].tokens == ["show", "me", "the", "1987", "heist", "film", "with", "Rosa", "Lindqvist"]
    assert movie.examples[0].spans == [(3, 3, "year"), (4, 4, "genre"), (7, 8, "actor")]
    assert movie.examples[1].spans == [(4, 7, "average ratings")]
    assert not any("\r" in t for e in movie.examples for t in e.tokens)
    assert len(movie.examples) == 2  # engtrain.bio beside it is not evaluated
    assert restaurant.examples[1].spans == [(1, 2, "restaurant name"), (3, 4, "hours")]
    assert restaurant.labels == ["cuisine", "hours", "location", "price", "restaurant name"]


def test_instructuie_folder_takes_its_labels_json_and_counts_the_unaligned_entity():
    literature = _by_name(FIXTURES)[0]["CrossNER_literature"]
    assert literature.labels == sorted({"award", "book", "country", "event", "literary genre", "location", "magazine",
                                        "miscellaneous", "organization", "person", "poem", "writer"})  # fmt: skip
    assert literature.dropped == {"unaligned": 1} and literature.entities == 4
    music = _by_name(FIXTURES)[0]["CrossNER_music"]  # the same layout as a top-level file
    assert music.examples[0].spans == [(0, 2, "band"), (4, 5, "song"), (8, 8, "musical instrument")]


def test_universalner_conversations_rebuild_spans_and_count_unmatched_answers():
    science = _by_name(FIXTURES)[0]["CrossNER_science"]
    assert len(science.examples) == 2
    assert science.examples[0].spans == [(0, 1, "scientist"), (3, 3, "chemical element"),
                                         (6, 7, "astronomical object"), (10, 13, "academic journal")]  # fmt: skip
    assert science.examples[1].spans == [(2, 2, "enzyme"), (8, 9, "scientist")]
    assert science.dropped == {"unmatched answer": 1}
    # Every type asked is offered, with or without an answer in a sentence.
    assert science.labels == ["academic journal", "astronomical object", "chemical element", "enzyme", "scientist"]


def test_conll_misc_and_MISC_are_one_type_and_gliner_json_counts_invalid_spans():
    found = _by_name(FIXTURES)[0]
    assert found["newswire"].examples[0].spans == [(0, 0, "location"), (4, 5, "miscellaneous")]
    assert found["newswire"].labels == ["location", "miscellaneous", "organization", "person"]
    assert found["gliner_news"].dropped == {"invalid span": 1}
    assert found["gliner_news"].examples[0].spans == [(0, 0, "city")]


def test_type_names_can_be_overridden_or_left_raw():
    found, _ = _by_name(FIXTURES, TypeNames.natural({"programlang": "coding language"}))
    assert "coding language" in found["CrossNER_AI"].labels and "miscellaneous" in found["CrossNER_AI"].labels
    raw, _ = _by_name(FIXTURES, TypeNames({}))  # GLiNER's own reading: lowercased tags
    assert {"programlang", "misc", "organisation"} <= set(raw["CrossNER_AI"].labels)
    assert "restaurant name" in raw["mit-restaurant"].labels
    names = TypeNames.natural()
    assert names("MISC") == names("misc") == names("Misc") == "miscellaneous"
    assert names("Restaurant_Name") == "restaurant name" and names("PROGRAMLANG") == "programming language"
    assert names("Program Language") == "programming language"  # UniversalNER's spelling of the same type
    assert all(name == name.lower() for name in NATURAL_TYPE_NAMES.values())


def test_a_top_level_test_file_belongs_to_the_folder_and_duplicates_are_reported(tmp_path: Path):
    folder = tmp_path / "mit-restaurant"
    folder.mkdir()
    (folder / "test.txt").write_text("cheap B-Price\ntacos B-Dish\n", encoding="utf-8")
    found, skipped = _by_name(folder)
    assert list(found) == ["mit-restaurant"] and skipped == {}
    movie = tmp_path / "movie"  # a folder with no standard name: MIT's file name says which set it is
    movie.mkdir()
    shutil.copy(FIXTURES / "mit" / "engtest.bio", movie)
    shutil.copy(FIXTURES / "mit" / "engtrain.bio", movie)
    assert list(_by_name(movie)[0]) == ["mit-movie"]
    assert list(_by_name(tmp_path)[0]) == ["mit-restaurant", "mit-movie"]
    shutil.rmtree(movie)
    # The same set twice (BIO folder and UniversalNER file): the second is reported, not silently dropped.
    shutil.copytree(FIXTURES / "crossner", tmp_path / "crossner")
    (tmp_path / "CrossNER_AI.json").write_text(json.dumps([{"sentence": "Lisp", "entities": []}]), encoding="utf-8")
    found, skipped = _by_name(tmp_path)
    assert found["CrossNER_AI"].format == "instructuie-json"  # a folder's own files come before its sub-folders
    assert skipped[str(tmp_path / "crossner" / "ner_data" / "ai" / "test.txt")].startswith(
        "a second benchmark named 'CrossNER_AI' (first: "
    )


def test_broken_files_are_skipped_with_a_reason(tmp_path: Path):
    (tmp_path / "half.bio").write_text("Rome B-LOC\nno tag here at all\n", encoding="utf-8")
    (tmp_path / "rows.json").write_text(json.dumps({"not": "rows"}), encoding="utf-8")
    bad_conversation = [{"id": "x", "conversations": [{"from": "human", "value": "Hello"}]}]
    (tmp_path / "chat.json").write_text(json.dumps(bad_conversation), encoding="utf-8")
    (tmp_path / "train.txt").write_text("Rome B-LOC\n", encoding="utf-8")
    found, skipped = _by_name(tmp_path)
    assert found == {}
    reasons = {Path(p).name: r for p, r in skipped.items()}
    assert reasons["train.txt"] == "a label file or training/dev split without a test file beside it"
    assert "no BIO tag column" in reasons["half.bio"]
    assert "no list of GLiNER, InstructUIE or UniversalNER records" in reasons["rows.json"]
    assert "does not start with 'Text: ...'" in reasons["chat.json"]


def test_names_of_the_zero_shot_sets_whatever_the_layout():
    assert canonical_name("ai", ["benchmarks", "CrossNER", "ner_data", "ai"]) == "CrossNER_AI"
    assert canonical_name("music", ["benchmarks", "ner_data", "music"]) == "CrossNER_music"  # the repo's own folder
    assert canonical_name("ai", ["benchmarks", "ai"]) == "ai"  # an 'ai' folder outside CrossNER is not renamed
    assert canonical_name("CrossNER_politics") == canonical_name("crossner-politics") == "CrossNER_politics"
    assert canonical_name("engtest") == canonical_name("MIT_Movie") == "mit-movie"
    assert canonical_name("restauranttest") == "mit-restaurant" and canonical_name("news") == "news"


def test_a_gold_type_outside_labels_json_is_still_offered(tmp_path: Path):
    (tmp_path / "test.json").write_text(
        json.dumps([{"sentence": "Oslo votes", "entities": [{"type": "City", "pos": [0, 4]}]}]), encoding="utf-8"
    )
    (tmp_path / "labels.json").write_text(json.dumps(["country"]), encoding="utf-8")
    benchmark = load_benchmark("x", tmp_path / "test.json", labels_file=tmp_path / "labels.json")
    assert benchmark.labels == ["city", "country"]


def test_instruct_uie_rows_map_character_offsets_to_words_like_gliner():
    example, dropped = instruct_uie_example(
        {
            "sentence": "Greta Holm directed Tidewater in 1975",
            "entities": [
                {"name": "Greta Holm", "type": "Director", "pos": [0, 10]},
                {"name": "Tidewater", "type": "Title", "pos": [20, 29]},
                {"name": "197", "type": "Year", "pos": [33, 36]},  # not on a word boundary
            ],
        }
    )
    assert example.spans == [(0, 1, "director"), (3, 3, "title")] and dropped == 1


# --- properties ----------------------------------------------------------------------------------

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ0123456789.,'", min_size=1, max_size=6)
TYPE = st.sampled_from(["PER", "LOC", "misc", "MISC", "programlang", "Restaurant_Name", "song"])


@st.composite
def tagged_sentence(draw):
    """Tokens and non-overlapping typed spans, written as BIO tags."""
    tokens = draw(st.lists(WORD, min_size=1, max_size=12))
    tags, spans, index = ["O"] * len(tokens), [], 0
    while index < len(tokens):
        length = draw(st.integers(min_value=0, max_value=3))
        if length and index + length <= len(tokens):
            kind = draw(TYPE)
            tags[index : index + length] = [f"B-{kind}"] + [f"I-{kind}"] * (length - 1)
            spans.append((index, index + length - 1, kind))
            index += length + draw(st.integers(min_value=0, max_value=1))  # adjacent entities too
        else:
            index += 1
    return tokens, tags, spans


@settings(max_examples=60, deadline=None)
@given(
    sentences=st.lists(tagged_sentence(), min_size=1, max_size=5),
    separator=st.sampled_from([" ", "\t"]),
    tag_first=st.booleans(),
    newline=st.sampled_from(["\n", "\r\n"]),
    docstart=st.booleans(),
)
def test_bio_files_read_back_what_was_written(tmp_path_factory, sentences, separator, tag_first, newline, docstart):
    lines = ["-DOCSTART- -X- O", ""] if docstart else []
    for tokens, tags, _ in sentences:
        lines += [
            f"{tag}{separator}{token}" if tag_first else f"{token}{separator}{tag}" for token, tag in zip(tokens, tags)
        ]
        lines.append("")
    path = tmp_path_factory.mktemp("bio") / "test.bio"
    path.write_bytes(newline.join(lines).encode("utf-8"))
    names = TypeNames.natural()
    read = read_bio(path)
    assert [tokens for tokens, _ in read] == [tokens for tokens, _, _ in sentences]
    for (_, tags), (_, _, spans) in zip(read, sentences):
        assert bio_to_spans(tags, names) == [(s, e, names(k)) for s, e, k in spans]


@st.composite
def conversation_set(draw):
    """Sentences of distinct words, each entity a run of them, and the UniversalNER records asking each type."""
    words = draw(st.lists(st.text(alphabet="abcdefghij", min_size=2, max_size=5), min_size=2, max_size=30, unique=True))
    cut = draw(st.integers(min_value=1, max_value=len(words) - 1))
    sentences = [words[:cut], words[cut:]]
    types = ["person", "city", "song"]
    gold, records = [], []
    for number, tokens in enumerate(sentences):
        spans, index = [], 0
        while index < len(tokens):
            length = draw(st.integers(min_value=0, max_value=2))
            if length and index + length <= len(tokens):
                spans.append((index, index + length - 1, draw(st.sampled_from(types))))
            index += max(length, 1)
        gold.append(sorted(spans))
        extra = draw(st.booleans())  # an answer that is not in the text
        for asked in types:
            answers = [" ".join(tokens[s : e + 1]) for s, e, t in spans if t == asked]
            if extra and asked == "song":
                answers.append("zzz qqq")
            records.append({"id": f"s{number}-{asked}", "conversations": [
                {"from": "human", "value": "Text: " + " ".join(tokens)},
                {"from": "gpt", "value": "I've read this text."},
                {"from": "human", "value": f"What describes {asked} in the text?"},
                {"from": "gpt", "value": json.dumps(answers)}]})  # fmt: skip
        gold[-1] = (gold[-1], extra)
    return records, gold


@settings(max_examples=60, deadline=None)
@given(data=conversation_set())
def test_conversation_records_rebuild_their_spans(data):
    records, gold = data
    examples, asked, unmatched = conversation_examples(records)
    assert asked == {"person", "city", "song"}
    assert [example.spans for example in examples] == [spans for spans, _ in gold]
    assert unmatched == sum(extra for _, extra in gold)


def test_conversation_answers_repeated_mark_that_many_places():
    text = "Text: Oslo beat Bergen and Oslo beat Oslo"
    record = {"conversations": [{"value": text}, {"value": "ok"}, {"value": "What describes city in the text?"},
                                {"value": json.dumps(["Oslo", "Oslo", "Bergen"])}]}  # fmt: skip
    examples, _, unmatched = conversation_examples([record])
    assert examples[0].spans == [(0, 0, "city"), (2, 2, "city"), (4, 4, "city")] and unmatched == 0


@pytest.mark.parametrize("answer", ["[", '{"a": 1}'])
def test_a_conversation_answer_that_is_no_json_list_is_an_error(answer):
    record = {"conversations": [{"value": "Text: a b"}, {"value": "ok"}, {"value": "What describes x in the text?"},
                                {"value": answer}]}  # fmt: skip
    with pytest.raises(ValueError, match="not a JSON list"):
        conversation_examples([record])
