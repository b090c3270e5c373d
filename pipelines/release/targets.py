"""Where releases go: a local git dataset repo (the default) or a Hub dataset repo.

Both publish a staged release folder as one commit whose tree is exactly that folder, tagged
vX.Y.Z, and both read a past release back (its manifest, split assignment and files) so that
versions, splits and changelogs continue from what was actually published.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar

import httpx
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
from huggingface_hub.errors import HfHubHTTPError

from pipelines.release import versioning

log = logging.getLogger(__name__)

RELEASE_AUTHOR = ("pipelines release", "release@pipelines.invalid")
_T = TypeVar("_T")


class ReleaseTarget(Protocol):
    def location(self) -> str: ...

    def latest_version(self) -> str | None: ...

    def fetch(self, version: str, into: Path) -> None: ...

    def publish(self, staging: Path, version: str, message: str) -> str: ...


class GitError(RuntimeError):
    pass


class LocalGitTarget:
    """A folder that is a git repository; a release is one commit on `main` and an annotated tag.

    The commit is built from the staged folder with a private index, then `main` and the tag are
    moved in one ref transaction, so a failed release leaves the repository as it was. The
    working tree is then checked out to the new release; a run stopped before that leaves it at
    the release before, and `check_out_latest`, which every release run calls first, finishes the
    checkout. Git runs with a fixed identity and without the user's or system's git configuration.
    """

    branch = "main"

    def __init__(self, path: Path):
        self.path = Path(path)

    def location(self) -> str:
        return str(self.path)

    def _env(self, **extra: str) -> dict[str, str]:
        name, email = RELEASE_AUTHOR
        return {
            **os.environ,
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            **extra,
        }

    def _argv(self, *args: str) -> list[str]:
        return ["git", f"--git-dir={self.path / '.git'}", *args]

    def _failed(self, command: str, returncode: int, stderr: bytes) -> GitError:
        return GitError(
            f"git {command} failed in {self.path} (exit {returncode}): "
            f"{stderr.decode(errors='replace').strip()}"
        )

    def git(self, *args: str, stdin: bytes | None = None, **env: str) -> bytes:
        result = subprocess.run(
            self._argv(*args),
            input=stdin,
            capture_output=True,
            env=self._env(**env),
            cwd=self.path,
            check=False,
        )
        if result.returncode != 0:
            raise self._failed(args[0], result.returncode, result.stderr)
        return result.stdout

    def ensure(self) -> None:
        if (self.path / ".git").is_dir():
            return
        if self.path.exists() and any(self.path.iterdir()):
            raise GitError(f"{self.path} exists, is not empty and is not a git repository")
        self.path.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "init", "--quiet", f"--initial-branch={self.branch}", str(self.path)],
            env=self._env(),
            check=True,
            capture_output=True,
        )

    def tags(self) -> list[str]:
        if not (self.path / ".git").is_dir():
            return []
        return self.git("tag", "--list", "v*").decode().split()

    def latest_version(self) -> str | None:
        return versioning.latest(self.tags())

    def fetch(self, version: str, into: Path) -> None:
        """Extract the tree of release `version` into a folder (no checkout, no state change).

        The archive is read from git's output as a stream, member by member, so memory does not
        grow with the size of the release.
        """
        with (
            tempfile.TemporaryFile() as errors,
            subprocess.Popen(
                self._argv("archive", "--format=tar", versioning.tag(version)),
                stdout=subprocess.PIPE,
                stderr=errors,
                env=self._env(),
                cwd=self.path,
            ) as archive,
        ):
            try:
                with tarfile.open(fileobj=archive.stdout, mode="r|") as tar:
                    tar.extractall(into, filter="data")
            except tarfile.ReadError:
                if archive.wait() == 0:
                    raise
                # else git failed before writing a whole tar: its exit status and message say why
            finally:
                archive.stdout.close()
            if archive.wait() != 0:
                errors.seek(0)
                raise self._failed("archive", archive.returncode, errors.read())

    def _head(self) -> str | None:
        try:
            return (
                self.git("rev-parse", "--verify", "--quiet", f"refs/heads/{self.branch}")
                .decode()
                .strip()
            )
        except GitError:
            return None

    def _check_out(self, tag: str) -> None:
        """The working tree (and `main`) exactly at the release `tag`: no file of another."""
        self.git(f"--work-tree={self.path}", "reset", "--hard", "--quiet", tag)
        self.git(f"--work-tree={self.path}", "clean", "-d", "--force", "--quiet")

    def check_out_latest(self) -> None:
        """Bring the working tree to the latest release if it is not there (a run stopped between
        tagging and checking out)."""
        latest = self.latest_version()
        if latest is None:
            return
        tag = versioning.tag(latest)
        tagged = self.git("rev-parse", "--verify", "--quiet", f"{tag}^{{commit}}").decode().strip()
        changed = self.git(
            f"--work-tree={self.path}", "status", "--porcelain", "--untracked-files=all"
        ).strip()
        if self._head() == tagged and not changed:
            return
        log.warning("%s: the working tree was not at %s; checked it out", self.path, tag)
        self._check_out(tag)

    def publish(self, staging: Path, version: str, message: str) -> str:
        self.ensure()
        tag = versioning.tag(version)
        if tag in self.tags():
            raise GitError(f"{self.path} already has the tag {tag}")
        index = self.path / ".git" / "release-index"
        index.unlink(missing_ok=True)
        try:
            self.git(f"--work-tree={staging}", "add", "--all", ".", GIT_INDEX_FILE=str(index))
            tree = self.git("write-tree", GIT_INDEX_FILE=str(index)).decode().strip()
        finally:
            index.unlink(missing_ok=True)
        parent = self._head()
        commit = (
            self.git("commit-tree", tree, *(["-p", parent] if parent else []), "-m", message)
            .decode()
            .strip()
        )
        name, email = RELEASE_AUTHOR
        tag_object = (
            self.git(
                "mktag",
                stdin=(
                    f"object {commit}\ntype commit\ntag {tag}\n"
                    f"tagger {name} <{email}> {int(time.time())} +0000\n\n{message}\n"
                ).encode(),
            )
            .decode()
            .strip()
        )
        self.git(
            "update-ref",
            "--stdin",
            stdin=(
                "start\n"
                f"update refs/heads/{self.branch} {commit} {parent or '0' * 40}\n"
                f"create refs/tags/{tag} {tag_object}\n"
                "prepare\ncommit\n"
            ).encode(),
        )
        self._check_out(tag)
        return commit


def _transient(error: Exception) -> bool:
    if isinstance(error, HfHubHTTPError):
        response = error.response
        return response is None or response.status_code >= 500 or response.status_code == 429
    return isinstance(error, httpx.TransportError)


def with_retry(call: Callable[[], _T], what: str, attempts: int = 5, base_delay: float = 1.0) -> _T:
    """Retry a Hub call on server errors and dropped connections, with exponential backoff."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Exception as error:
            if attempt == attempts or not _transient(error):
                raise
            delay = base_delay * 2 ** (attempt - 1)
            log.warning(
                "%s failed (%s); retry %d/%d in %.0fs",
                what,
                type(error).__name__,
                attempt,
                attempts - 1,
                delay,
            )
            time.sleep(delay)
    raise AssertionError("unreachable")


