"""NER evaluation: exact span+type micro P/R/F1, and loaders for the usual benchmark formats.

Scoring follows GLiNER's own evaluator (gliner/evaluation): a prediction counts only when
document, first token, last token and type all match a gold span; micro-averaged over all spans of
all documents, with 0.0 where a ratio is undefined. Inference is flat NER at a fixed threshold.

Formats read (every one becomes `NerExample(tokens, spans)`, spans as (start, end_inclusive, type)):
- GLiNER JSON: a list of {"tokenized_text": [...], "ner": [[start, end, type], ...]}.
- UniversalNER / GLiNER zero-shot folders (MIT Movie, MIT Restaurant, CrossNER_*): a folder with
  *test*.json rows {"sentence": str, "entities": [{"pos": [start_char, end_char], "type": str}]}
  and *labels*.json, read as gliner.evaluation.create_dataset does (whitespace words, types
  lowercased).
- CoNLL-style BIO text: token first, tag last on each line, blank lines between sentences.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Span = tuple[int, int, str]

BIO_SUFFIXES = (".bio", ".conll", ".iob", ".iob2", ".txt", ".tsv")
# CoNLL-style tags name types by abbreviation; GLiNER prompts need words.
BIO_TYPE_NAMES = {"PER": "person", "LOC": "location", "ORG": "organization", "MISC": "miscellaneous"}
_BIO_TAG = re.compile(r"^(O|[BIESM]-\S+)$")


@dataclass(frozen=True)
class NerExample:
    tokens: list[str]
    spans: list[Span]


@dataclass
class Benchmark:
    name: str
    examples: list[NerExample]
    labels: list[str]
    source: str
    format: str
    dropped_entities: int = 0  # gold entities whose character offsets match no word boundary


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    true_positives: int
    predicted: int
    gold: int

    @classmethod
    def from_counts(cls, true_positives: int, predicted: int, gold: int) -> Scores:
        precision = true_positives / predicted if predicted else 0.0
        recall = true_positives / gold if gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return cls(precision, recall, f1, true_positives, predicted, gold)


def _span_sets(documents: Sequence[Iterable[Sequence[Any]]]) -> set[tuple[int, int, int, str]]:
    return {(doc, int(s), int(e), str(t)) for doc, spans in enumerate(documents) for s, e, t in spans}


def micro_scores(gold: Sequence[Iterable[Sequence[Any]]], predicted: Sequence[Iterable[Sequence[Any]]]) -> Scores:
    """Micro P/R/F1 over exact (document, start, end, type) matches; documents align by position."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold documents but {len(predicted)} predicted")
    gold_set, predicted_set = _span_sets(gold), _span_sets(predicted)
    return Scores.from_counts(len(gold_set & predicted_set), len(predicted_set), len(gold_set))


def per_type_scores(
    gold: Sequence[Iterable[Sequence[Any]]], predicted: Sequence[Iterable[Sequence[Any]]]
) -> dict[str, Scores]:
    """Scores of each entity type seen in gold or predictions, sorted by type."""
    by_type: dict[str, dict[str, set]] = defaultdict(lambda: {"gold": set(), "predicted": set()})
    for side, documents in (("gold", gold), ("predicted", predicted)):
        for span in _span_sets(documents):
            by_type[span[3]][side].add(span)
    return {
        label: Scores.from_counts(len(sets["gold"] & sets["predicted"]), len(sets["predicted"]), len(sets["gold"]))
        for label, sets in sorted(by_type.items())
    }


# --- loaders -------------------------------------------------------------------------------------


def examples_from_gliner_rows(rows: Iterable[dict[str, Any]]) -> list[NerExample]:
    """GLiNER training rows ({"tokenized_text", "ner"}) as examples; extra keys are ignored."""
    return [
        NerExample(list(row["tokenized_text"]), [(int(s), int(e), str(t)) for s, e, t in row.get("ner") or []])
        for row in rows
    ]


def labels_of(examples: Iterable[NerExample]) -> list[str]:
    return sorted({label for example in examples for _, _, label in example.spans})


def load_gliner_json(path: str | Path, name: str | None = None) -> Benchmark:
    path = Path(path)
    examples = examples_from_gliner_rows(json.loads(path.read_text(encoding="utf-8")))
    return Benchmark(name or path.stem, examples, labels_of(examples), str(path), "gliner-json")


def universal_ner_example(row: dict[str, Any]) -> tuple[NerExample, int]:
    """A {"sentence", "entities": [{"pos": [start, end], "type"}]} row on whitespace words, as
    gliner.evaluation.process reads it; returns the example and how many entities did not align."""
    words = row["sentence"].split()
    starts, ends = {}, {}
    offset = 0
    for index, word in enumerate(words):
        starts[offset] = index
        ends[offset + len(word)] = index
        offset += len(word) + 1  # GLiNER's reading assumes single spaces
    spans: list[Span] = []
    dropped = 0
    for entity in row.get("entities", []):
        start_char, end_char = entity["pos"]
        if start_char in starts and end_char in ends and ends[end_char] >= starts[start_char]:
            spans.append((starts[start_char], ends[end_char], str(entity["type"]).lower()))
        else:
            dropped += 1
    return NerExample(words, spans), dropped


