"""NER benchmarks read in the layouts their repositories ship, with the label names models are prompted with.

Layouts (each becomes a `Benchmark` of `NerExample(tokens, spans)`, spans (start, end_inclusive, type)):
- BIO text (CoNLL, CrossNER's `<domain>/{train,dev,test}.txt`, MIT Movie/Restaurant `*.bio`): one token
  and one tag a line, the tag first or last (found per file), space or tab separated, CRLF or LF,
  blank lines between sentences, `-DOCSTART-` lines skipped.
- InstructUIE JSON, the data GLiNER's own evaluation reads: rows {"sentence", "entities": [{"pos":
  [start_char, end_char], "type"}]}, words split on whitespace as gliner.evaluation.process does.
- GLiNER JSON: rows {"tokenized_text": [...], "ner": [[start, end, type], ...]}.
- UniversalNER conversations (its `src/eval/test_data/*.json`): one record per sentence and asked type,
  "Text: ..." then "What describes <type> in the text?" answered by a JSON list of strings; spans are
  rebuilt by finding each answer's words in the sentence, answers found nowhere are counted.

Where benchmarks are (`find_benchmarks`): a folder holding a split file (a name with `test`; `train`
and `dev` files only add to the tag set) is one benchmark named after the folder; a file that is no
split (`CrossNER_AI.json`, `conll_tiny.bio`) is one benchmark named after the file; folders are
searched at any depth. The seven zero-shot sets get the names GLiNER's evaluation gives them
(`CrossNER_AI`, ..., `mit-movie`, `mit-restaurant`) whichever layout they come in.

Labels offered to a model are the benchmark's declared set: its `labels.json`, else every type in all
of its files (every type asked, for conversations), never the gold of the sentences evaluated. Type
names are normalised the same way in every loader: looked up case-insensitively in a type-name map
(default `NATURAL_TYPE_NAMES`), else lowercased with `_`/`-` read as spaces.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Span = tuple[int, int, str]

# Natural names for the concatenated, abbreviated or British tags of the standard sets (CoNLL, CrossNER,
# MIT), so that prompts read "programming language" rather than "programlang"; the names GLiNER-style
# models are evaluated with on these sets.
NATURAL_TYPE_NAMES: dict[str, str] = {
    "per": "person",
    "loc": "location",
    "org": "organization",
    "misc": "miscellaneous",
    "organisation": "organization",
    "programlang": "programming language",
    "program language": "programming language",  # UniversalNER's spelling of the same CrossNER AI type
    "politicalparty": "political party",
    "literarygenre": "literary genre",
    "musicgenre": "music genre",
    "musicalartist": "musical artist",
    "musicalinstrument": "musical instrument",
    "academicjournal": "academic journal",
    "astronomicalobject": "astronomical object",
    "chemicalcompound": "chemical compound",
    "chemicalelement": "chemical element",
    "ratings_average": "average ratings",
}

# The zero-shot core of the literature (GLiNER, UniversalNER): name used here -> name in tables.
ZERO_SHOT_BENCHMARKS: dict[str, str] = {
    "mit-movie": "MIT Movie",
    "mit-restaurant": "MIT Restaurant",
    "CrossNER_AI": "CrossNER AI",
    "CrossNER_literature": "CrossNER Literature",
    "CrossNER_music": "CrossNER Music",
    "CrossNER_politics": "CrossNER Politics",
    "CrossNER_science": "CrossNER Science",
}
_CROSSNER_DOMAINS = {"ai": "CrossNER_AI", "literature": "CrossNER_literature", "music": "CrossNER_music",
                     "politics": "CrossNER_politics", "science": "CrossNER_science"}  # fmt: skip
_MIT_FILES = {"engtest": "mit-movie", "restauranttest": "mit-restaurant", "trivia10k13test": "mit-movie-trivia"}

BIO_SUFFIXES = (".bio", ".conll", ".iob", ".iob2", ".txt", ".tsv")
_BIO_TAG = re.compile(r"^(O|[BIESM]-\S+)$")
_QUESTION = re.compile(r"^What describes (.+) in the text\?$")


@dataclass(frozen=True)
class NerExample:
    tokens: list[str]
    spans: list[Span]


@dataclass
class Benchmark:
    name: str
    examples: list[NerExample]
    labels: list[str]  # declared label set, natural names, sorted
    source: str
    format: str
    # gold entities that could not become spans, by reason ("unaligned", "unmatched answer", ...)
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def entities(self) -> int:
        return sum(len(example.spans) for example in self.examples)

    @property
    def dropped_entities(self) -> int:
        return sum(self.dropped.values())


class TypeNames:
    """Raw type name -> the name a model is prompted with. Lookup is case-insensitive, so `misc` and `MISC`
    are one type; names not in the map are lowercased with `_` and `-` read as spaces."""

    def __init__(self, names: Mapping[str, str] | None = None):
        self.names = {_key(raw): str(name) for raw, name in (NATURAL_TYPE_NAMES if names is None else names).items()}

    @classmethod
    def natural(cls, overrides: Mapping[str, str] | None = None) -> TypeNames:
        """The default natural names with `overrides` (raw -> name) on top."""
        return cls({**NATURAL_TYPE_NAMES, **(overrides or {})})

    def __call__(self, raw: Any) -> str:
        raw = str(raw).strip()
        for key in (raw.lower(), _key(raw)):
            if key in self.names:
                return self.names[key]
        return _key(raw)


def _key(raw: str) -> str:
    return " ".join(re.sub(r"[_\-]", " ", str(raw).lower()).split())


# --- one file of each layout ---------------------------------------------------------------------


def bio_to_spans(tags: Sequence[str], type_names: TypeNames | None = None) -> list[Span]:
    """Spans of a BIO/IOB tag sequence. An I- tag that does not continue an entity of its type starts one
    (IOB1). Types are compared by their names, so `B-MISC I-misc` is one entity."""
    type_names = type_names or TypeNames.natural()
    spans: list[Span] = []
    start, current = None, None
    for index, tag in enumerate([*tags, "O"]):
        prefix, _, raw = tag.partition("-")
        prefix, kind = prefix.upper(), type_names(raw) if raw else None
        continues = prefix in ("I", "E", "M") and kind == current
        if start is not None and not continues:
            spans.append((start, index - 1, current))
            start, current = None, None
        if prefix in ("B", "S") or (prefix in ("I", "E", "M") and not continues):
            start, current = index, kind
    return spans


def read_bio(path: Path) -> list[tuple[list[str], list[str]]]:
    """(tokens, tags) sentences of a BIO file. The tag column is the last one, or the first (MIT files)
    when the last is not a tag on every line; a file where neither is raises ValueError."""
    rows: list[list[str] | None] = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        columns = line.split()
        if not columns:
            rows.append(None)
        elif columns[0] != "-DOCSTART-":
            if len(columns) < 2:
                raise ValueError(f"{path}: not a 'token tag' line: {line[:80]!r}")
            rows.append(columns)
    lines = [columns for columns in rows if columns]
    if all(_BIO_TAG.match(columns[-1]) for columns in lines):
        tag_at, token_at = -1, 0
    elif all(_BIO_TAG.match(columns[0]) for columns in lines):
        tag_at, token_at = 0, -1
    else:
        bad = next(c for c in lines if not _BIO_TAG.match(c[-1]))
        raise ValueError(f"{path}: no BIO tag column (first or last) on every line, e.g. {' '.join(bad)[:80]!r}")
    sentences, tokens, tags = [], [], []
    for columns in [*rows, None]:
        if columns is None:
            if tokens:
                sentences.append((tokens, tags))
            tokens, tags = [], []
        else:
            tokens.append(columns[token_at])
            tags.append(columns[tag_at])
    return sentences


def bio_types(sentences: Iterable[tuple[list[str], list[str]]], type_names: TypeNames) -> set[str]:
    return {type_names(tag.partition("-")[2]) for _, tags in sentences for tag in tags if tag != "O"}


def instruct_uie_example(row: dict[str, Any], type_names: TypeNames | None = None) -> tuple[NerExample, int]:
    """A {"sentence", "entities": [{"pos": [start, end], "type"}]} row on whitespace words, as
    gliner.evaluation.process reads it; returns the example and how many entities did not align."""
    type_names = type_names or TypeNames.natural()
    words = row["sentence"].split()
    starts, ends = {}, {}
    offset = 0
    for index, word in enumerate(words):
        starts[offset] = index
        ends[offset + len(word)] = index
        offset += len(word) + 1  # GLiNER's reading assumes single spaces
    spans: list[Span] = []
    dropped = 0
    for entity in row.get("entities") or []:
        start_char, end_char = entity["pos"]
        if start_char in starts and end_char in ends and ends[end_char] >= starts[start_char]:
            spans.append((starts[start_char], ends[end_char], type_names(entity["type"])))
        else:
            dropped += 1
    return NerExample(words, spans), dropped


def examples_from_gliner_rows(rows: Iterable[dict[str, Any]]) -> list[NerExample]:
    """GLiNER training rows ({"tokenized_text", "ner"}) as examples, types as they are (the dataset's own
    splits, whose types are already the schema's names); extra keys are ignored."""
    return [
        NerExample(list(row["tokenized_text"]), [(int(s), int(e), str(t)) for s, e, t in row.get("ner") or []])
        for row in rows
    ]


def gliner_example(row: dict[str, Any], type_names: TypeNames | None = None) -> tuple[NerExample, int]:
    """A GLiNER row; spans outside the text or ending before they start are dropped and counted."""
    type_names = type_names or TypeNames.natural()
    tokens = [str(token) for token in row["tokenized_text"]]
    spans, dropped = [], 0
    for start, end, label in row.get("ner") or []:
        if 0 <= int(start) <= int(end) < len(tokens):
            spans.append((int(start), int(end), type_names(label)))
        else:
            dropped += 1
    return NerExample(tokens, spans), dropped


def conversation_examples(
    records: Iterable[dict[str, Any]], type_names: TypeNames | None = None
) -> tuple[list[NerExample], set[str], int]:
    """UniversalNER conversation records as examples: consecutive records on the same text are one
    sentence (the release asks one type per record), so a sentence that occurs twice in the set stays
    two. Returns (examples, every type asked, answers matched nowhere in their sentence)."""
    type_names = type_names or TypeNames.natural()
    sentences: list[tuple[str, list[tuple[str, list[str]]]]] = []
    asked: set[str] = set()
    for record in records:
        turns = [str(turn["value"]) for turn in record["conversations"]]
        if not turns or not turns[0].startswith("Text:"):
            raise ValueError(f"record {record.get('id')!r} does not start with 'Text: ...'")
        text = turns[0][len("Text:"):].strip()
        if not sentences or sentences[-1][0] != text:
            sentences.append((text, []))
        questions = sentences[-1][1]
        for question, answer in zip(turns[2::2], turns[3::2]):
            match = _QUESTION.match(question.strip())
            if not match:
                continue
            label = type_names(match.group(1))
            asked.add(label)
            questions.append((label, _answers(answer)))
    examples, unmatched = [], 0
    for text, questions in sentences:
        tokens = text.split()
        spans: set[Span] = set()
        for label, answers in questions:
            # The release lists an entity once per mention: the k-th copy of an answer is its k-th place.
            for answer, copies in Counter(answers).items():
                found = _occurrences(tokens, answer.split())[:copies]
                unmatched += copies - len(found)
                spans.update((start, end, label) for start, end in found)
        examples.append(NerExample(tokens, sorted(spans)))
    return examples, asked, unmatched


def _answers(text: str) -> list[str]:
    """The JSON list of strings a UniversalNER answer is ("[]" when none)."""
    try:
        value = json.loads(text)
    except ValueError:
        raise ValueError(f"answer is not a JSON list: {text[:80]!r}") from None
    if not isinstance(value, list):
        raise ValueError(f"answer is not a JSON list: {text[:80]!r}")
    return [str(item) for item in value if str(item).strip()]


def _occurrences(tokens: Sequence[str], words: Sequence[str]) -> list[tuple[int, int]]:
    """(start, end_inclusive) of every place `words` occurs in `tokens`; case-insensitive only when the
    exact case occurs nowhere."""
    if not words:
        return []
    n = len(words)
    exact = [(i, i + n - 1) for i in range(len(tokens) - n + 1) if list(tokens[i : i + n]) == list(words)]
    if exact:
        return exact
    lower = [w.lower() for w in words]
    return [(i, i + n - 1) for i in range(len(tokens) - n + 1) if [t.lower() for t in tokens[i : i + n]] == lower]


# --- benchmarks ----------------------------------------------------------------------------------


def json_layout(rows: Any) -> str | None:
    """Which JSON layout a parsed file is in, or None."""
    if not isinstance(rows, list) or not rows or not isinstance(rows[0], dict):
        return None
    if "tokenized_text" in rows[0]:
        return "gliner-json"
    if "sentence" in rows[0] and "entities" in rows[0]:
        return "instructuie-json"
    if "conversations" in rows[0]:
        return "universalner-conversations"
    return None


def read_split(path: Path, type_names: TypeNames) -> tuple[list[NerExample], set[str], dict[str, int], str]:
    """(examples, types present or asked, dropped by reason, layout) of one file."""
    if path.suffix.lower() == ".json":
        rows = json.loads(path.read_text(encoding="utf-8-sig"))
        layout = json_layout(rows)
        if layout == "universalner-conversations":
            examples, asked, unmatched = conversation_examples(rows, type_names)
            return examples, asked, {"unmatched answer": unmatched} if unmatched else {}, layout
        if layout is None:
            raise ValueError("JSON that is no list of GLiNER, InstructUIE or UniversalNER records")
        read = gliner_example if layout == "gliner-json" else instruct_uie_example
        examples, dropped = [], 0
        for row in rows:
            example, missed = read(row, type_names)
            examples.append(example)
            dropped += missed
        reason = "invalid span" if layout == "gliner-json" else "unaligned"
        return examples, {t for e in examples for *_, t in e.spans}, {reason: dropped} if dropped else {}, layout
    if path.suffix.lower() in BIO_SUFFIXES:
        sentences = read_bio(path)
        examples = [NerExample(tokens, bio_to_spans(tags, type_names)) for tokens, tags in sentences]
        return examples, bio_types(sentences, type_names), {}, "bio"
    raise ValueError(f"unknown format {path.suffix!r}")


def read_labels_file(path: Path, type_names: TypeNames) -> set[str]:
    labels = json.loads(path.read_text(encoding="utf-8-sig"))
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise ValueError(f"{path.name} is not a JSON list of type names")
    return {type_names(label) for label in labels}


def load_benchmark(
    name: str,
    test_file: Path,
    other_splits: Sequence[Path] = (),
    labels_file: Path | None = None,
    type_names: TypeNames | None = None,
) -> Benchmark:
    """One benchmark: the test file's examples, the label set from `labels_file`, else every type of the
    test and `other_splits` files."""
    type_names = type_names or TypeNames.natural()
    examples, types, dropped, layout = read_split(test_file, type_names)
    if labels_file is not None:
        labels = read_labels_file(labels_file, type_names)
    else:
        labels = set(types)
        for split in other_splits:
            labels |= read_split(split, type_names)[1]
    # A gold type missing from a declared list is still offered: the model could not find it otherwise.
    labels |= {t for example in examples for *_, t in example.spans}
    return Benchmark(name, examples, sorted(labels), str(test_file), layout, dropped)


def split_of(path: Path) -> str | None:
    """The split a file's name says it is ("test", "train", "dev"), else None."""
    stem = path.stem.lower()
    for split, words in (("test", ("test",)), ("train", ("train",)), ("dev", ("dev", "valid"))):
        if any(word in stem for word in words):
            return split
    return None


def canonical_name(name: str, parents: Sequence[str] = ()) -> str:
    """The name GLiNER's evaluation gives a zero-shot set, whichever layout it comes in (CrossNER's
    `ner_data/ai`, under a `CrossNER` or `ner_data` folder; UniversalNER's `CrossNER_AI.json`; MIT's
    `engtest.bio`); other names as they are."""
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    if key.startswith("crossner") and key[len("crossner"):] in _CROSSNER_DOMAINS:
        return _CROSSNER_DOMAINS[key[len("crossner"):]]
    if key in _CROSSNER_DOMAINS and any("crossner" in p.lower() or p == "ner_data" for p in parents):
        return _CROSSNER_DOMAINS[key]
    if key in ("mitmovie", "mitmovies"):
        return "mit-movie"
    if key in ("mitrestaurant", "mitrestaurants"):
        return "mit-restaurant"
    return _MIT_FILES.get(key, name)


@dataclass
class BenchmarkScan:
    benchmarks: list[Benchmark] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # path -> why it was not read

    def add(self, benchmark: Benchmark) -> None:
        taken = next((b for b in self.benchmarks if b.name == benchmark.name), None)
        if taken is not None:
            self.skipped[benchmark.source] = f"a second benchmark named {benchmark.name!r} (first: {taken.source})"
        else:
            self.benchmarks.append(benchmark)


def _readable(path: Path) -> bool:
    return path.suffix.lower() == ".json" or path.suffix.lower() in BIO_SUFFIXES


def find_benchmarks(folder: str | Path, type_names: TypeNames | None = None) -> BenchmarkScan:
    """Every benchmark under `folder`, at any depth (see the module's docstring for the rules). A missing
    or empty folder gives an empty scan; files not read are listed with the reason."""
    type_names = type_names or TypeNames.natural()
    scan = BenchmarkScan()
    root = Path(folder)
    if root.is_dir():
        _scan_folder(root, root, scan, type_names)
    return scan


def _scan_folder(folder: Path, root: Path, scan: BenchmarkScan, type_names: TypeNames) -> None:
    entries = sorted(folder.iterdir())
    files = [p for p in entries if p.is_file() and not p.name.startswith(".")]
    labels = [p for p in files if p.suffix.lower() == ".json" and "label" in p.stem.lower()]
    splits = [p for p in files if _readable(p) and p not in labels and split_of(p)]
    tests = [p for p in splits if split_of(p) == "test"]
    parents = [root.name, *folder.relative_to(root).parts]  # the benchmark folder's own name last
    for test in tests:
        # One test file: the benchmark is the folder. Several (MIT's engtest.bio and restauranttest.bio
        # side by side): each is named from its file, as a user cannot tell them apart otherwise.
        from_file = canonical_name(test.stem, parents)
        if len(tests) == 1:  # a folder with no standard name keeps the file's (movie/engtest.bio: mit-movie)
            name = canonical_name(folder.name, parents)
            name = from_file if name == folder.name and from_file != test.stem else name
        else:
            name = from_file if from_file != test.stem else f"{folder.name}_{test.stem}"
        try:
            others = [p for p in splits if split_of(p) != "test"] if len(tests) == 1 else []
            scan.add(load_benchmark(name, test, others, labels[0] if len(labels) == 1 else None, type_names))
        except (OSError, ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError) as error:
            scan.skipped[str(test)] = f"{type(error).__name__}: {error}"
    if len(labels) > 1 and tests:
        files_named = ", ".join(p.name for p in labels)
        scan.skipped[str(folder)] = f"several label files ({files_named}): labels taken from the data"
    for path in files:
        if path in splits or path in labels:
            if not tests:
                scan.skipped[str(path)] = "a label file or training/dev split without a test file beside it"
            continue
        if not _readable(path):
            scan.skipped[str(path)] = "unknown format"
            continue
        try:
            scan.add(load_benchmark(canonical_name(path.stem, parents), path, type_names=type_names))
        except (OSError, ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError) as error:
            scan.skipped[str(path)] = f"{type(error).__name__}: {error}"
    for path in entries:
        if path.is_dir() and not path.name.startswith("."):
            _scan_folder(path, root, scan, type_names)


def dropped_summary(benchmark: Benchmark) -> str:
    """"3 unaligned, 1 unmatched answer" or "" for the evaluation table."""
    return ", ".join(f"{count} {reason}" for reason, count in sorted(benchmark.dropped.items()) if count)
