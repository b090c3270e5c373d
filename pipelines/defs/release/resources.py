"""Where releases are published: the local dataset repo, or the Hub when a repo id is set."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines import settings
from pipelines.release.publish import make_target
from pipelines.release.targets import ReleaseTarget


class ReleaseTargetResource(dg.ConfigurableResource):
    """A local git dataset repo by default; a Hub dataset repo when `hub_repo_id` is set."""

    local_dir: str
    hub_repo_id: str | None = None
    hub_token: str | None = None
    hub_private: bool = True
    hub_endpoint: str = settings.DEFAULT_HUB_ENDPOINT

    def target(self) -> ReleaseTarget:
        return make_target(
            Path(self.local_dir),
            self.hub_repo_id,
            self.hub_token,
            self.hub_private,
            self.hub_endpoint,
        )


def release_target() -> ReleaseTargetResource:
    """The target the environment names (see `settings`); the token only via dg.EnvVar."""
    hub_repo_id = settings.hub_repo_id()
    return ReleaseTargetResource(
        local_dir=str(settings.release_dir()),
        hub_repo_id=hub_repo_id,
        hub_token=dg.EnvVar("HF_TOKEN") if hub_repo_id else None,
        hub_private=settings.hub_private(),
        hub_endpoint=settings.hub_endpoint(),
    )
