"""Names on the Hub: repository ids, version tags and Parquet shard paths, validated before use.

Repository ids and tags also become folder names of the local publish target, so everything that
reaches a path or a URL is checked (or derived by a fixed rule) here.
"""

from __future__ import annotations

import re

# The Hub's rule: letters, digits, '-', '_', '.'; no '--' or '..'; '-' and '.' neither first nor last; 96 at most.
_REPO_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$")
_SPLIT_RE = re.compile(r"^[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*$")
_TAG_MAX_CHARS = 128


class InvalidName(ValueError):
    """A repository id, version or split name that cannot be used on the Hub."""


def _is_repo_name(name: str) -> bool:
    return bool(_REPO_NAME_RE.match(name)) and "--" not in name and ".." not in name


def validate_repo_id(repo_id: str) -> str:
    """'namespace/name', both parts following the Hub's naming rules."""
    parts = repo_id.split("/") if isinstance(repo_id, str) else []
    if len(parts) != 2 or not all(_is_repo_name(part) for part in parts):
        raise InvalidName(f"not a Hub repository id 'namespace/name': {repo_id!r}")
    return repo_id


def make_repo_id(namespace: str, name: str) -> str:
    return validate_repo_id(f"{namespace}/{name}")


def is_hub_repo_id(value: object) -> bool:
    """Whether a string names a Hub repository (and not, say, a local folder a model was built from)."""
    try:
        validate_repo_id(value)  # type: ignore[arg-type]
    except InvalidName:
        return False
    return True


def version_tag(version: str) -> str:
    """The git tag a version is published under: the version itself, other characters turned into '-'."""
    tag = re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9._-]+", "-", str(version))).strip("-.")
    if not tag or len(tag) > _TAG_MAX_CHARS or tag.endswith(".lock"):
        raise InvalidName(f"version {version!r} gives no usable tag")
    return tag


def validate_split(split: str) -> str:
    """Split names as the Hub's `datasets` loader accepts them (letters, digits and single underscores)."""
    if not isinstance(split, str) or not _SPLIT_RE.match(split):
        raise InvalidName(f"not a usable split name: {split!r}")
    return split


def shard_path(split: str, index: int, count: int) -> str:
    """`data/{split}-NNNNN-of-NNNNN.parquet`, the layout `datasets.push_to_hub` writes."""
    return f"data/{validate_split(split)}-{index:05d}-of-{count:05d}.parquet"
