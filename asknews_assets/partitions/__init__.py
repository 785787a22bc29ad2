"""Partitions of the asset graph and validation of their keys.

Article assets are partitioned by country x language pair, and only by the pairs the news source
holds: one dynamic partitions definition whose keys (`fr-BE`: language, then country, as in a locale
tag) are registered from the source. A cross product of every country and every language would
hold about ten phantom pairs for each real one, which the UI would count as missing forever and a
per-language backfill would fill with empty partitions. In the UI a language's partitions are the
wildcard `fr-*` and a country's `*-BE`. Languages are the 12 of the AskNews-NER recipe. Every key is
validated here before it reaches SQL or a file path.

A backfill materialises up to ASKNEWS_PARTITIONS_PER_RUN partitions per run (default 8; Dagster's
multi-run backfill policy): a partition of the sample corpus is seconds of work, while a run costs a
process start and the model libraries' import, so one run per partition spent most of a backfill
starting runs. The sensor's runs and single-partition launches still run one partition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dagster import BackfillPolicy, DynamicPartitionsDefinition, Failure, StaticPartitionsDefinition

from asknews_assets import settings

LANGUAGES: tuple[str, ...] = ("en", "es", "pt", "de", "ru", "fr", "ar", "it", "uk", "no", "sv", "da")

article_partitions = DynamicPartitionsDefinition(name="article_pairs")
# Every country x language asset has this policy: assets with different policies run apart.
article_backfill_policy = BackfillPolicy.multi_run(max_partitions_per_run=settings.current().partitions_per_run)

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
    def from_key(cls, key: str) -> ArticlePartition:
        """Parse a partition key such as 'fr-BE' (language, then country); each part is validated."""
        if not isinstance(key, str) or key.count("-") != 1:
            raise InvalidPartitionKey(f"expected a 'language-COUNTRY' partition key such as 'fr-BE', got {key!r}")
        language, country = key.split("-")
        return cls(country=country, language=language)

    @property
    def key(self) -> str:
        return f"{self.language}-{self.country}"

    def __str__(self) -> str:
        return self.key


def partitions_of(context) -> list[ArticlePartition]:
    """The validated partitions of a run of a country x language asset or check: one, or several
    when a backfill batches partitions into one run.

    Dagster accepts any string as a dynamic partition key, so this is the guard: an invalid key
    fails the step at once, and without retries, since retrying cannot make it valid.
    """
    try:
        return [ArticlePartition.from_key(key) for key in context.partition_keys]
    except InvalidPartitionKey as error:
        raise Failure(str(error), allow_retries=False) from error


MODEL_VARIANTS: tuple[str, ...] = ("small", "medium", "large")
model_variant_partitions = StaticPartitionsDefinition(list(MODEL_VARIANTS))
