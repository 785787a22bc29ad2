"""A local folder with the Hub's layout: the publish target of the offline deployment.

    <root>/<namespace>/<name>/                 the repository at main: exactly the files the Hub repo would hold
    <root>/.hub/<namespace>/<name>/commits/<commit>/   one immutable snapshot per published content
    <root>/.hub/<namespace>/<name>/refs.json   {"main": <commit>, "tags": {<tag>: <commit>}}

`<root>/<namespace>/<name>` is a symbolic link to the snapshot of main. A publication writes its
snapshot into a temporary folder, renames it to `commits/<commit>`, then swaps the link with one
rename, so readers see the old files or the new ones, never a mix. The commit id is a hash of the
content (paths and bytes): republishing the same content is a no-op. Every tag stays readable via
`refs.json` and `revision_path` (and `load_dataset(<root>/.hub/.../commits/<commit>)`).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from asknews_assets.publication.bundle import Bundle, PublicationError, PublishedRepo
from asknews_assets.publication.naming import validate_repo_id

BACKEND = "local_folder"
REFS_FILE = "refs.json"


def repo_path(root: Path, repo_id: str) -> Path:
    """The repository at main (a link to its current snapshot)."""
    return root / validate_repo_id(repo_id)


def _store(root: Path, repo_id: str) -> Path:
    return root / ".hub" / validate_repo_id(repo_id)


def read_refs(root: Path, repo_id: str) -> dict[str, Any]:
    path = _store(root, repo_id) / REFS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"main": None, "tags": {}}


def revision_path(root: Path, repo_id: str, revision: str = "main") -> Path:
    """The snapshot folder of a branch ('main'), a tag or a commit id."""
    refs = read_refs(root, repo_id)
    commit = refs["main"] if revision == "main" else refs["tags"].get(revision, revision)
    path = _store(root, repo_id) / "commits" / str(commit)
    if not commit or not path.is_dir():
        raise PublicationError(f"{repo_id} has no revision {revision!r}")
    return path


def list_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


@contextmanager
def _locked(store: Path) -> Iterator[None]:
    """One publication of a repository at a time (runs are separate processes)."""
    store.mkdir(parents=True, exist_ok=True)
    with open(store / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def publish_to_folder(root: Path, bundle: Bundle) -> PublishedRepo:
    store = _store(root, bundle.repo_id)
    link = repo_path(root, bundle.repo_id)
    commit = bundle.content_id()
    with _locked(store):
        refs = read_refs(root, bundle.repo_id)
        tagged = refs["tags"].get(bundle.tag)
        if tagged is not None and tagged != commit:
            raise PublicationError(
                f"tag {bundle.tag} of {bundle.repo_id} already points at commit {tagged} with other content:"
                " a version names one content; publish the change under a new version"
            )
        previous = set(list_files(store / "commits" / refs["main"])) if refs["main"] else set()
        snapshot = store / "commits" / commit
        if not snapshot.is_dir():
            temporary = store / "commits" / f".{commit}.{uuid.uuid4().hex[:8]}.tmp"
            try:
                for path, local in bundle.files.items():
                    (temporary / path).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(local, temporary / path)
                temporary.rename(snapshot)
            finally:
                shutil.rmtree(temporary, ignore_errors=True)
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.exists() and not link.is_symlink():
            raise PublicationError(f"{link} exists and is not a published repository (a link to a snapshot)")
        new_link = link.with_name(f".{link.name}.{uuid.uuid4().hex[:8]}.link")
        new_link.symlink_to(os.path.relpath(snapshot, link.parent), target_is_directory=True)
        os.replace(new_link, link)
        refs = {"main": commit, "tags": {**refs["tags"], bundle.tag: commit}}
        _write_atomically(store / REFS_FILE, json.dumps(refs, indent=2, sort_keys=True))
    return PublishedRepo(
        repo_id=bundle.repo_id,
        repo_type=bundle.repo_type,
        commit=commit,
        tag=bundle.tag,
        files=tuple(bundle.files),
        deleted=tuple(sorted(previous - set(bundle.files))),
        url=link.absolute().as_uri(),
        backend=BACKEND,
    )
