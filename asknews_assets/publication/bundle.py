"""What one publication is: the files of a repository at a version, and what publishing it gave.

A `Bundle` maps every path the repository will hold to a local file. Both publishers take the same
bundle, so the local folder and the Hub repository end up with the same files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from asknews_assets.publication.naming import validate_repo_id, version_tag

RepoType = Literal["dataset", "model"]

# Files the Hub creates in every repository, which a publication never deletes.
HUB_MANAGED_FILES = frozenset({".gitattributes"})


class PublicationError(RuntimeError):
    """A publication that cannot be made as asked (bad input, an existing tag on other content)."""


def _validate_path_in_repo(path: str) -> str:
    pure = PurePosixPath(path)
    if pure.is_absolute() or not pure.parts or any(part in ("", ".", "..") for part in pure.parts) or "\\" in path:
        raise PublicationError(f"not a relative path inside a repository: {path!r}")
    return str(pure)


@dataclass(frozen=True)
class Bundle:
    """Everything one publication puts in a repository, tagged with its version."""

    repo_id: str
    repo_type: RepoType
    version: str
    files: Mapping[str, Path]  # path in the repository -> local file
    commit_message: str
    tag: str = field(init=False)

    def __post_init__(self) -> None:
        validate_repo_id(self.repo_id)
        if self.repo_type not in ("dataset", "model"):
            raise PublicationError(f"repo_type must be 'dataset' or 'model', not {self.repo_type!r}")
        if not self.files:
            raise PublicationError(f"nothing to publish to {self.repo_id}")
        files = {_validate_path_in_repo(path): Path(local) for path, local in self.files.items()}
        if managed := HUB_MANAGED_FILES & files.keys():
            raise PublicationError(f"{sorted(managed)} are managed by the Hub and not published")
        if missing := [str(local) for local in files.values() if not local.is_file()]:
            raise PublicationError(f"files to publish do not exist: {missing[:5]}")
        object.__setattr__(self, "files", dict(sorted(files.items())))
        object.__setattr__(self, "tag", version_tag(self.version))

    @property
    def paths(self) -> list[str]:
        return list(self.files)

    def content_id(self) -> str:
        """A 40-hex id of the bundle's content (paths and bytes): equal bundles, equal ids."""
        digest = hashlib.sha1()
        for path, local in self.files.items():
            digest.update(path.encode() + b"\0" + file_sha256(local).encode() + b"\n")
        return digest.hexdigest()


@dataclass(frozen=True)
class PublishedRepo:
    """Where a bundle landed: repository, commit and tag, and which files were added and removed."""

    repo_id: str
    repo_type: RepoType
    commit: str
    tag: str
    files: tuple[str, ...]
    deleted: tuple[str, ...]
    url: str
    backend: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
