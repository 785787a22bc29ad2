"""The AskNews news API as a news source, through the official `asknews` SDK.

Partitions are the country x language pairs the API holds for a time window. Each search result (an
SDK `Article`) is mapped to the project's article schema and passed on unvalidated, so that
`ingest_partition` accepts it or rejects it with a reason, as it does for every other source.
"""

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from asknews_sdk import AskNewsSDK
from asknews_sdk.dto.base import Article as AskNewsArticle
from asknews_sdk.sdk import DEFAULT_API_BASE_URL, DEFAULT_TOKEN_URL
from dagster import EnvVar
from pydantic import Field

from asknews_assets.ingest.articles import SourceRecord
from asknews_assets.ingest.normalize import parse_pub_date
from asknews_assets.partitions import LANGUAGES, ArticlePartition, is_country, is_language
from asknews_assets.resources.ingest import NewsSource

# A lookback window ends at the last full hour: it, and so every fingerprint, moves once an hour,
# not at every sensor tick.
WINDOW_STEP = timedelta(hours=1)
# AskNews searches only its recent index (48 hours) unless asked for the historical archive.
RECENT_INDEX = timedelta(hours=48)
SCOPES = {"news"}
# Discovery scans cost API credits; a window and configuration already scanned are not scanned again
# by this process (the discovery sensor ticks every minute, a lookback window moves every hour).
_DISCOVERY_CACHE_SIZE = 32
_discovered: dict[str, list[ArticlePartition]] = {}
# What the articles may be used for is set by AskNews' terms of service, not by an open licence.
ASKNEWS_LICENSE = "LicenseRef-AskNews-Terms-of-Service"


