"""Validation and deduplication of one partition's source records.

`ingest_partition` is the whole raw layer as a plain function: every record read comes out either
as an accepted `Article` or as a `Reject` with a reason, so accepted + rejected = read always holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from asknews_assets.ingest.artefacts import ArtefactSettings, clean_artefacts
from asknews_assets.ingest.normalize import canonical_url, clean_text, parse_pub_date, text_fingerprint
from asknews_assets.partitions import ArticlePartition, is_country, is_language

# The accepted publication dates, [EARLIEST, LATEST) in UTC. Everything downstream (pandas' nanosecond
# timestamps, DuckDB, the sampler's date buckets) represents them, and a date outside is a typo
# ("0024") or a placeholder ("9999-12-31"), not news: rejected as "date out of range".
EARLIEST_PUB_DATE = datetime(1900, 1, 1, tzinfo=timezone.utc)
LATEST_PUB_DATE = datetime(2100, 1, 1, tzinfo=timezone.utc)


class RejectReason(str, Enum):
    RECORD_TOO_LARGE = "record too large"
    INVALID_ENCODING = "invalid encoding"
    INVALID_JSON = "invalid JSON"
    NOT_AN_OBJECT = "record is not an object"
    MISSING_FIELD = "missing required field"
    INVALID_FIELD = "invalid field type"
    INVALID_DATE = "invalid publication date"
    DATE_OUT_OF_RANGE = "date out of range"
    INVALID_URL = "invalid URL"
    FIELD_TOO_LONG = "field too long"
    UNREADABLE_FILE = "unreadable file"
    UNUSABLE_RECORD = "record could not be validated"
    EMPTY_TEXT = "empty text"
    TEXT_TOO_LONG = "text too long"
    UNKNOWN_LANGUAGE = "unknown language"
    INVALID_COUNTRY = "invalid country"
    LANGUAGE_MISMATCH = "language not matching the partition"
    COUNTRY_MISMATCH = "country not matching the partition"
    DUPLICATE_ID = "duplicate article id"
    DUPLICATE_URL = "duplicate URL"
    DUPLICATE_TEXT = "duplicate text"
    ID_IN_OTHER_PARTITION = "article id used by another partition"


REQUIRED_FIELDS = ("article_id", "article_url", "country", "language", "pub_date", "text")
OPTIONAL_TEXT_FIELDS = ("title", "eng_title", "eng_text", "source_id", "classification", "license")
# Identifiers end up in keys, URLs and file names downstream: no control characters, bounded length.
IDENTIFIER_FIELDS = ("article_id", "article_url")
MAX_IDENTIFIER_CHARS = 2_000
# Every field has a bound, so no path stores an unbounded value: text and eng_text share the text
# limit (IngestLimits.max_text_chars), titles and short labels these.
MAX_TITLE_CHARS = 2_000
MAX_LABEL_CHARS = 2_000
SHORT_FIELDS = {"title": MAX_TITLE_CHARS, "eng_title": MAX_TITLE_CHARS, "source_id": MAX_LABEL_CHARS, "classification": MAX_LABEL_CHARS, "license": MAX_LABEL_CHARS}
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class OversizedPayload:
    """A record the source stopped reading at the size limit: its size and first bytes, not its content."""

    size: int
    head: bytes


@dataclass(frozen=True)
class UnreadablePayload:
    """What a source could not read at all (a corrupt file or row): one reject, in place of its records."""

    detail: str


Payload = str | bytes | Mapping[str, Any] | OversizedPayload | UnreadablePayload


@dataclass(frozen=True)
class SourceRecord:
    """One record as the source delivered it: a JSON line (str or bytes) or an already parsed mapping."""

    location: str
    payload: Payload


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


def _excerpt(payload: Payload, limit: int) -> str:
    if isinstance(payload, UnreadablePayload):
        return ""
    if isinstance(payload, OversizedPayload):
        payload = payload.head
    if isinstance(payload, bytes):
        text = payload[: limit * 4].decode("utf-8", errors="replace")
    elif isinstance(payload, str):
        text = payload[: limit * 4]
    else:
        try:
            text = json.dumps(payload, ensure_ascii=False, default=str)[: limit * 4]
        except (TypeError, ValueError, RecursionError):
            text = repr(payload)[: limit * 4]
    return storable(text[:limit])


def storable(text: str) -> str:
    """`text` with what no UTF-8 store can hold (lone surrogates: JSON escapes, undecodable file names) replaced."""
    return text.encode("utf-8", errors="replace").decode("utf-8")


def _mapping_size(value: Any, depth: int = 0) -> int:
    """Approximate UTF-8 size of a parsed record, so parsed rows get the same size limit as lines."""
    if isinstance(value, str):
        return len(value) * 4 if len(value) > 1_000 else len(value.encode("utf-8", errors="surrogatepass"))
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, Mapping) and depth < 8:
        return sum(_mapping_size(k, depth + 1) + _mapping_size(v, depth + 1) for k, v in value.items())
    if isinstance(value, (list, tuple)) and depth < 8:
        return sum(_mapping_size(v, depth + 1) for v in value)
    return 16


def _parse(payload: Payload, limits: IngestLimits) -> Mapping[str, Any]:
    if isinstance(payload, UnreadablePayload):
        raise _Rejected(RejectReason.UNREADABLE_FILE, payload.detail[:300])
    if isinstance(payload, OversizedPayload):
        raise _Rejected(RejectReason.RECORD_TOO_LARGE, f"{payload.size} bytes > {limits.max_record_bytes}")
    if isinstance(payload, Mapping):
        size = _mapping_size(payload)
        if size > limits.max_record_bytes:
            raise _Rejected(RejectReason.RECORD_TOO_LARGE, f"about {size} bytes > {limits.max_record_bytes}")
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
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:  # a lone surrogate from a JSON escape: no store can hold it
        raise _Rejected(RejectReason.INVALID_ENCODING, f"{name} holds an unpaired surrogate at {error.start}") from None
    if name in SHORT_FIELDS and len(value) > SHORT_FIELDS[name]:
        raise _Rejected(RejectReason.FIELD_TOO_LONG, f"{name} is {len(value)} characters > {SHORT_FIELDS[name]}")
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
    except OverflowError:  # an offset that moves the date past year 1 or 9999
        raise _Rejected(RejectReason.DATE_OUT_OF_RANGE, repr(values["pub_date"][:40])) from None
    except ValueError:
        raise _Rejected(RejectReason.INVALID_DATE, repr(values["pub_date"][:40])) from None
    if not EARLIEST_PUB_DATE <= pub_date < LATEST_PUB_DATE:
        raise _Rejected(
            RejectReason.DATE_OUT_OF_RANGE, f"{pub_date.isoformat()} not in [{EARLIEST_PUB_DATE.date()}, {LATEST_PUB_DATE.date()})"
        )
    try:
        url = canonical_url(values["article_url"])
    except ValueError as error:  # an invalid port, a broken IPv6 literal
        raise _Rejected(RejectReason.INVALID_URL, str(error)[:200]) from None

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

    if optional["eng_text"] is not None and len(optional["eng_text"]) > limits.max_text_chars * 2:
        raise _Rejected(RejectReason.FIELD_TOO_LONG, f"eng_text is {len(optional['eng_text'])} characters")
    eng_text = cleaned("eng_text")
    if eng_text is not None and len(eng_text) > limits.max_text_chars:
        raise _Rejected(RejectReason.FIELD_TOO_LONG, f"eng_text is {len(eng_text)} characters > {limits.max_text_chars}")
    cleaned_english = clean_artefacts(eng_text, artefact_settings) if eng_text else None
    artefacts = dict.fromkeys((*cleaned_text.artefacts, *(cleaned_english.artefacts if cleaned_english else ())))

    return Article(
        article_id=values["article_id"].strip(),
        country=country,
        language=language,
        article_url=values["article_url"].strip(),
        canonical_url=url,
        source_id=cleaned("source_id") or "",
        pub_date=pub_date,
        title=cleaned("title") or "",
        text=text,
        eng_title=cleaned("eng_title"),
        eng_text=(cleaned_english.text or None) if cleaned_english else None,
        classification=cleaned("classification") or "",
        content_hash=text_fingerprint(text),
        source_location=storable(record.location),
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
            try:
                article = to_article(record, partition, limits, artefact_settings, default_license)
            except _Rejected:
                raise
            except Exception as error:  # noqa: BLE001: one record never stops the partition
                raise _Rejected(RejectReason.UNUSABLE_RECORD, f"{type(error).__name__}: {str(error)[:200]}") from None
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
                Reject(storable(record.location), rejected.reason, storable(rejected.detail), _excerpt(record.payload, limits.excerpt_chars))
            )
    return result


def release_foreign_ids(result: IngestResult, owners: Mapping[str, str]) -> IngestResult:
    """Move to the rejects every accepted article whose id another partition already holds.

    `owners` maps article ids to the partition holding them. An article id names one article in the
    whole dataset (it is the published `articleId`), so the partition that stored it first keeps it
    and a later one rejects it with the owner named, whether the content differs (a source reusing
    ids) or not (one article delivered to two partitions): accepted + rejected = read still holds.
    """
    if not owners:
        return result
    kept, rejected = [], list(result.rejected)
    for article in result.accepted:
        owner = owners.get(article.article_id)
        if owner is None:
            kept.append(article)
        else:
            rejected.append(
                Reject(article.source_location, RejectReason.ID_IN_OTHER_PARTITION, f"{article.article_id} is in {owner}", "")
            )
    return IngestResult(read=result.read, accepted=kept, rejected=rejected)


def article_rows(articles: Iterable[Article]) -> list[dict[str, Any]]:
    return [{**asdict(article), "artefacts": list(article.artefacts)} for article in articles]


def reject_rows(rejects: Iterable[Reject]) -> list[dict[str, Any]]:
    return [{**asdict(reject), "reason": reject.reason.value} for reject in rejects]
