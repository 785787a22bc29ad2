"""Partitions of the asset graph and validation of their keys.

Article assets are partitioned by country x language. Languages are the 12 of the AskNews-NER
recipe; countries are a dynamic dimension registered from what the news source holds. Every key is
validated here before it reaches SQL or a file path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dagster import (
    DynamicPartitionsDefinition,
    Failure,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    StaticPartitionsDefinition,
)

LANGUAGES: tuple[str, ...] = ("en", "es", "pt", "de", "ru", "fr", "ar", "it", "uk", "no", "sv", "da")

language_partitions = StaticPartitionsDefinition(list(LANGUAGES))
country_partitions = DynamicPartitionsDefinition(name="country")
article_partitions = MultiPartitionsDefinition({"country": country_partitions, "language": language_partitions})

_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


class InvalidPartitionKey(ValueError):
    """A country or language code that is not one this platform accepts."""


@cache
def country_names() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> English short name (plus XK, used by news sources for Kosovo)."""
    table = Path(__file__).with_name("iso3166_alpha2.tsv").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in table.splitlines() if line and not line.startswith("#"))
    return {code: name for code, name in rows}


def is_country(code: object) -> bool:
    return isinstance(code, str) and bool(_COUNTRY_RE.match(code)) and code in country_names()


def is_language(code: object) -> bool:
    return isinstance(code, str) and code in LANGUAGES


def validate_country(code: object) -> str:
    if not is_country(code):
        raise InvalidPartitionKey(f"not an ISO 3166-1 alpha-2 country code: {code!r}")
    return code  # type: ignore[return-value]


def validate_language(code: object) -> str:
    if not is_language(code):
        raise InvalidPartitionKey(f"not one of the platform's languages {LANGUAGES}: {code!r}")
    return code  # type: ignore[return-value]


@dataclass(frozen=True, order=True)
class ArticlePartition:
    """A validated country x language pair: safe to use in SQL parameters and file names."""

    country: str
    language: str

    def __post_init__(self) -> None:
        validate_country(self.country)
        validate_language(self.language)

    @classmethod
    def from_key(cls, key: str | MultiPartitionKey) -> ArticlePartition:
        """Parse a multi-partition key such as 'FR|fr' (Dagster orders dimensions by name)."""
        if isinstance(key, MultiPartitionKey):
            dims = key.keys_by_dimension
            return cls(dims.get("country", ""), dims.get("language", ""))
        if not isinstance(key, str) or key.count("|") != 1:
            raise InvalidPartitionKey(f"expected a 'COUNTRY|language' partition key, got {key!r}")
        country, language = key.split("|")
        return cls(country, language)

    @property
    def key(self) -> MultiPartitionKey:
        return MultiPartitionKey({"country": self.country, "language": self.language})

    def __str__(self) -> str:
        return f"{self.country}|{self.language}"


def partition_of(context) -> ArticlePartition:
    """The validated partition of a run of a country x language asset.

    Dagster accepts any string as a dynamic partition key, so this is the guard: an invalid key
    fails the step at once, and without retries, since retrying cannot make it valid.
    """
    try:
        return ArticlePartition.from_key(context.partition_key)
    except InvalidPartitionKey as error:
        raise Failure(str(error), allow_retries=False) from error


MODEL_VARIANTS: tuple[str, ...] = ("small", "medium", "large")
model_variant_partitions = StaticPartitionsDefinition(list(MODEL_VARIANTS))