def load_universal_ner_folder(folder: str | Path, split: str = "test") -> Benchmark:
    """A zero-shot benchmark folder (e.g. CrossNER_AI/ with test.json and labels.json)."""
    folder = Path(folder)
    split_files = sorted(p for p in folder.glob("*.json") if split in p.name)
    if not split_files:
        raise FileNotFoundError(f"no *{split}*.json in {folder}")
    examples, dropped = [], 0
    for row in json.loads(split_files[0].read_text(encoding="utf-8")):
        example, missed = universal_ner_example(row)
        examples.append(example)
        dropped += missed
    label_files = sorted(folder.glob("*labels*.json"))
    labels = (
        [str(label).lower() for label in json.loads(label_files[0].read_text(encoding="utf-8"))]
        if label_files
        else labels_of(examples)
    )
    return Benchmark(folder.name, examples, labels, str(split_files[0]), "universal-ner", dropped)


def bio_to_spans(tags: Sequence[str], type_names: dict[str, str] | None = None) -> list[Span]:
    """Spans of a BIO/IOB tag sequence. An I- tag that does not continue an entity of its type
    starts one (IOB1); types are renamed through `type_names`, else lowercased."""
    type_names = BIO_TYPE_NAMES if type_names is None else type_names
    spans: list[Span] = []
    start, current = None, None
    for index, tag in enumerate([*tags, "O"]):
        prefix, _, kind = tag.partition("-")
        prefix = prefix.upper()
        continues = prefix in ("I", "E", "M") and kind == current
        if start is not None and not continues:
            spans.append((start, index - 1, type_names.get(current, current.lower())))
            start, current = None, None
        if prefix in ("B", "S") or (prefix in ("I", "E", "M") and not continues):
            start, current = index, kind
    return spans


def load_bio_file(path: str | Path, type_names: dict[str, str] | None = None) -> Benchmark:
    """A CoNLL-style file: token in the first column, tag in the last, sentences separated by blank
    lines; -DOCSTART- lines are skipped."""
    path = Path(path)
    examples: list[NerExample] = []
    tokens: list[str] = []
    tags: list[str] = []

    def flush() -> None:
        if tokens:
            examples.append(NerExample(list(tokens), bio_to_spans(tags, type_names)))
        tokens.clear()
        tags.clear()

    for line in path.read_text(encoding="utf-8").splitlines():
        columns = line.split()
        if not columns:
            flush()
        elif columns[0] != "-DOCSTART-":
            if len(columns) < 2 or not _BIO_TAG.match(columns[-1]):
                raise ValueError(f"{path}: not a 'token ... BIO-tag' line: {line[:80]!r}")
            tokens.append(columns[0])
            tags.append(columns[-1])
    flush()
    return Benchmark(path.stem, examples, labels_of(examples), str(path), "bio")


def _json_rows_kind(path: Path) -> str | None:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(rows, list) and rows and isinstance(rows[0], dict):
        if "tokenized_text" in rows[0]:
            return "gliner-json"
        if "sentence" in rows[0] and "entities" in rows[0]:
            return "universal-ner"
    return None


@dataclass
class BenchmarkScan:
    benchmarks: list[Benchmark] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # path -> why it was not read


def find_benchmarks(folder: str | Path) -> BenchmarkScan:
    """Every benchmark under `folder`: a sub-folder with a *test*.json (UniversalNER rows, or
    GLiNER rows named after the folder), top-level GLiNER JSON files, and BIO text files.
    A missing or empty folder gives an empty scan; unreadable files are listed with the reason."""
    scan = BenchmarkScan()
    folder = Path(folder)
    if not folder.is_dir():
        return scan
    for path in sorted(folder.iterdir()):
        try:
            if path.is_dir():
                tests = sorted(p for p in path.glob("*.json") if "test" in p.name)
                kind = _json_rows_kind(tests[0]) if tests else None
                if kind == "universal-ner":
                    scan.benchmarks.append(load_universal_ner_folder(path))
                elif kind == "gliner-json":
                    scan.benchmarks.append(load_gliner_json(tests[0], name=path.name))
                else:
                    scan.skipped[str(path)] = "folder without a readable *test*.json"
            elif path.suffix == ".json":
                if _json_rows_kind(path) == "gliner-json":
                    scan.benchmarks.append(load_gliner_json(path))
                else:
                    scan.skipped[str(path)] = "JSON that is not a list of GLiNER rows"
            elif path.suffix.lower() in BIO_SUFFIXES:
                scan.benchmarks.append(load_bio_file(path))
            else:
                scan.skipped[str(path)] = "unknown format"
        except (ValueError, KeyError, TypeError, FileNotFoundError) as error:
            scan.skipped[str(path)] = f"{type(error).__name__}: {error}"
    return scan


# --- running a model -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationResult:
    scores: Scores
    per_type: dict[str, Scores]
    n_docs: int


def evaluate_examples(
    model: Any, examples: Sequence[NerExample], labels: Sequence[str], threshold: float = 0.5, batch_size: int = 8
) -> EvaluationResult:
    """Predict with the project's batched, windowed path and score against the gold spans."""
    from asknews_assets.gliner_models.inference import predict_token_spans

    gold = [example.spans for example in examples]
    predicted = predict_token_spans(model, [example.tokens for example in examples], labels, threshold, batch_size)
    return EvaluationResult(micro_scores(gold, predicted), per_type_scores(gold, predicted), len(examples))
