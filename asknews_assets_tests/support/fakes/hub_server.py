"""A Hugging Face Hub-compatible server on 127.0.0.1, for testing publication with the real client.

    with FakeHubServer(token="hf_test") as hub:
        api = HfApi(endpoint=hub.endpoint, token="hf_test")
        api.create_repo("org/data", repo_type="dataset")
        hub.fail(Fault(500, path="/commit/"))      # the next commit is refused and changes nothing
        ...
        assert hub.files("dataset", "org/data") == {".gitattributes": b"...", "README.md": b"..."}

It serves what `HfApi.create_repo`, `create_commit`, `create_tag`, `repo_info`, `list_repo_files`,
`list_repo_tree`, `list_repo_refs` and `hf_hub_download` call (huggingface_hub 1.x):

    POST      /api/repos/create                              {"name", "organization", "type", "visibility"}
    POST      /api/validate-yaml                             {"content", "repoType"}: the card's YAML must parse
    POST      /api/{type}s/{ns}/{name}/preupload/{rev}       every file "regular" (no LFS), with the current oid
    POST      /api/{type}s/{ns}/{name}/commit/{rev}          NDJSON: header, then file / deletedFile / deletedFolder
    POST      /api/{type}s/{ns}/{name}/tag/{rev}             {"tag", "message"}
    GET       /api/{type}s/{ns}/{name}[/revision/{rev}]      repo info (sha, siblings)
    GET       /api/{type}s/{ns}/{name}/tree/{rev}[/{path}]   ?recursive=
    GET       /api/{type}s/{ns}/{name}/refs
    HEAD, GET /[{type}s/]{ns}/{name}/resolve/{rev}/{path}    file bytes, X-Repo-Commit and ETag

A commit is applied atomically, as on the Hub: a refused commit leaves the branch where it was. With
a `token`, writes (and reads of private repositories) need `Authorization: Bearer <token>`. Every
request is logged with its headers (`log`), so tests can see what the client sent.

Misbehaviours of real servers, for the client's defences: `answer_stale_commit` applies a commit but
answers with the id of the commit before it; `echo_authorization` quotes the request's Authorization
header in every error message.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

GITATTRIBUTES = b"*.parquet filter=lfs diff=lfs merge=lfs -text\n*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
REPO_TYPES = ("model", "dataset", "space")


def git_blob_oid(content: bytes) -> str:
    """The git object id of a file, as the Hub reports it for regular (non-LFS) files."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


@dataclass(frozen=True)
class Fault:
    """An error answer for the next request(s) whose method and path match.

    `apply_first`: the request takes effect before the error is sent, as when a response is lost.
    `drop`: the connection is closed without an answer instead.
    """

    status: int = 500
    path: str = ""
    method: str = "POST"
    times: int = 1
    apply_first: bool = False
    drop: bool = False
    retry_after: str | None = None


@dataclass(frozen=True)
class Commit:
    oid: str
    parent: str | None
    summary: str
    files: dict[str, bytes]  # the whole tree after this commit
    operations: tuple[dict[str, Any], ...]  # as received (file contents decoded to bytes)
    created_at: str


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    private: bool
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def resolve(self, revision: str) -> Commit | None:
        oid = self.branches.get(revision) or self.tags.get(revision)
        if oid is None and len(revision) >= 7:
            oid = next((o for o in self.commits if o.startswith(revision)), None)
        return self.commits.get(oid) if oid else None

    @property
    def head(self) -> Commit:
        return self.commits[self.branches["main"]]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    status: int | None = None  # 0: the connection was dropped without an answer


class HubError(Exception):
    def __init__(self, status: int, message: str, error_code: str | None = None, **body: Any) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.body = {"error": message, **body}


