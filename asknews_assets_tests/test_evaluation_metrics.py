"""Exact span+type metrics and the benchmark loaders, on hand-computed answers and tiny files."""

import json
from pathlib import Path

import pytest

from asknews_assets.gliner_models.evaluation import (
    bio_to_spans,
    find_benchmarks,
    load_bio_file,
    load_gliner_json,
    load_universal_ner_folder,
    micro_scores,
    per_type_scores,
    universal_ner_example,
)


def test_micro_scores_count_exact_span_and_type_per_document():
    gold = [[(0, 1, "person"), (4, 4, "city")], [(2, 3, "organization")]]
    predicted = [
        [(0, 1, "person"), (4, 4, "country")],  # one right, one wrong type
        [(2, 3, "organization"), (5, 5, "city")],  # one right, one spurious
    ]
    scores = micro_scores(gold, predicted)
    assert (scores.true_positives, scores.predicted, scores.gold) == (2, 4, 3)
    assert scores.precision == pytest.approx(0.5)
    assert scores.recall == pytest.approx(2 / 3)
    assert scores.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))


def test_a_span_in_another_document_or_with_other_boundaries_does_not_count():
    gold = [[(0, 1, "person")], []]
    assert micro_scores(gold, [[], [(0, 1, "person")]]).true_positives == 0
    assert micro_scores(gold, [[(0, 0, "person")], []]).f1 == 0.0


def test_no_predictions_give_zeros_not_errors():
    scores = micro_scores([[(0, 0, "city")]], [[]])
    assert (scores.precision, scores.recall, scores.f1) == (0.0, 0.0, 0.0)
    assert micro_scores([[]], [[]]).f1 == 0.0
    with pytest.raises(ValueError, match="2 gold documents but 1 predicted"):
        micro_scores([[], []], [[]])


def test_per_type_scores():
    gold = [[(0, 1, "person"), (4, 4, "city"), (6, 6, "city")]]
    predicted = [[(0, 1, "person"), (4, 4, "city"), (8, 8, "country")]]
    by_type = per_type_scores(gold, predicted)
    assert list(by_type) == ["city", "country", "person"]
    assert by_type["person"].f1 == 1.0
    assert (by_type["city"].precision, by_type["city"].recall) == (1.0, 0.5)
    assert by_type["city"].f1 == pytest.approx(2 / 3)
    assert by_type["country"].f1 == 0.0 and by_type["country"].gold == 0


def test_bio_to_spans_reads_bio_and_iob1():
    assert bio_to_spans(["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-ORG"]) == [
        (0, 1, "person"),
        (3, 3, "location"),
        (4, 4, "location"),
        (5, 5, "organization"),
    ]
    assert bio_to_spans(["I-Actor", "I-Actor", "O", "I-Year"]) == [(0, 1, "actor"), (3, 3, "year")]
    assert bio_to_spans(["O", "O"]) == []


def test_load_bio_file(tmp_path: Path):
    path = tmp_path / "conll_tiny.txt"
    path.write_text(
        "-DOCSTART- -X- O O\n\nAngela NNP B-NP B-PER\nMerkel NNP I-NP I-PER\n"
        "visited VBD B-VP O\nParis NNP B-NP B-LOC\n\n"
        "Siemens NNP B-NP B-ORG\ngrew VBD B-VP O\n",
        encoding="utf-8",
    )
    benchmark = load_bio_file(path)
    assert benchmark.name == "conll_tiny" and benchmark.format == "bio"
    assert [e.tokens for e in benchmark.examples] == [["Angela", "Merkel", "visited", "Paris"], ["Siemens", "grew"]]
    assert [e.spans for e in benchmark.examples] == [[(0, 1, "person"), (3, 3, "location")], [(0, 0, "organization")]]
    assert benchmark.labels == ["location", "organization", "person"]


def test_universal_ner_rows_map_character_offsets_to_words_like_gliner():
    example, dropped = universal_ner_example(
        {
            "sentence": "Steven Spielberg directed Jaws in 1975",
            "entities": [
                {"name": "Steven Spielberg", "type": "Director", "pos": [0, 16]},
                {"name": "Jaws", "type": "Title", "pos": [26, 30]},
                {"name": "197", "type": "Year", "pos": [34, 37]},  # not on a word boundary
            ],
        }
    )
    assert example.spans == [(0, 1, "director"), (3, 3, "title")]
    assert dropped == 1


def _write_universal_ner(folder: Path) -> None:
    folder.mkdir(parents=True)
    rows = [{"sentence": "play songs by Queen", "entities": [{"name": "Queen", "type": "Artist", "pos": [14, 19]}]}]
    (folder / "test.json").write_text(json.dumps(rows), encoding="utf-8")
    (folder / "labels.json").write_text(json.dumps(["Artist", "Song"]), encoding="utf-8")


def test_load_universal_ner_folder(tmp_path: Path):
    _write_universal_ner(tmp_path / "CrossNER_music")
    benchmark = load_universal_ner_folder(tmp_path / "CrossNER_music")
    assert benchmark.name == "CrossNER_music" and benchmark.format == "universal-ner"
    assert benchmark.labels == ["artist", "song"]
    assert benchmark.examples[0].tokens == ["play", "songs", "by", "Queen"]
    assert benchmark.examples[0].spans == [(3, 3, "artist")]


def test_load_gliner_json(tmp_path: Path):
    path = tmp_path / "news.json"
    rows = [{"tokenized_text": ["Olaf", "Scholz", "spoke"], "ner": [[0, 1, "person"]], "metadata": {"x": 1}}]
    path.write_text(json.dumps(rows), encoding="utf-8")
    benchmark = load_gliner_json(path)
    assert benchmark.examples[0].spans == [(0, 1, "person")] and benchmark.labels == ["person"]


def test_find_benchmarks_reads_every_format_and_reports_what_it_skips(tmp_path: Path):
    assert find_benchmarks(tmp_path / "absent").benchmarks == []
    assert find_benchmarks(tmp_path).benchmarks == []
    _write_universal_ner(tmp_path / "mit-movie")
    gliner_folder = tmp_path / "news_gliner"
    gliner_folder.mkdir()
    (gliner_folder / "test.json").write_text(json.dumps([{"tokenized_text": ["Oslo"], "ner": [[0, 0, "city"]]}]))
    (tmp_path / "flat.json").write_text(json.dumps([{"tokenized_text": ["Rome"], "ner": [[0, 0, "city"]]}]))
    (tmp_path / "conll.bio").write_text("Rome B-LOC\n", encoding="utf-8")
    (tmp_path / "README.txt").write_text("These are my benchmarks.\n", encoding="utf-8")
    (tmp_path / "other.json").write_text(json.dumps({"not": "rows"}))
    scan = find_benchmarks(tmp_path)
    found = {b.name: b.format for b in scan.benchmarks}
    assert found == {"conll": "bio", "flat": "gliner-json", "mit-movie": "universal-ner", "news_gliner": "gliner-json"}
    assert set(map(lambda p: Path(p).name, scan.skipped)) == {"README.txt", "other.json"}