class HubTarget:
    """A dataset repo on the Hugging Face Hub: one commit with every file, then a tag.

    The commit names its parent, so a concurrent writer makes it fail instead of being
    overwritten; files of the previous release that the new one lacks are deleted in the same
    commit.
    """

    repo_type = "dataset"
    branch = "main"

    def __init__(
        self,
        repo_id: str,
        token: str | None,
        private: bool,
        endpoint: str,
        retry_delay: float = 1.0,
    ):
        self.repo_id = repo_id
        self.private = private
        self.endpoint = endpoint
        self.api = HfApi(endpoint=endpoint, token=token)
        self.retry_delay = retry_delay

    def _call(self, what: str, call: Callable[[], _T]) -> _T:
        return with_retry(call, f"{what} ({self.repo_id})", base_delay=self.retry_delay)

    def location(self) -> str:
        return f"{self.endpoint}/datasets/{self.repo_id}"

    def ensure(self) -> None:
        self._call(
            "create_repo",
            lambda: self.api.create_repo(
                self.repo_id, repo_type=self.repo_type, private=self.private, exist_ok=True
            ),
        )

    def latest_version(self) -> str | None:
        self.ensure()
        refs = self._call(
            "list_repo_refs",
            lambda: self.api.list_repo_refs(self.repo_id, repo_type=self.repo_type),
        )
        return versioning.latest([t.name for t in refs.tags])

    def fetch(self, version: str, into: Path) -> None:
        self._call(
            "snapshot_download",
            lambda: self.api.snapshot_download(
                self.repo_id,
                repo_type=self.repo_type,
                revision=versioning.tag(version),
                local_dir=into,
            ),
        )

    def publish(self, staging: Path, version: str, message: str) -> str:
        self.ensure()
        info = self._call(
            "repo_info",
            lambda: self.api.repo_info(
                self.repo_id, repo_type=self.repo_type, revision=self.branch
            ),
        )
        published = set(
            self._call(
                "list_repo_files",
                lambda: self.api.list_repo_files(
                    self.repo_id, repo_type=self.repo_type, revision=self.branch
                ),
            )
        )
        staged = sorted(
            p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()
        )
        additions = [CommitOperationAdd(path, staging / path) for path in staged]
        deletions = [CommitOperationDelete(path) for path in sorted(published - set(staged))]
        self._call(
            "preupload_lfs_files",
            lambda: self.api.preupload_lfs_files(self.repo_id, additions, repo_type=self.repo_type),
        )
        commit = self._call(
            "create_commit",
            lambda: self.api.create_commit(
                self.repo_id,
                [*additions, *deletions],
                commit_message=message.splitlines()[0],
                commit_description="\n".join(message.splitlines()[1:]).strip(),
                repo_type=self.repo_type,
                revision=self.branch,
                parent_commit=info.sha,
            ),
        )
        self._call(
            "create_tag",
            lambda: self.api.create_tag(
                self.repo_id,
                tag=versioning.tag(version),
                tag_message=message.splitlines()[0],
                revision=commit.oid,
                repo_type=self.repo_type,
            ),
        )
        return commit.oid
