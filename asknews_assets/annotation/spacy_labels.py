"""spaCy's OntoNotes labels mapped onto the schema's types.

Most labels have one counterpart. GPE (countries, cities, states) is split with a gazetteer of
country names built from the partitions' ISO 3166 table plus the short forms news uses; any other
GPE becomes the general `location`, since telling a city from a state needs knowledge the small
model does not have. CARDINAL and ORDINAL (bare numbers, "first") are not entities in the recipe
and are not proposed at all.
"""

from __future__ import annotations

from functools import cache

from asknews_assets.partitions import country_names

SPACY_LABELS: dict[str, str | None] = {
    "PERSON": "person",
    "NORP": "nationality or group",
    "FAC": "facility",
    "ORG": "organization",
    "GPE": "location",  # refined by `spacy_entity_type`
    "LOC": "location",
    "PRODUCT": "product",
    "EVENT": "event",
    "WORK_OF_ART": "work of art",
    "LAW": "law or policy",
    "LANGUAGE": "language",
    "DATE": "date",
    "TIME": "time",
    "PERCENT": "percentage",
    "MONEY": "money",
    "QUANTITY": "quantity",
    "CARDINAL": None,
    "ORDINAL": None,
}

# Short or common names that the ISO short names do not give.
COUNTRY_ALIASES = (
    "US", "USA", "America", "United States of America", "UK", "Britain", "Great Britain", "England",
    "Scotland", "Wales", "Northern Ireland", "Russia", "Iran", "Syria", "Vietnam", "Laos", "South Korea",
    "North Korea", "Czech Republic", "Ivory Coast", "Turkey", "Holland", "DRC", "DR Congo", "UAE",
    "Palestine", "Moldova", "Tanzania", "Venezuela", "Bolivia", "Micronesia", "Vatican", "Burma",
    "Taiwan", "Kosovo", "Macedonia", "Swaziland", "East Timor",
)


def _gazetteer_key(name: str) -> str:
    """'the U.S.' -> 'us': articles, dots and case do not matter."""
    name = " ".join(name.replace(".", "").split()).casefold()
    return name[4:] if name.startswith("the ") else name


@cache
def country_gazetteer() -> frozenset[str]:
    # "Korea, Republic of" -> "korea": the part before the comma is what news writes.
    official = [name.split(",")[0] for name in country_names().values()]
    return frozenset(_gazetteer_key(name) for name in (*official, *COUNTRY_ALIASES))


def spacy_entity_type(label: str, text: str) -> str | None:
    """The schema type for a spaCy entity, or None for labels that are not entities here. A label this
    table does not know (a custom pipeline's) is passed on as it is: it counts as outside the schema
    unless it names a schema type."""
    if label == "GPE" and _gazetteer_key(text) in country_gazetteer():
        return "country"
    return SPACY_LABELS.get(label, label)