class AskNewsCredentialsMissing(ValueError):
    """Neither an API key nor a client id and secret were given to the AskNews source."""


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _floor(moment: datetime, step: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    return epoch + (moment - epoch) // step * step


def _resolved(value: str | None) -> str | None:
    """A credential's value: an `EnvVar` not yet resolved by Dagster is read from the environment."""
    if isinstance(value, EnvVar):
        value = value.get_value()
    return value.strip() if isinstance(value, str) and value.strip() else None


def article_record(article: AskNewsArticle) -> dict[str, Any]:
    """One SDK article in the project's article schema.

    AskNews summaries are English, so they are the English text; the text in the article's own
    language is the original-language summary where the API gives one, else the English summary.
    Key points stand in for an empty summary. Nothing is checked here: `ingest_partition` does that.
    """
    english = article.summary if article.summary.strip() else "\n".join(article.key_points or [])
    classification = article.classification
    if isinstance(classification, list):  # the API may give several labels: the first is the main topic
        classification = classification[0] if classification else None
    return {
        "article_id": str(article.article_id),
        "article_url": str(article.article_url),
        "country": article.country,
        "language": article.language,
        "pub_date": article.pub_date.isoformat(),
        "title": article.title,
        "eng_title": article.eng_title,
        "text": article.original_language_summary or english,
        "eng_text": english,
        "classification": classification,
        "source_id": article.source_id,
    }


class AskNewsSource(NewsSource):
    """News articles from the AskNews API (https://docs.asknews.app), searched per country x language.

    Credentials come from the environment: `client_id=EnvVar("ASKNEWS_CLIENT_ID")` and
    `client_secret=EnvVar("ASKNEWS_CLIENT_SECRET")` (OAuth client credentials), or an `api_key`.
    The window is `start`..`end` (ISO 8601), or the last `lookback_hours` up to the last full hour.
    """

    client_id: str | None = Field(default=None, description="OAuth client id, from EnvVar('ASKNEWS_CLIENT_ID').")
    client_secret: str | None = Field(
        default=None, repr=False, description="OAuth client secret, from EnvVar('ASKNEWS_CLIENT_SECRET')."
    )
    api_key: str | None = Field(
        default=None, repr=False, description="API key, used instead of the client id and secret when set."
    )
    base_url: str = Field(default=DEFAULT_API_BASE_URL, description="API root (override for a proxy or a test server).")
    token_url: str = Field(default=DEFAULT_TOKEN_URL, description="OAuth token endpoint.")
    start: str | None = Field(default=None, description="Window start, ISO 8601; default end - lookback_hours.")
    end: str | None = Field(default=None, description="Window end, ISO 8601; default the last full hour.")
    lookback_hours: int = Field(default=24, description="Window length when start is not set.")
    countries: list[str] | None = Field(
        default=None, description="ISO 3166-1 alpha-2 codes to query; default every country the API returns."
    )
    languages: list[str] = Field(default=list(LANGUAGES), description="Language codes to query (platform languages).")
    query: str = Field(default="", description="Keyword query; empty searches by the window and filters alone.")
    page_size: int = Field(default=10, description="Articles per request (n_articles); within your plan's limit.")
    max_pages: int = Field(default=10, description="Requests per partition (and per language when discovering).")
    timeout_seconds: float = Field(default=60.0, description="HTTP timeout of one request.")

    license: str = Field(
        default=ASKNEWS_LICENSE, description="Licence recorded for every article (the API's terms of service by default)."
    )

    @property
    def backend(self) -> str:
        return "asknews"

    @property
    def default_license(self) -> str | None:
        return self.license.strip() or None

    def credentials(self) -> dict[str, str]:
        """The credentials to use, checked before any network call.

        Outside a Dagster run (the main job, a script) fields hold the `EnvVar` itself, a non-empty
        string naming the variable: it is resolved here, and an unset variable counts as missing.
        """
        api_key, client_id, client_secret = (_resolved(v) for v in (self.api_key, self.client_id, self.client_secret))
        if api_key:
            return {"api_key": api_key}
        if client_id and client_secret:
            return {"client_id": client_id, "client_secret": client_secret}
        raise AskNewsCredentialsMissing(
            "AskNews credentials are missing: set ASKNEWS_CLIENT_ID and ASKNEWS_CLIENT_SECRET "
            "(the source's client_id and client_secret), or ASKNEWS_API_KEY (its api_key)"
        )

    def window(self) -> Window:
        end = self._time("end") or _floor(_utcnow(), WINDOW_STEP)
        start = self._time("start") or end - timedelta(hours=self.lookback_hours)
        if start >= end:
            raise ValueError(f"AskNews window start {start.isoformat()} is not before its end {end.isoformat()}")
        return Window(start, end)

    def _time(self, setting: str) -> datetime | None:
        value = getattr(self, setting)
        if value is None:
            return None
        try:
            return parse_pub_date(value)
        except ValueError:
            raise ValueError(f"AskNewsSource.{setting} is not an ISO 8601 time: {value!r}") from None

    def _languages(self) -> list[str]:
        if invalid := [code for code in self.languages if not is_language(code)]:
            raise ValueError(f"AskNewsSource.languages holds codes outside the platform's {LANGUAGES}: {invalid}")
        return list(self.languages)

    def _countries(self) -> list[str] | None:
        if self.countries is None:
            return None
        if invalid := [code for code in self.countries if not is_country(code)]:
            raise ValueError(f"AskNewsSource.countries holds codes that are not ISO 3166-1 alpha-2: {invalid}")
        return list(self.countries)

    def _digest(self, window: Window, *parts: Any) -> str:
        """Hash of what decides which articles a read returns (never the credentials)."""
        span = [window.start.isoformat(), window.end.isoformat()]
        reading = [self.base_url, *span, self.query, self.page_size, self.max_pages]
        return hashlib.sha256(json.dumps([reading, *parts]).encode()).hexdigest()[:16]

    @contextmanager
    def _sdk(self) -> Iterator[AskNewsSDK]:
        credentials = self.credentials()
        with AskNewsSDK(
            **credentials, scopes=SCOPES, base_url=self.base_url, token_url=self.token_url, timeout=self.timeout_seconds
        ) as sdk:
            yield sdk

    def _pages(
        self, sdk: AskNewsSDK, window: Window, language: str, countries: list[str] | None
    ) -> Iterator[list[AskNewsArticle]]:
        """Search result pages for one language (and countries) in the window, up to max_pages."""
        for page in range(self.max_pages):
            response = sdk.news.search_news(
                query=self.query,
                n_articles=self.page_size,
                offset=page * self.page_size,
                start_timestamp=int(window.start.timestamp()),
                end_timestamp=int(window.end.timestamp()),
                time_filter="pub_date",
                hours_back=None,  # the window is given by the timestamps
                historical=window.start < _utcnow() - RECENT_INDEX,
                return_type="dicts",
                languages=[language],
                countries=countries,
                sort_by="pub_date",
                podcasts="none",
            )
            articles = list(response.as_dicts or [])
            yield articles
            if len(articles) < self.page_size:
                return

    def list_partitions(self) -> list[ArticlePartition]:
        """Configured countries x languages, or the valid pairs found by searching each language."""
        languages = self._languages()
        countries = self._countries()
        if countries is not None:
            return sorted(ArticlePartition(country, language) for country in countries for language in languages)
        window = self.window()
        key = self._digest(window, languages)
        if key not in _discovered:
            if len(_discovered) >= _DISCOVERY_CACHE_SIZE:
                _discovered.clear()
            _discovered[key] = self._discover(window, languages)
        return list(_discovered[key])

    def _discover(self, window: Window, languages: list[str]) -> list[ArticlePartition]:
        found: set[ArticlePartition] = set()
        with self._sdk() as sdk:
            for language in languages:
                for articles in self._pages(sdk, window, language, countries=None):
                    for article in articles:
                        # Normalised as ingest_partition does, so a pair found here is one it accepts.
                        country, article_language = article.country.strip().upper(), article.language.strip().lower()
                        if is_country(country) and article_language in languages:
                            found.add(ArticlePartition(country, article_language))
        return sorted(found)

    def fingerprint(self, partition: ArticlePartition) -> str:
        """Changes when the window or the search settings change; costs no API call."""
        return self._digest(self.window(), str(partition))

    def read_partition(self, partition: ArticlePartition, max_record_bytes: int | None = None) -> Iterator[SourceRecord]:
        # Records arrive parsed; ingest_partition applies the size limit to them.
        window = self.window()
        with self._sdk() as sdk:
            pages = self._pages(sdk, window, partition.language, [partition.country])
            for number, articles in enumerate(pages, 1):
                for index, article in enumerate(articles, 1):
                    location = f"asknews:{partition.country}/{partition.language}/page{number}#{index}"
                    yield SourceRecord(location, article_record(article))
