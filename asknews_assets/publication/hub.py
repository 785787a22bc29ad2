"""Publishing a bundle to a Hugging Face Hub repository: one atomic commit, then a tag.

The commit holds every file of the bundle (CommitOperationAdd) and deletes every file the repository
holds that the bundle no longer has (CommitOperationDelete), so after it the repository is exactly
the bundle; the Hub applies a commit whole or not at all. Transient failures (429, 5xx, broken
connections) are retried with exponential backoff, each attempt re-reading the repository: if a
commit landed but its answer was lost, the next attempt finds the files unchanged and the client
makes no second commit. The tag is the version. A version names one content: a bundle whose tag
already exists on other content is refused before anything is committed, and one whose tag already
holds exactly the bundle is published already: nothing is committed again. The server is not trusted
with the commit id it answers: the files of that revision are compared with the bundle before the
tag is set, so a stale or wrong answer fails the publication instead of tagging other content.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, RepoFile
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils.sha import git_hash

from asknews_assets.llm.client import parse_retry_after
from asknews_assets.publication.bundle import HUB_MANAGED_FILES, Bundle, PublicationError, PublishedRepo, file_sha256

T = TypeVar("T")
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
BACKEND = "huggingface_hub"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """Retries after the first attempt, and the exponential, jittered wait between them."""

    max_retries: int = 5
    base_s: float = 2.0
    max_s: float = 60.0

    def delay(self, attempt: int, retry_after_s: float | None = None) -> float:
        ceiling = min(self.max_s, self.base_s * 2 ** (attempt - 1))
        return max(ceiling / 2 + random.uniform(0, ceiling / 2), retry_after_s or 0.0)


def is_transient(error: BaseException) -> bool:
    """Worth another try: rate limits, server errors and broken connections; not 4xx answers."""
    if isinstance(error, HfHubHTTPError):
        response = error.response
        return response is not None and response.status_code in TRANSIENT_STATUSES
    return isinstance(error, httpx.TransportError)


def with_retries(action: Callable[[], T], backoff: Backoff, what: str) -> T:
    attempt = 0
    while True:
        try:
            return action()
        except Exception as error:  # noqa: BLE001 (classified right below)
            attempt += 1
            if not is_transient(error) or attempt > backoff.max_retries:
                raise
            response = getattr(error, "response", None)
            wait = backoff.delay(attempt, parse_retry_after(response.headers.get("Retry-After")) if response is not None else None)
            log.warning("%s failed (%s), retry %d/%d in %.1fs", what, type(error).__name__, attempt, backoff.max_retries, wait)
            time.sleep(wait)


def repo_url(endpoint: str, repo_id: str, repo_type: str) -> str:
    prefix = "datasets/" if repo_type == "dataset" else ""
    return f"{endpoint.rstrip('/')}/{prefix}{repo_id}"


def stale_files(existing: list[str], bundle: Bundle) -> list[str]:
    """Files of the repository that the bundle no longer produces (the Hub's own files stay)."""
    return sorted(set(existing) - set(bundle.files) - HUB_MANAGED_FILES)


def publish_to_hub(api: HfApi, bundle: Bundle, *, private: bool, backoff: Backoff) -> PublishedRepo:
    repo_type = bundle.repo_type
    with_retries(
        lambda: api.create_repo(bundle.repo_id, repo_type=repo_type, private=private, exist_ok=True),
        backoff,
        f"create_repo {bundle.repo_id}",
    )
    tagged = with_retries(lambda: tagged_commit(api, bundle), backoff, f"refs of {bundle.repo_id}")
    if tagged is not None:
        if not with_retries(lambda: holds_bundle(api, bundle, tagged), backoff, f"files of {bundle.repo_id}@{tagged}"):
            raise PublicationError(
                f"tag {bundle.tag} of {bundle.repo_id} already points at commit {tagged} with other content:"
                " a version names one content; publish the change under a new version"
            )
        log.info("%s %s is published already (commit %s): nothing to commit", bundle.repo_id, bundle.tag, tagged)
        return PublishedRepo(
            repo_id=bundle.repo_id, repo_type=repo_type, commit=tagged, tag=bundle.tag, files=tuple(bundle.files),
            deleted=(), url=repo_url(api.endpoint, bundle.repo_id, repo_type), backend=BACKEND,
        )  # fmt: skip

    def list_files() -> list[str]:
        return api.list_repo_files(bundle.repo_id, repo_type=repo_type)

    deleted = stale_files(with_retries(list_files, backoff, f"files of {bundle.repo_id}"), bundle)

    def commit() -> str:
        # Each attempt starts from what the repository holds now, with new operations (the client marks them used).
        stale = stale_files(list_files(), bundle)
        operations = [CommitOperationAdd(path, str(local)) for path, local in bundle.files.items()]
        operations += [CommitOperationDelete(path) for path in stale]
        return api.create_commit(bundle.repo_id, operations, commit_message=bundle.commit_message, repo_type=repo_type).oid

    oid = with_retries(commit, backoff, f"commit to {bundle.repo_id}")
    if not with_retries(lambda: holds_bundle(api, bundle, oid), backoff, f"files of {bundle.repo_id}@{oid}"):
        raise PublicationError(
            f"the Hub answered commit {oid} for {bundle.repo_id}, but that revision does not hold the bundle's files"
            f" (a stale or wrong answer): {bundle.tag} was not tagged; publish again"
        )
    with_retries(
        lambda: api.create_tag(
            bundle.repo_id, tag=bundle.tag, revision=oid, repo_type=repo_type, tag_message=bundle.commit_message, exist_ok=True
        ),
        backoff,
        f"tag {bundle.tag} of {bundle.repo_id}",
    )
    return PublishedRepo(
        repo_id=bundle.repo_id,
        repo_type=repo_type,
        commit=oid,
        tag=bundle.tag,
        files=tuple(bundle.files),
        deleted=tuple(deleted),
        url=repo_url(api.endpoint, bundle.repo_id, repo_type),
        backend=BACKEND,
    )


def tagged_commit(api: HfApi, bundle: Bundle) -> str | None:
    """The commit the bundle's tag points at, if the tag exists."""
    refs = api.list_repo_refs(bundle.repo_id, repo_type=bundle.repo_type)
    return next((t.target_commit for t in refs.tags if t.name == bundle.tag), None)


def holds_bundle(api: HfApi, bundle: Bundle, revision: str) -> bool:
    """Whether the repository at `revision` holds exactly the bundle's files (the Hub's own files aside)."""
    remote = {
        entry.path: entry
        for entry in api.list_repo_tree(bundle.repo_id, repo_type=bundle.repo_type, revision=revision, recursive=True)
        if isinstance(entry, RepoFile) and entry.path not in HUB_MANAGED_FILES
    }
    return remote.keys() == bundle.files.keys() and all(_same_content(remote[path], local) for path, local in bundle.files.items())


def _same_content(remote: RepoFile, local: Path) -> bool:
    if remote.lfs is not None:  # LFS and Xet files are named by the sha256 of their content
        return remote.lfs.sha256 == file_sha256(local)
    return remote.size == local.stat().st_size and remote.blob_id == git_hash(local.read_bytes())
