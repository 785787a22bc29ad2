"""Normalisation of article fields: text, URLs and dates."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from datetime import datetime, timezone
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|ref_src|cmpid|ocid)$", re.IGNORECASE)
_BLOCK_TAGS = {"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote", "section", "article"}
_SKIP_TAGS = {"script", "style", "noscript", "template"}
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_NEWLINES = re.compile(r"\s*\n\s*")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIP_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def clean_text(value: str) -> str:
    """Strip HTML, unescape entities, NFC-normalise and fold whitespace (paragraph breaks kept)."""
    if "<" in value and ">" in value:
        extractor = _TextExtractor()
        extractor.feed(value)
        extractor.close()
        value = "".join(extractor.parts)
    value = unicodedata.normalize("NFC", html.unescape(value))
    value = _CONTROL.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
    value = _SPACES.sub(" ", value)
    return _NEWLINES.sub("\n", value).strip()


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop 'www.', fragments, tracking parameters and trailing slashes."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING_PARAMS.match(k)))
    path = re.sub(r"/+$", "", parts.path) or "/"
    return urlunsplit(((parts.scheme or "https").lower(), host, path, query, ""))


def parse_pub_date(value: str) -> datetime:
    """ISO 8601 (with 'Z' or an offset) to an aware UTC datetime; a date without zone is read as UTC."""
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def text_fingerprint(text: str) -> str:
    """Hash of the case- and whitespace-folded text: two copies of one article share it."""
    folded = " ".join(text.casefold().split())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()
