"""A local stand-in for the part of the Hugging Face Hub API that huggingface_hub and datasets use.

It keeps dataset repos in memory as git-like histories (commits of path -> blob, branches and
tags) and serves, on 127.0.0.1 only: repo creation and info, refs, preupload, the LFS batch
protocol (basic transfer), NDJSON commits, tags, tree and paths-info listings, YAML validation and
`resolve` downloads by branch, tag or commit with the headers the client reads. Errors carry the
Hub's X-Error-Code so the client raises the same exceptions as against the real Hub. Writes need
the configured token; `fail_next` makes the next calls of an endpoint answer 503, to test retries.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from huggingface_hub import DatasetCard

GITATTRIBUTES = b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"


def git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class Blob:
    data: bytes
    lfs: bool

    def entry(self, path: str) -> dict:
        entry = {"type": "file", "path": path, "size": len(self.data), "oid": git_sha1(self.data)}
        if self.lfs:
            sha = hashlib.sha256(self.data).hexdigest()
            entry["lfs"] = {"oid": sha, "size": len(self.data), "pointerSize": 134}
        return entry


@dataclass
class Repo:
    repo_id: str
    private: bool
    commits: dict[str, dict[str, Blob]] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def resolve(self, revision: str) -> str | None:
        if revision in self.branches:
            return self.branches[revision]
        if revision in self.tags:
            return self.tags[revision]
        return revision if revision in self.commits else None

    def commit(self, files: dict[str, Blob], message: str) -> str:
        parent = self.branches.get("main", "")
        sha = hashlib.sha1(f"{parent}{message}{time.time_ns()}{sorted(files)}".encode()).hexdigest()
        self.commits[sha] = files
        self.branches["main"] = sha
        return sha


class HubError(Exception):
    def __init__(self, status: int, code: str | None, message: str, **body):
        super().__init__(message)
        self.status, self.code, self.message, self.body = status, code, message, body


class HubEmulator:
    def __init__(self, token: str):
        self.token = token
        self.repos: dict[str, Repo] = {}
        self.lfs: dict[str, bytes] = {}
        self.fail_next: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HubEmulator:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def _handler(self):
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self):
                self._dispatch("GET")

            def do_HEAD(self):
                self._dispatch("HEAD")

            def do_POST(self):
                self._dispatch("POST")

            def do_PUT(self):
                self._dispatch("PUT")

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _send(
                self,
                status: int,
                body: bytes = b"",
                headers: dict | None = None,
                ctype="application/json",
            ):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _dispatch(self, method: str):
                url = urlsplit(self.path)
                body = self._body() if method in ("POST", "PUT") else b""
                try:
                    with hub.lock:
                        status, payload, headers = hub.route(
                            method, url.path, parse_qs(url.query), body, self.headers
                        )
                except HubError as error:
                    headers = {"X-Error-Message": error.message}
                    if error.code:
                        headers["X-Error-Code"] = error.code
                    self._send(
                        error.status,
                        json.dumps({"error": error.message, **error.body}).encode(),
                        headers,
                    )
                    return
                if isinstance(payload, bytes):
                    self._send(status, payload, headers, ctype="application/octet-stream")
                else:
                    self._send(status, json.dumps(payload).encode(), headers)

        return Handler

    # -- routing -------------------------------------------------------------------------------

    def _authorized(self, headers) -> bool:
        return headers.get("authorization") == f"Bearer {self.token}"

    def _repo(self, repo_id: str, headers) -> Repo:
        repo = self.repos.get(repo_id)
        if repo is None or (repo.private and not self._authorized(headers)):
            raise HubError(404, "RepoNotFound", f"Repository {repo_id} not found")
        return repo

    def _revision(self, repo: Repo, revision: str) -> str:
        sha = repo.resolve(unquote(revision))
        if sha is None:
            raise HubError(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        return sha

    def _write(self, endpoint: str, headers) -> None:
        self.calls[endpoint] += 1
        if self.fail_next[endpoint]:
            self.fail_next[endpoint] -= 1
            raise HubError(503, None, "Service temporarily unavailable")
        if not self._authorized(headers):
            raise HubError(401, None, "Invalid credentials in Authorization header")

    def route(self, method, path, query, body, headers):
        parts = [p for p in path.split("/") if p]
        if parts[:3] == ["api", "repos", "create"]:
            return self.create_repo(json.loads(body), headers)
        if parts[:2] == ["api", "validate-yaml"]:
            return self.validate_yaml(json.loads(body))
        if parts[:2] == ["api", "datasets"] and len(parts) >= 4:
            repo_id, rest = f"{parts[2]}/{parts[3]}", parts[4:]
            return self.api(method, repo_id, rest, query, body, headers)
        if parts[:1] == ["datasets"] and len(parts) >= 4 and parts[2].endswith(".git"):
            return self.lfs_batch(f"{parts[1]}/{parts[2][:-4]}", json.loads(body), headers)
        if parts[:1] == ["datasets"] and len(parts) >= 6 and parts[3] == "resolve":
            return self.resolve(
                f"{parts[1]}/{parts[2]}", parts[4], "/".join(unquote(p) for p in parts[5:]), headers
            )
        if parts[:1] == ["lfs"] and method == "PUT":
            return self.lfs_upload(parts[1], body)
        if parts[:1] == ["lfs"] and method == "POST":
            return 200, {}, {}
        raise HubError(404, None, f"emulated Hub has no route {method} {path}")

    def api(self, method, repo_id, rest, query, body, headers):
        repo = self._repo(repo_id, headers)
        if not rest or rest[0] == "revision":
            sha = self._revision(repo, rest[1] if rest else "main")
            return (
                200,
                {
                    "id": repo_id,
                    "sha": sha,
                    "private": repo.private,
                    "siblings": [{"rfilename": p} for p in sorted(repo.commits[sha])],
                    "lastModified": "2026-01-01T00:00:00.000Z",
                    "tags": [],
                },
                {},
            )
        if rest[0] == "refs":
            return (
                200,
                {
                    "branches": [
                        {"name": n, "ref": f"refs/heads/{n}", "targetCommit": s}
                        for n, s in repo.branches.items()
                    ],
                    "tags": [
                        {"name": n, "ref": f"refs/tags/{n}", "targetCommit": s}
                        for n, s in repo.tags.items()
                    ],
                    "converts": [],
                },
                {},
            )
        if rest[0] == "preupload":
            self._write("preupload", headers)
            files = self._files(repo, rest[1])
            answer = []
            for item in json.loads(body)["files"]:
                lfs = item["path"].endswith(".parquet")
                existing = files.get(item["path"])
                oid = None
                if existing is not None:
                    oid = (
                        hashlib.sha256(existing.data).hexdigest()
                        if lfs
                        else git_sha1(existing.data)
                    )
                answer.append(
                    {
                        "path": item["path"],
                        "uploadMode": "lfs" if lfs else "regular",
                        "shouldIgnore": False,
                        "oid": oid,
                    }
                )
            return 200, {"files": answer}, {}
        if rest[0] == "commit":
            return self.commit(repo, rest[1], body, headers)
        if rest[0] == "tag":
            self._write("tag", headers)
            payload = json.loads(body)
            if payload["tag"] in repo.tags:
                raise HubError(409, None, f"Tag {payload['tag']} already exists")
            repo.tags[payload["tag"]] = self._revision(repo, rest[1])
            return 200, {}, {}
        if rest[0] == "tree":
            files = self._files(repo, rest[1])
            prefix = unquote("/".join(rest[2:])).strip("/")
            recursive = query.get("recursive", ["False"])[0].lower() == "true"
            return 200, self._tree(files, prefix, recursive), {}
        if rest[0] == "paths-info":
            files = self._files(repo, rest[1])
            form = parse_qs(body.decode())
            return (
                200,
                [self._info(files, p) for p in form.get("paths", []) if self._info(files, p)],
                {},
            )
        raise HubError(
            404,
            None,
            f"emulated Hub has no route {method} /api/datasets/{repo_id}/{'/'.join(rest)}",
        )

    def _files(self, repo: Repo, revision: str) -> dict[str, Blob]:
        return repo.commits[self._revision(repo, revision)]

    @staticmethod
    def _info(files: dict[str, Blob], path: str) -> dict | None:
        path = path.strip("/")
        if path in files:
            return files[path].entry(path)
        if any(p.startswith(path + "/") for p in files) or not path:
            return {"type": "directory", "path": path, "oid": git_sha1(path.encode())}
        return None

    def _tree(self, files: dict[str, Blob], prefix: str, recursive: bool) -> list[dict]:
        base = prefix + "/" if prefix else ""
        if prefix and not any(p.startswith(base) for p in files):
            raise HubError(404, "EntryNotFound", f"{prefix} does not exist")
        entries: dict[str, dict] = {}
        for path, blob in sorted(files.items()):
            if not path.startswith(base):
                continue
            parts = path[len(base) :].split("/")
            for depth in range(1, len(parts)):
                folder = base + "/".join(parts[:depth])
                if recursive or depth == 1:
                    entries.setdefault(
                        folder,
                        {"type": "directory", "path": folder, "oid": git_sha1(folder.encode())},
                    )
                if not recursive:
                    break
            if recursive or len(parts) == 1:
                entries[path] = blob.entry(path)
        return list(entries.values())

    def create_repo(self, payload, headers):
        self._write("create", headers)
        repo_id = f"{payload.get('organization') or 'user'}/{payload['name']}"
        if repo_id in self.repos:
            raise HubError(
                409,
                None,
                "You already created this dataset repo",
                url=f"{self.url}/datasets/{repo_id}",
            )
        repo = Repo(
            repo_id, private=payload.get("visibility") == "private" or bool(payload.get("private"))
        )
        repo.commit({".gitattributes": Blob(GITATTRIBUTES, lfs=False)}, "initial commit")
        self.repos[repo_id] = repo
        return 200, {"url": f"{self.url}/datasets/{repo_id}", "name": repo_id}, {}

    def validate_yaml(self, payload):
        try:
            DatasetCard(payload["content"])
        except Exception as error:  # the real Hub answers 400 with the parser's message
            return 400, {"errors": [{"message": str(error)}]}, {}
        return 200, {"errors": [], "warnings": []}, {}

    def lfs_batch(self, repo_id, payload, headers):
        self._write("lfs", headers)
        self._repo(repo_id, headers)
        objects = []
        for item in payload["objects"]:
            entry = {"oid": item["oid"], "size": item["size"]}
            if item["oid"] not in self.lfs:
                entry["actions"] = {
                    "upload": {"href": f"{self.url}/lfs/{item['oid']}"},
                    "verify": {"href": f"{self.url}/lfs/{item['oid']}/verify"},
                }
            objects.append(entry)
        return 200, {"transfer": "basic", "objects": objects}, {}

    def lfs_upload(self, oid, body):
        if hashlib.sha256(body).hexdigest() != oid:
            raise HubError(400, None, "LFS object does not match its oid")
        self.lfs[oid] = body
        return 200, {}, {}

    def commit(self, repo, revision, body, headers):
        self._write("commit", headers)
        if unquote(revision) != "main":
            raise HubError(400, None, "the emulated Hub commits to main only")
        lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        header = lines[0]["value"]
        head = repo.branches["main"]
        if header.get("parentCommit") and header["parentCommit"] != head:
            raise HubError(412, None, "A commit has happened since the parent commit")
        files = dict(repo.commits[head])
        for line in lines[1:]:
            key, value = line["key"], line["value"]
            if key == "file":
                files[value["path"]] = Blob(base64.b64decode(value["content"]), lfs=False)
            elif key == "lfsFile":
                if value["oid"] not in self.lfs:
                    raise HubError(400, None, f"LFS object {value['oid']} was never uploaded")
                files[value["path"]] = Blob(self.lfs[value["oid"]], lfs=True)
            elif key == "deletedFile":
                files.pop(value["path"])
            elif key == "deletedFolder":
                files = {
                    p: b
                    for p, b in files.items()
                    if not p.startswith(value["path"].rstrip("/") + "/")
                }
        sha = repo.commit(files, header["summary"])
        return (
            200,
            {
                "commitUrl": f"{self.url}/datasets/{repo.repo_id}/commit/{sha}",
                "commitOid": sha,
                "pullRequestUrl": None,
            },
            {},
        )

    def resolve(self, repo_id, revision, path, headers):
        repo = self._repo(repo_id, headers)
        sha = self._revision(repo, revision)
        blob = repo.commits[sha].get(path)
        if blob is None:
            raise HubError(404, "EntryNotFound", f"{path} does not exist at {revision}")
        entry = blob.entry(path)
        etag = entry["lfs"]["oid"] if blob.lfs else entry["oid"]
        answer = {"X-Repo-Commit": sha, "ETag": f'"{etag}"', "Accept-Ranges": "bytes"}
        if blob.lfs:
            answer["X-Linked-Etag"] = f'"{etag}"'
            answer["X-Linked-Size"] = str(len(blob.data))
        data = blob.data
        byte_range = headers.get("Range")
        if byte_range and byte_range.startswith("bytes="):
            start, _, end = byte_range[6:].partition("-")
            first = int(start) if start else max(len(data) - int(end), 0)
            last = int(end) if start and end else len(data) - 1
            answer["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
            return 206, data[first : last + 1], answer
        return 200, data, answer
