"""`dbt build` in the Dagster step's own process, through dbtRunner (dbt's programmatic entry).

A dbt subprocess imports dbt and loads the project before its first model: about 3 CPU-s, paid by
each of the two steps that build models in every run. In the step's process dbt is imported once,
and the Dagster events are dagster-dbt's own, made from the structured events dbt fires. dbtRunner
runs one invocation at a time in a process, as a run's steps do (the in-process executor).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtProject
from dagster_dbt.asset_utils import (
    get_manifest_and_translator_from_dbt_assets,
    get_updated_cli_invocation_params_for_context,
)
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

from pipelines.defs.models.project import (
    base_target_path,
    invoke_dbt,
    parsed_manifest,
    seed_partial_parse,
)

# The events that carry a node's result, which dagster-dbt turns into outputs and check results.
_RESULT_EVENTS = frozenset(
    {"LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult"}
)


class DbtBuild:
    """One dbt invocation for an asset step: its own target folder, the project as parsed (dbt
    parses again only when that parse does not fit the warehouse, from the partial-parse state
    the folder is seeded with) and the dbt result events it fired."""

    def __init__(self, context: dg.AssetExecutionContext, project: DbtProject) -> None:
        self.context = context
        self.project = project
        step = context.op_execution_context.op.name
        self.target_path = base_target_path(project) / (
            f"{step}-{context.run.run_id[:7]}-{uuid.uuid4().hex[:7]}"
        )
        self._raw_events: list[dict[str, Any]] = []

    def _collect(self, event: Any) -> None:
        from dbt_common.events.functions import msg_to_dict

        if event.info.name in _RESULT_EVENTS:
            self._raw_events.append(msg_to_dict(event))

    def run(self, args: Sequence[str]) -> list[Any]:
        """`dbt <args>` on the models the step selected; the Dagster events of its results.
        Raises DagsterDbtCliRuntimeError, with the errors dbt logged, when the invocation fails."""
        manifest, translator, _ = get_manifest_and_translator_from_dbt_assets(
            [self.context.assets_def]
        )
        params = get_updated_cli_invocation_params_for_context(
            context=self.context, manifest=manifest, dagster_dbt_translator=translator
        )
        project_dir = Path((params.dbt_project or self.project).project_dir)
        self.target_path.mkdir(parents=True)
        manifest = parsed_manifest(self.project)
        if manifest is None:  # dbt parses: from the last build's state, if it fits
            seed_partial_parse(self.target_path, base_target_path(self.project))
        indirect = params.indirect_selection
        argv = [
            *args,
            *params.selection_args,
            *(["--indirect-selection", indirect] if indirect else []),
        ]
        self.context.log.info(f"dbt {' '.join(argv)}")
        invocation = invoke_dbt(
            argv,
            self.project,
            self.target_path,
            [self._collect],
            project_dir,
            manifest,
        )
        if error := invocation.error():
            raise error
        return [
            dagster_event
            for raw in self._raw_events
            for dagster_event in DbtCoreCliEventMessage(
                raw_event=raw, event_history_metadata={}
            ).to_default_asset_events(
                manifest=params.manifest,
                dagster_dbt_translator=params.dagster_dbt_translator,
                context=self.context,
                target_path=self.target_path,
                project=params.dbt_project,
            )
        ]
