"""The dataset's licence, from the licences of the source articles it is built from.

Every article records its licence (the record's `license` field, else the source's). The published
dataset is a derivative of all of them: its licence is the most restrictive one, and publication is
refused, with the reason, where no single licence can honour them all (two different share-alike
licences, a share-alike with a non-commercial one, a no-derivatives or unknown licence) or where the
licence the user configured (ASKNEWS_DATASET_LICENSE) is less restrictive than a source's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

UNKNOWN = "unknown"


@dataclass(frozen=True)
class LicenseTerms:
    rank: int  # 0 public domain, 1 attribution, 2 share-alike, 3 non-commercial, 4 non-commercial share-alike
    share_alike: bool = False
    no_derivatives: bool = False


# Hub licence identifiers (lower case) of the licences news and data sets commonly carry.
KNOWN: dict[str, LicenseTerms] = {
    "cc0-1.0": LicenseTerms(0), "pddl": LicenseTerms(0), "unlicense": LicenseTerms(0),
    "cc-by-4.0": LicenseTerms(1), "cc-by-3.0": LicenseTerms(1), "cc-by-2.0": LicenseTerms(1), "odc-by": LicenseTerms(1),
    "apache-2.0": LicenseTerms(1), "mit": LicenseTerms(1), "bsd-3-clause": LicenseTerms(1),
    "cc-by-sa-4.0": LicenseTerms(2, share_alike=True), "cc-by-sa-3.0": LicenseTerms(2, share_alike=True),
    "odbl": LicenseTerms(2, share_alike=True),
    "cc-by-nc-4.0": LicenseTerms(3), "cc-by-nc-3.0": LicenseTerms(3),
    "cc-by-nc-sa-4.0": LicenseTerms(4, share_alike=True), "cc-by-nc-sa-3.0": LicenseTerms(4, share_alike=True),
    "cc-by-nd-4.0": LicenseTerms(1, no_derivatives=True), "cc-by-nc-nd-4.0": LicenseTerms(3, no_derivatives=True),
}  # fmt: skip
OTHER_RANK = 5  # a licence outside the table (terms of service, a LicenseRef): only itself honours it


class LicenseConflict(ValueError):
    """No licence can honour every source licence (or the configured one cannot)."""


def normalize(name: str | None) -> str:
    """A licence name as the Hub writes it ('CC-BY-4.0' -> 'cc-by-4.0'); empty or None -> 'unknown'."""
    value = (name or "").strip()
    if not value:
        return UNKNOWN
    return value.lower() if value.lower() in KNOWN or value.lower() == UNKNOWN else value


def _terms(name: str) -> LicenseTerms:
    return KNOWN.get(name, LicenseTerms(OTHER_RANK, share_alike=True))  # an unknown text binds like share-alike


@dataclass(frozen=True)
class DatasetLicense:
    license: str  # the Hub identifier for the card's front matter ('other' for a licence outside the Hub's list)
    name: str  # the licence itself
    documents_by_license: dict[str, int]


def dataset_license(documents_by_license: Mapping[str, int], configured: str = "") -> DatasetLicense:
    """The licence of a dataset built from documents under `documents_by_license`, or LicenseConflict."""
    counts: dict[str, int] = {}
    for name, count in documents_by_license.items():
        if count:
            counts[normalize(name)] = counts.get(normalize(name), 0) + int(count)
    if not counts:
        raise LicenseConflict("the dataset records no licence for its source articles: rebuild it (dataset_job) to record them")
    if UNKNOWN in counts:
        raise LicenseConflict(
            f"{counts[UNKNOWN]} document(s) come from articles with no known licence: give the source records a `license`"
            " field, or set the source's licence (ASKNEWS_SOURCE_LICENSE for a folder of files)"
        )
    if no_derivatives := sorted(name for name in counts if _terms(name).no_derivatives):
        raise LicenseConflict(f"source licence(s) {no_derivatives} allow no derivatives: an annotated dataset is one")
    binding = sorted({name for name in counts if _terms(name).share_alike})
    if len(binding) > 1:
        raise LicenseConflict(
            f"source licences {binding} each require derivatives to carry that same licence: no dataset licence honours"
            f" them all ({', '.join(f'{n}: {counts[n]}' for n in binding)} documents); build from sources of one of them"
        )
    most = max(counts, key=lambda name: (_terms(name).rank, name))
    if binding and _terms(most).rank > _terms(binding[0]).rank:
        raise LicenseConflict(
            f"source licence {binding[0]} requires derivatives under itself, but {most} is more restrictive"
            f" ({counts[binding[0]]} and {counts[most]} documents)"
        )
    chosen = binding[0] if binding else most
    if configured:
        wanted = normalize(configured)
        if wanted != chosen and (wanted not in KNOWN or binding or _terms(wanted).rank < _terms(chosen).rank):
            raise LicenseConflict(
                f"the configured dataset licence {wanted} (ASKNEWS_DATASET_LICENSE) does not honour the source licence"
                f" {chosen} ({counts[chosen]} documents; licences: {dict(sorted(counts.items()))}): set"
                f" ASKNEWS_DATASET_LICENSE={chosen}, or leave it unset to use the most restrictive source licence"
            )
        chosen = wanted
    return DatasetLicense(chosen if chosen in KNOWN else "other", chosen, dict(sorted(counts.items())))
