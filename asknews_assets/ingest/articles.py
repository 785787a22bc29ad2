"""Validation and deduplication of one partition's source records.

`ingest_partition` is the whole raw layer as a plain function: every record read comes out either
as an accepted `Article` or as a `Reject` with a reason, so accepted + rejected = read always holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from asknews_assets.ingest.artefacts import ArtefactSettings, clean_artefacts
from asknews_assets.ingest.normalize import canonical_url, clean_text, parse_pub_date, text_fingerprint
from asknews_assets.partitions import ArticlePartition, is_country, is_language


class RejectReason(str, Enum):
    RECORD_TOO_LARGE = "record too large"
    INVALID_ENCODING = "invalid encoding"
    INVALID_JSON = "invalid JSON"
    NOT_AN_OBJECT = "record is not an object"
    MISSING_FIELD = "missing required field"
    INVALID_FIELD = "invalid field type"
    INVALID_DATE = "invalid publication date"
    EMPTY_TEXT = "empty text"
    TEXT_TOO_LONG = "text too long"
    UNKNOWN_LANGUAGE = "unknown language"
    INVALID_COUNTRY = "invalid country"
    LANGUAGE_MISMATCH = "language not matching the partition"
    COUNTRY_MISMATCH = "country not matching the partition"
    DUPLICATE_ID = "duplicate article id"
    DUPLICATE_URL = "duplicate URL"
    DUPLICATE_TEXT = "duplicate text"


REQUIRED_FIELDS = ("article_id", "article_url", "country", "language", "pub_date", "text")
OPTIONAL_TEXT_FIELDS = ("title", "eng_title", "eng_text", "source_id", "classification", "license")
# Identifiers end up in keys, URLs and file names downstream: no control characters, bounded length.
IDENTIFIER_FIELDS = ("article_id", "article_url")
MAX_IDENTIFIER_CHARS = 2_000
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class SourceRecord:
    """One record as the source delivered it: a JSON line (str or bytes) or an already parsed mapping."""

    location: str
    payload: str | bytes | Mapping[str, Any]


@dataclass(frozen=True)
class Article:
    article_id: str
    country: str
    language: str
    article_url: str
    canonical_url: str
    source_id: str
    pub_date: datetime
    title: str
    text: str
    eng_title: str | None
    eng_text: str | None
    classification: str
    content_hash: str
    source_location: str
    license: str | None = None  # the record's licence, else the source's; None: unknown
    artefacts: tuple[str, ...] = ()  # feed artefacts found in text or eng_text (see ingest.artefacts)
    truncated: bool = False  # the feed delivered only the start of the article


@dataclass(frozen=True)
class Reject:
    source_location: str
    reason: RejectReason
    detail: str
    excerpt: str


@dataclass
class IngestLimits:
    max_record_bytes: int = 1_000_000
    max_text_chars: int = 50_000
    excerpt_chars: int = 300


@dataclass
class IngestResult:
    read: int = 0
    accepted: list[Article] = field(default_factory=list)
    rejected: list[Reject] = field(default_factory=list)

    def rejects_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for reject in self.rejected:
            counts[reject.reason.value] = counts.get(reject.reason.value, 0) + 1
        return dict(sorted(counts.items()))


class _Rejected(Exception):
    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def _excerpt(payload: str | bytes | Mapping[str, Any], limit: int) -> str:
    if isinstance(payload, bytes):
        text = payload[: limit * 4].decode("utf-8", errors="replace")
    elif isinstance(payload, str):
        text = payload[: limit * 4]
    else:
        try:
            text = json.dumps(payload, ensure_ascii=False, default=str)[: limit * 4]
        except (TypeError, ValueError, RecursionError):
            text = repr(payload)[: limit * 4]
    return text[:limit]


def _parse(payload: str | bytes | Mapping[str, Any], limits: IngestLimits) -> Mapping[str, Any]:
    if isinstance(payload, Mapping):
        return payload
    size = len(payload) if isinstance(payload, bytes) else len(payload.encode("utf-8", errors="replace"))
    if size > limits.max_record_bytes:
        raise _Rejected(RejectReason.RECORD_TOO_LARGE, f"{size} bytes > {limits.max_record_bytes}")
    if isinstance(payload, bytes):
        try:
            payload = payload.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _Rejected(RejectReason.INVALID_ENCODING, f"not UTF-8 at byte {error.start}") from None
    try:
        parsed = json.loads(payload)
    except (ValueError, RecursionError) as error:
        raise _Rejected(RejectReason.INVALID_JSON, str(error)[:200]) from None
    if not isinstance(parsed, dict):
        raise _Rejected(RejectReason.NOT_AN_OBJECT, f"got a JSON {type(parsed).__name__}")
    return parsed


def _text_field(row: Mapping[str, Any], name: str, required: bool) -> str | None:
    value = row.get(name)
    if value is None or (isinstance(value, str) and not value.strip() and required):
        if required:
            raise _Rejected(RejectReason.MISSING_FIELD, name)
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and name in ("article_id", "source_id"):
        value = str(value)
    if not isinstance(value, str):
        raise _Rejected(RejectReason.INVALID_FIELD, f"{name} is a {type(value).__name__}, not a string")
    if name in IDENTIFIER_FIELDS:
        if _CONTROL_CHARACTERS.search(value):
            raise _Rejected(RejectReason.INVALID_FIELD, f"{name} contains control characters")
        if len(value) > MAX_IDENTIFIER_CHARS:
            raise _Rejected(RejectReason.INVALID_FIELD, f"{name} is {len(value)} characters > {MAX_IDENTIFIER_CHARS}")
    return value


def to_article(
    record: SourceRecord,
    partition: ArticlePartition,
    limits: IngestLimits,
    artefact_settings: ArtefactSettings | None = None,
    default_license: str | None = None,
) -> Article:
    """Validate and normalise one record; raise `_Rejected` with the reason when it cannot be used."""
    row = _parse(record.payload, limits)
    values = {name: _text_field(row, name, required=True) for name in REQUIRED_FIELDS}
    optional = {name: _text_field(row, name, required=False) for name in OPTIONAL_TEXT_FIELDS}

    language = values["language"].strip().lower()
    country = values["country"].strip().upper()
    if not is_language(language):
        raise _Rejected(RejectReason.UNKNOWN_LANGUAGE, repr(values["language"][:40]))
    if not is_country(country):
        raise _Rejected(RejectReason.INVALID_COUNTRY, repr(values["country"][:40]))
    if language != partition.language:
        raise _Rejected(RejectReason.LANGUAGE_MISMATCH, f"{language} in partition {partition}")
    if country != partition.country:
        raise _Rejected(RejectReason.COUNTRY_MISMATCH, f"{country} in partition {partition}")
    try:
        pub_date = parse_pub_date(values["pub_date"])
    except ValueError:
        raise _Rejected(RejectReason.INVALID_DATE, repr(values["pub_date"][:40])) from None

    if len(values["text"]) > limits.max_text_chars * 2:  # don't clean what will be too long anyway
        raise _Rejected(RejectReason.TEXT_TOO_LONG, f"{len(values['text'])} characters")
    cleaned_text = clean_artefacts(clean_text(values["text"]), artefact_settings)
    text = cleaned_text.text
    if not text:
        raise _Rejected(RejectReason.EMPTY_TEXT, "no text after removing markup and whitespace")
    if len(text) > limits.max_text_chars:
        raise _Rejected(RejectReason.TEXT_TOO_LONG, f"{len(text)} characters > {limits.max_text_chars}")

    def cleaned(name: str) -> str | None:
        value = optional[name]
        return clean_text(value) or None if value is not None else None

    eng_text = cleaned("eng_text")
    cleaned_english = clean_artefacts(eng_text, artefact_settings) if eng_text else None
    artefacts = dict.fromkeys((*cleaned_text.artefacts, *(cleaned_english.artefacts if cleaned_english else ())))

    return Article(
        article_id=values["article_id"].strip(),
        country=country,
        language=language,
        article_url=values["article_url"].strip(),
        canonical_url=canonical_url(values["article_url"]),
        source_id=cleaned("source_id") or "",
        pub_date=pub_date,
        title=cleaned("title") or "",
        text=text,
        eng_title=cleaned("eng_title"),
        eng_text=(cleaned_english.text or None) if cleaned_english else None,
        classification=cleaned("classification") or "",
        content_hash=text_fingerprint(text),
        source_location=record.location,
        license=(cleaned("license") or default_license or None),
        artefacts=tuple(artefacts),
        truncated=cleaned_text.truncated or bool(cleaned_english and cleaned_english.truncated),
    )


def ingest_partition(
    records: Iterable[SourceRecord],
    partition: ArticlePartition,
    limits: IngestLimits | None = None,
    *,
    artefact_settings: ArtefactSettings | None = None,
    default_license: str | None = None,
) -> IngestResult:
    """Validate, normalise, clean feed artefacts from and deduplicate (id, canonical URL, text) one
    partition's records. A record without a `license` gets `default_license` (the source's)."""
    limits = limits or IngestLimits()
    result = IngestResult()
    seen: dict[tuple[RejectReason, str], str] = {}
    for record in records:
        result.read += 1
        try:
            article = to_article(record, partition, limits, artefact_settings, default_license)
            keys = (
                (RejectReason.DUPLICATE_ID, article.article_id),
                (RejectReason.DUPLICATE_URL, article.canonical_url),
                (RejectReason.DUPLICATE_TEXT, article.content_hash),
            )
            for key in keys:
                if key in seen:
                    raise _Rejected(key[0], f"same as {seen[key]}")
            seen.update((key, f"{article.article_id} ({article.source_location})") for key in keys)
            result.accepted.append(article)
        except _Rejected as rejected:
            result.rejected.append(
                Reject(record.location, rejected.reason, rejected.detail, _excerpt(record.payload, limits.excerpt_chars))
            )
    return result


def article_rows(articles: Iterable[Article]) -> list[dict[str, Any]]:
    return [{**asdict(article), "artefacts": list(article.artefacts)} for article in articles]


def reject_rows(rejects: Iterable[Reject]) -> list[dict[str, Any]]:
    return [{**asdict(reject), "reason": reject.reason.value} for reject in rejects]