class FakeHubServer:
    """An in-memory Hub: repositories with commits, a main branch and tags, until `stop`."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.repos: dict[tuple[str, str], Repo] = {}
        self.log: list[Request] = []
        self._faults: list[Fault] = []
        self.answer_stale_commit = False
        self.echo_authorization = False
        self._counter = itertools.count()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-hub", daemon=True
        )

    @property
    def endpoint(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeHubServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # What tests look at.

    def fail(self, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend(faults)

    def repo(self, repo_type: str, repo_id: str) -> Repo:
        with self._lock:
            return self.repos[(repo_type, repo_id)]

    def files(self, repo_type: str, repo_id: str, revision: str = "main") -> dict[str, bytes]:
        with self._lock:
            commit = self.repos[(repo_type, repo_id)].resolve(revision)
            if commit is None:
                raise KeyError(revision)
            return dict(commit.files)

    def commits(self, repo_type: str, repo_id: str) -> list[Commit]:
        """Commits of main, oldest first."""
        with self._lock:
            repo = self.repos[(repo_type, repo_id)]
            chain, oid = [], repo.branches["main"]
            while oid:
                chain.append(repo.commits[oid])
                oid = repo.commits[oid].parent
            return chain[::-1]

    # Request handling (called from the handler threads).

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.method == method and fault.path in path:
                    if fault.times <= 1:
                        del self._faults[index]
                    else:
                        self._faults[index] = replace(fault, times=fault.times - 1)
                    return fault
        return None

    def _authorized(self, headers: dict[str, str]) -> bool:
        return self.token is None or headers.get("authorization") == f"Bearer {self.token}"

    def _new_commit(self, repo: Repo, files: dict[str, bytes], summary: str, operations: tuple) -> Commit:
        parent = repo.branches.get("main")
        digest = hashlib.sha1(f"{parent}|{summary}|{next(self._counter)}".encode())
        for path in sorted(files):
            digest.update(path.encode() + b"\0" + git_blob_oid(files[path]).encode())
        commit = Commit(
            digest.hexdigest(), parent, summary, files, operations, datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        )
        repo.commits[commit.oid] = commit
        repo.branches["main"] = commit.oid
        return commit

    def create_repo(self, body: dict[str, Any]) -> dict[str, Any]:
        repo_type = body.get("type") or "model"
        repo_id = f"{body['organization']}/{body['name']}" if body.get("organization") else body["name"]
        with self._lock:
            if (repo_type, repo_id) in self.repos:
                raise HubError(409, "You already created this repo", url=self.repo_url(repo_type, repo_id))
            repo = Repo(repo_type, repo_id, private=body.get("visibility") == "private" or bool(body.get("private")))
            self._new_commit(repo, {".gitattributes": GITATTRIBUTES}, "initial commit", ())
            self.repos[(repo_type, repo_id)] = repo
        return {"url": self.repo_url(repo_type, repo_id), "name": repo_id}

    def repo_url(self, repo_type: str, repo_id: str) -> str:
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        return f"{self.endpoint}/{prefix}{repo_id}"

    def lookup(self, repo_type: str, repo_id: str, headers: dict[str, str]) -> Repo:
        with self._lock:
            repo = self.repos.get((repo_type, repo_id))
        if repo is None or (repo.private and not self._authorized(headers)):
            raise HubError(404, f"Repository {repo_id} not found", "RepoNotFound")
        return repo

    def revision(self, repo: Repo, revision: str) -> Commit:
        with self._lock:
            commit = repo.resolve(revision)
        if commit is None:
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return commit

    def preupload(self, repo: Repo, revision: str, body: dict[str, Any]) -> dict[str, Any]:
        files = self.revision(repo, revision).files
        return {
            "files": [
                {
                    "path": item["path"],
                    "uploadMode": "regular",
                    "shouldIgnore": False,
                    "oid": git_blob_oid(files[item["path"]]) if item["path"] in files else None,
                }
                for item in body["files"]
            ]
        }

    def commit(self, repo: Repo, revision: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
        if not lines or lines[0].get("key") != "header":
            raise HubError(400, "the commit payload must start with a header line")
        header = lines[0]["value"]
        operations = []
        with self._lock:
            if revision not in repo.branches:
                raise HubError(400, f"can only commit to a branch, not {revision!r}")
            if header.get("parentCommit") and not repo.branches[revision].startswith(header["parentCommit"]):
                raise HubError(412, "parent commit is not the head of the branch")
            files = dict(repo.commits[repo.branches[revision]].files)
            for line in lines[1:]:
                key, value = line.get("key"), line.get("value") or {}
                path = value.get("path", "")
                if key == "file":
                    files[path] = base64.b64decode(value["content"])
                    operations.append({"op": "add", "path": path, "content": files[path]})
                elif key == "deletedFile":
                    if path not in files:
                        raise HubError(404, f"{path} does not exist", "EntryNotFound")
                    del files[path]
                    operations.append({"op": "delete", "path": path})
                elif key == "deletedFolder":
                    prefix = path.rstrip("/") + "/"
                    for name in [name for name in files if name.startswith(prefix)]:
                        del files[name]
                    operations.append({"op": "delete_folder", "path": path})
                else:
                    raise HubError(400, f"the fake Hub does not support {key!r} operations (LFS, copies)")
            commit = self._new_commit(repo, files, header.get("summary", ""), tuple(operations))
        oid = commit.parent if self.answer_stale_commit and commit.parent else commit.oid
        return {"commitUrl": f"{self.repo_url(repo.repo_type, repo.repo_id)}/commit/{oid}",
                "commitOid": oid, "success": True, "pullRequestUrl": None}  # fmt: skip

    def tag(self, repo: Repo, revision: str, body: dict[str, Any]) -> dict[str, Any]:
        commit = self.revision(repo, revision)
        with self._lock:
            if body["tag"] in repo.tags:
                raise HubError(409, f"tag {body['tag']} already exists")
            repo.tags[body["tag"]] = commit.oid
        return {}

    def info(self, repo: Repo, revision: str) -> dict[str, Any]:
        commit = self.revision(repo, revision)
        return {
            "id": repo.repo_id,
            "sha": commit.oid,
            "private": repo.private,
            "lastModified": commit.created_at,
            "siblings": [{"rfilename": path} for path in sorted(commit.files)],
            "tags": [],
        }

    def tree(self, repo: Repo, revision: str, path: str, recursive: bool) -> list[dict[str, Any]]:
        files = self.revision(repo, revision).files
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        entries: dict[str, dict[str, Any]] = {}
        for name, content in files.items():
            if not name.startswith(prefix):
                continue
            parts = name[len(prefix) :].split("/")
            for depth in range(1, len(parts)):
                folder = prefix + "/".join(parts[:depth])
                if recursive or depth == 1:
                    entries.setdefault(folder, {"type": "directory", "path": folder, "size": 0,
                                                "oid": hashlib.sha1(folder.encode()).hexdigest()})  # fmt: skip
            if recursive or len(parts) == 1:
                entries[name] = {"type": "file", "path": name, "size": len(content), "oid": git_blob_oid(content)}
        if prefix and not entries:
            raise HubError(404, f"{path} does not exist", "EntryNotFound")
        return [entries[name] for name in sorted(entries)]

    def refs(self, repo: Repo) -> dict[str, Any]:
        def listing(names: dict[str, str], kind: str) -> list[dict[str, str]]:
            return [{"name": n, "ref": f"refs/{kind}/{n}", "targetCommit": o} for n, o in sorted(names.items())]

        with self._lock:
            return {"branches": listing(repo.branches, "heads"), "tags": listing(repo.tags, "tags"),
                    "converts": [], "pullRequests": []}  # fmt: skip


def _handler_for(hub: FakeHubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
            pass

        def do_GET(self) -> None:
            self._handle("GET")

        def do_HEAD(self) -> None:
            self._handle("HEAD")

        def do_POST(self) -> None:
            self._handle("POST")

        def _handle(self, method: str) -> None:
            url = urlsplit(self.path)
            headers = {name.lower(): value for name, value in self.headers.items()}
            request = Request(method, url.path, headers)
            with hub._lock:
                hub.log.append(request)
            length = int(headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            fault = hub._take_fault(method, url.path)
            if fault is not None and fault.drop:
                request.status = 0
                self.close_connection = True
                return
            try:
                if fault is not None and not fault.apply_first:
                    raise HubError(fault.status, "scripted failure")
                status, payload, extra = self._route(method, url.path, parse_qs(url.query), headers, body)
                if fault is not None:  # applied, then the answer is lost
                    raise HubError(fault.status, "scripted failure after the request took effect")
            except HubError as error:
                if hub.echo_authorization:
                    error = HubError(error.status, f"{error} (request Authorization: {headers.get('authorization')})", error.error_code)
                status, extra = error.status, {"X-Error-Message": str(error)}
                if error.error_code:
                    extra["X-Error-Code"] = error.error_code
                if fault is not None and fault.retry_after:
                    extra["Retry-After"] = fault.retry_after
                payload = json.dumps(error.body).encode()
            request.status = status
            self._send(status, payload, extra, head=method == "HEAD")

        def _route(self, method: str, path: str, query: dict, headers: dict, body: bytes):
            parts = [unquote(part) for part in path.strip("/").split("/")]
            is_write = method == "POST" and path != "/api/validate-yaml"
            if is_write and not hub._authorized(headers):
                raise HubError(401, "Invalid credentials in Authorization header")
            if path == "/api/repos/create":
                return 200, json.dumps(hub.create_repo(json.loads(body))).encode(), {}
            if path == "/api/validate-yaml":
                return self._validate_yaml(json.loads(body))
            if len(parts) >= 4 and parts[0] == "api" and parts[1].rstrip("s") in REPO_TYPES:
                repo = hub.lookup(parts[1][:-1], f"{parts[2]}/{parts[3]}", headers)
                action, rest = (parts[4], parts[5:]) if len(parts) > 4 else ("", [])
                if method == "GET" and action == "":
                    return self._json(hub.info(repo, "main"))
                if method == "GET" and action == "revision":
                    return self._json(hub.info(repo, rest[0]))
                if method == "GET" and action == "tree":
                    recursive = query.get("recursive", ["false"])[0].lower() == "true"
                    return self._json(hub.tree(repo, rest[0], "/".join(rest[1:]), recursive))
                if method == "GET" and action == "refs":
                    return self._json(hub.refs(repo))
                if method == "POST" and action == "preupload":
                    return self._json(hub.preupload(repo, rest[0], json.loads(body)))
                if method == "POST" and action == "commit":
                    lines = [json.loads(line) for line in body.splitlines() if line.strip()]
                    return self._json(hub.commit(repo, rest[0], lines))
                if method == "POST" and action == "tag":
                    return self._json(hub.tag(repo, rest[0], json.loads(body)))
            if method in ("GET", "HEAD") and "resolve" in parts:
                return self._resolve(parts, headers)
            raise HubError(404, f"no route {method} {path}")

        def _resolve(self, parts: list[str], headers: dict):
            at = parts.index("resolve")
            repo_type = parts[0][:-1] if at == 3 else "model"
            repo = hub.lookup(repo_type, "/".join(parts[at - 2 : at]), headers)
            commit = hub.revision(repo, parts[at + 1])
            name = "/".join(parts[at + 2 :])
            if name not in commit.files:
                raise HubError(404, f"{name} does not exist", "EntryNotFound")
            content = commit.files[name]
            return 200, content, {"X-Repo-Commit": commit.oid, "ETag": f'"{git_blob_oid(content)}"',
                                  "Content-Type": "application/octet-stream"}  # fmt: skip

        def _validate_yaml(self, body: dict[str, Any]):
            import yaml

            content = body.get("content", "")
            errors = []
            if content.startswith("---\n"):
                try:
                    front = yaml.safe_load(content[4:].split("\n---\n", 1)[0])
                    if not isinstance(front, dict):
                        errors.append({"message": "the metadata must be a mapping"})
                except yaml.YAMLError as error:
                    errors.append({"message": f"invalid YAML: {error}"})
            if errors:
                return 400, json.dumps({"errors": errors, "warnings": []}).encode(), {}
            return self._json({"errors": [], "warnings": []})

        @staticmethod
        def _json(value: Any):
            return 200, json.dumps(value).encode(), {"Content-Type": "application/json"}

        def _send(self, status: int, payload: bytes, headers: dict[str, str], head: bool = False) -> None:
            self.send_response(status)
            headers = {"Content-Type": "application/json", **headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if not head:
                self.wfile.write(payload)

    return Handler
