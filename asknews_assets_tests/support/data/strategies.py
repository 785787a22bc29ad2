"""Hypothesis strategies for hostile source records and model answers (shared by the property tests
and benchmarks/fuzz_ingest.py).

Records are built field by field from a mix of plausible values and garbage: every JSON type,
Unicode with lone surrogates and control characters, dates of every year and offset, URLs with
broken ports and IPv6 literals, and sizes around the limits. Lines are then serialised in
several ways (ASCII-escaped JSON, raw UTF-8, surrogates passed through, arbitrary bytes).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pyarrow as pa
from hypothesis import strategies as st

from asknews_assets.ingest.articles import OPTIONAL_TEXT_FIELDS, REQUIRED_FIELDS

# Ordinary characters, plus lone surrogates and control characters, which ordinary text strategies skip.
hostile_characters = st.one_of(
    st.characters(),
    st.characters(categories=["Cs"]),
    st.characters(categories=["Cc"]),
    st.sampled_from("<>&`*_[]()#|\\\"'\u200b\ufeff\u202e"),
)
hostile_text = st.text(hostile_characters, max_size=40)
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), hostile_text
)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4), max_leaves=8
)


@st.composite
def iso_dates(draw) -> str:
    """ISO 8601 strings of any year 1-9999, with or without a time, 'Z' or any offset up to +-23:59."""
    year = draw(st.one_of(st.integers(1990, 2030), st.integers(1, 9999)))
    day = draw(st.dates(min_value=date(year, 1, 1), max_value=date(year, 12, 31)))
    if draw(st.booleans()):
        return day.isoformat()
    moment = datetime(day.year, day.month, day.day, draw(st.integers(0, 23)), draw(st.integers(0, 59)))
    zone = draw(st.sampled_from(["", "Z", "offset"]))
    if zone == "offset":
        minutes = draw(st.integers(-(23 * 60 + 59), 23 * 60 + 59))
        sign = "-" if minutes < 0 else "+"
        zone = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return moment.isoformat() + zone


@st.composite
def urls(draw) -> str:
    host = draw(st.one_of(st.from_regex(r"[a-z]{1,10}\.example", fullmatch=True), st.just("[::1"), st.just("[::1]"), hostile_text))
    port = draw(st.one_of(st.just(""), st.integers(-5, 200_000).map(lambda p: f":{p}"), hostile_text.map(lambda t: ":" + t)))
    path = draw(st.one_of(st.just(""), hostile_text.map(lambda t: "/" + t)))
    scheme = draw(st.sampled_from(["https://", "http://", "", "ftp://", "//"]))
    return f"{scheme}{host}{port}{path}"


def field_values(name: str):
    plausible = {
        "article_id": st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True),
        "article_url": urls(),
        "country": st.sampled_from(["MX"] * 6 + ["mx", " MX ", "AR", "ZZ", "", "../../etc"]),
        "language": st.sampled_from(["es"] * 6 + ["ES", "pt", "xx", ""]),
        "pub_date": st.one_of(iso_dates(), hostile_text),
        "text": st.text(min_size=1, max_size=200).map(lambda t: "Texto " + t),
    }.get(name, st.text(max_size=60))
    sized = st.builds(lambda c, n: c * n, st.sampled_from(["a", "é", "<p>", " "]), st.sampled_from([1_999, 2_001, 60_000, 120_000]))
    # Mostly plausible, so that records get past the first checks and reach the later ones.
    return st.integers(0, 59).flatmap(
        lambda k: plausible if k < 55 else hostile_text if k < 57 else json_values if k < 59 else sized
    )


@st.composite
def records(draw) -> dict:
    """A source record: each known field present or not, with a plausible or a hostile value, plus extras."""
    record = {}
    for name in REQUIRED_FIELDS + OPTIONAL_TEXT_FIELDS:
        if draw(st.integers(0, 29)) < 29:  # hypothesis favours small draws: present then
            record[name] = draw(field_values(name))
    record.update(draw(st.dictionaries(hostile_text, json_values, max_size=2)))
    return record


@st.composite
def jsonl_lines(draw) -> bytes:
    """One line of a JSONL file (without its newline), serialised in one of several ways."""
    how = draw(st.sampled_from(["ascii", "utf8", "surrogatepass", "bytes", "value"]))
    if how == "bytes":
        line = draw(st.binary(max_size=200))
    elif how == "value":
        line = json.dumps(draw(json_values)).encode("ascii")
    else:
        text = json.dumps(draw(records()), ensure_ascii=how == "ascii")
        line = text.encode("utf-8", errors="surrogatepass" if how == "surrogatepass" else "replace")
    return line.replace(b"\n", b" ")


# Parquet columns hold one type each: a column is drawn as a type, then values of that type.
_COLUMN_TYPES = {
    "string": (pa.string(), st.text(max_size=60)),
    "int": (pa.int64(), st.integers(-(2**63), 2**63 - 1)),
    "float": (pa.float64(), st.floats()),
    "bool": (pa.bool_(), st.booleans()),
    "binary": (pa.binary(), st.binary(max_size=40)),
    "timestamp": (pa.timestamp("us", tz="UTC"), st.datetimes(timezones=st.just(timezone.utc))),
    "list": (pa.list_(pa.string()), st.lists(st.text(max_size=10), max_size=3)),
}


@st.composite
def parquet_tables(draw, max_rows: int = 8) -> pa.Table:
    n = draw(st.integers(1, max_rows))
    columns = {}
    for name in REQUIRED_FIELDS + OPTIONAL_TEXT_FIELDS:
        if draw(st.integers(0, 29)) == 29:
            continue
        kind = draw(st.sampled_from(["string"] * 40 + list(_COLUMN_TYPES)))  # mostly strings: reach the later checks
        arrow_type, values = _COLUMN_TYPES[kind]
        if kind == "string":
            values = field_values(name).filter(lambda v: isinstance(v, str)).map(
                lambda v: v.encode("utf-8", "replace").decode("utf-8")
            )
        cells = st.integers(0, 19).flatmap(lambda k, values=values: st.none() if k == 19 else values)
        columns[name] = pa.array(draw(st.lists(cells, min_size=n, max_size=n)), type=arrow_type)
    return pa.table(columns) if columns else pa.table({"unrelated": pa.array([None] * n, type=pa.string())})


def nested(depth: int, inner: str = "[]") -> str:
    return "[" * depth + inner + "]" * depth


# Answers as models give them: prose, fenced JSON, JSON with hostile values, runaway repetition, nesting.
answers = st.one_of(
    hostile_text,
    st.text(max_size=400),
    json_values.map(json.dumps),
    json_values.map(lambda v: f"```json\n{json.dumps({'entities': v})}\n```"),
    st.lists(st.fixed_dictionaries({"text": hostile_text, "type": hostile_text}), max_size=20).map(
        lambda items: json.dumps({"entities": items}, ensure_ascii=False)
    ),
    st.builds(lambda word, n: word * n, st.sampled_from(["word ", "{", "[", '{"entities": [', "é"]), st.integers(0, 300_000)),
    st.integers(1, 5_000).map(lambda depth: '{"entities": ' + nested(depth) + "}"),
)
