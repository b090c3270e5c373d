"""Cut a release from the warehouse and publish it to a target, or show what it would change."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.release.build import ReleaseOptions, ReleasePlan, plan_release
from pipelines.release.card import load_metadata
from pipelines.release.targets import HubTarget, LocalGitTarget, ReleaseTarget
from pipelines.release.validation import validate_published

# The study's main table, which the load examples name.
EXAMPLE_CONFIG = load_metadata()["default_config"]


@dataclass
class PublishResult:
    plan: ReleasePlan
    location: str
    version: str
    published: bool
    commit: str | None
    load_command: str

    def summary(self) -> str:
        state = "published" if self.published else "unchanged" if self.plan.is_noop else "dry run"
        return "\n".join(
            [
                self.plan.describe(),
                f"Release v{self.version} ({state}) at {self.location}",
                f"Load it with: {self.load_command}",
            ]
        )


def load_command(target: ReleaseTarget, version: str, config: str = EXAMPLE_CONFIG) -> str:
    """What a researcher types to load `config` of release `version` from this target."""
    if isinstance(target, HubTarget):
        return f'datasets.load_dataset("{target.repo_id}", "{config}", revision="v{version}")'
    return (
        f"python -m pipelines.release load --repo {target.location()} "
        f"--version v{version} --config {config}"
    )


def default_options(target: ReleaseTarget) -> ReleaseOptions:
    """The card's Hub id and URL: the target's when it is the Hub, else the intended public id."""
    if isinstance(target, HubTarget):
        repo_id, url = target.repo_id, target.location()
    else:
        repo_id = load_metadata()["hub_id"]
        url = f"https://huggingface.co/datasets/{repo_id}"
    return ReleaseOptions(
        repo_id=repo_id,
        repo_url=url,
        date=datetime.now(UTC).date().isoformat(),
        files_on_hub=isinstance(target, HubTarget),
    )


def publish_release(
    conn: duckdb.DuckDBPyConnection,
    target: ReleaseTarget,
    options: ReleaseOptions | None = None,
    *,
    dry_run: bool = False,
    workdir: Path | None = None,
) -> PublishResult:
    """Stage the release against the target's latest one, validate the staged files with the
    `published.*` suites (raising ValidationFailed: nothing is published), and publish unless
    unchanged or dry run. A local repo's working tree is first brought to its latest release."""
    if isinstance(target, LocalGitTarget):
        target.check_out_latest()
    options = options or default_options(target)
    latest = target.latest_version()
    with tempfile.TemporaryDirectory(prefix="release-", dir=workdir) as tmp:
        previous = None
        if latest:
            previous = Path(tmp) / "previous"
            target.fetch(latest, previous)
        staging = Path(tmp) / "staging"
        staging.mkdir()
        plan = plan_release(conn, staging, previous, options)
        commit = None
        if not plan.is_noop:
            # The gate: the published suites run on exactly the files that would be published.
            validate_published(staging, conn, scan=None if options.full else set(plan.written))
        if not plan.is_noop and not dry_run:
            message = f"Release v{plan.version}\n\n{plan.describe()}"
            commit = target.publish(staging, plan.version, message)
    version = plan.version or latest
    return PublishResult(
        plan=plan,
        location=target.location(),
        version=version,
        published=commit is not None,
        commit=commit,
        load_command=load_command(target, version),
    )


def make_target(
    local_dir: Path,
    hub_repo_id: str | None,
    hub_token: str | None,
    hub_private: bool,
    hub_endpoint: str,
) -> ReleaseTarget:
    if hub_repo_id:
        return HubTarget(hub_repo_id, hub_token, hub_private, hub_endpoint)
    return LocalGitTarget(local_dir)
