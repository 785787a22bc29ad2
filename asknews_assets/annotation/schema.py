"""The entity-type schema: which types annotators may use, each with a one-line description.

The packaged `entity_types.yaml` is the default. A project can point to its own file of the same
shape, or keep a subset of the types; an annotation outside the schema is dropped and counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_SCHEMA_PATH = Path(__file__).with_name("entity_types.yaml")


def normalize_label(label: str) -> str:
    """'Political_Party ' -> 'political party': the form every type name takes, in the schema and in answers."""
    return " ".join(label.replace("_", " ").split()).lower()


class InvalidEntitySchema(ValueError):
    """The schema file or the requested subset is unusable."""


@dataclass(frozen=True)
class EntityType:
    name: str
    description: str


@dataclass(frozen=True)
class EntitySchema:
    version: str
    types: tuple[EntityType, ...]

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.types]

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __iter__(self) -> Iterator[EntityType]:
        return iter(self.types)

    def __len__(self) -> int:
        return len(self.types)

    def subset(self, names: Iterable[str]) -> EntitySchema:
        """The schema restricted to `names` (kept in schema order); unknown names are an error."""
        wanted = list(dict.fromkeys(normalize_label(n) for n in names))
        unknown = [n for n in wanted if n not in self]
        if unknown:
            raise InvalidEntitySchema(f"entity types not in schema {self.version!r}: {unknown}")
        return EntitySchema(f"{self.version}[{','.join(wanted)}]", tuple(t for t in self.types if t.name in wanted))


def load_entity_schema(path: str | Path | None = None, only: Iterable[str] | None = None) -> EntitySchema:
    """The schema in `path` (default: the packaged 54 news types), optionally restricted to `only`."""
    source = Path(path) if path else DEFAULT_SCHEMA_PATH
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InvalidEntitySchema(f"cannot read the entity-type schema {source}: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("entity_types"), list):
        raise InvalidEntitySchema(f"{source}: expected a mapping with an 'entity_types' list")
    types = []
    for entry in document["entity_types"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].strip():
            raise InvalidEntitySchema(f"{source}: every entity type needs a non-empty 'name': {entry!r}")
        name = normalize_label(entry["name"])
        types.append(EntityType(name, " ".join(str(entry.get("description") or "").split())))
    names = [t.name for t in types]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates or not types:
        raise InvalidEntitySchema(f"{source}: entity type names must be unique and non-empty (duplicates: {duplicates})")
    schema = EntitySchema(str(document.get("version") or source.stem), tuple(types))
    return schema.subset(only) if only else schema
