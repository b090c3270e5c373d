"""A seeded generator of raw drops shaped like the study, with planted personal data.

The output is a drop folder in the raw-data contract (`pipelines.contract`): one JSONL file per
export and a `manifest.json`. It is byte-identical for the same arguments, and it is streamed:
records are written user by user as they are made, so a drop of 500k conversations needs no more
memory than one of 550. Beside the drop it can write the ground truth a scrubber is scored on:
every planted personal value (and every decoy that is not personal data) with its table, key,
field and character offsets (Python string indexes).

The labels follow a latent model tuned so the study's headline figures come out of the sample:
stage 2 draws one relevance per item that every judge sees through its own noise (LLM judges also
share a bias humans lack), stage 3 one quality per item that LLM judges see only faintly.

This module runs a drop user by user; the parts live beside it: `plan` (the configuration and the
users), `output` (the export files and the ground truth), `persona`, `conversations`, `stage1`
(attributes and their labels), `stage2` and `stage3`. Each user draws from their own seeded
random stream, in one fixed order, so a drop's bytes depend only on its arguments.
"""

from __future__ import annotations

import json
import random
from contextlib import ExitStack
from dataclasses import dataclass, field

from pipelines.sample import content as text
from pipelines.sample.conversations import write_conversations
from pipelines.sample.fakes import hex_id
from pipelines.sample.output import Drop, Ledger, Sink, iso
from pipelines.sample.persona import make_persona
from pipelines.sample.plan import (
    BUNDLED_SEED,
    CREATED_AT,
    HUMAN_ANNOTATORS,
    JUDGES_PER_ITEM,
    SHARED_TABLES,
    STAGE2_ITEMS_PER_STUDY_USER,
    STAGE3_ITEMS_PER_STUDY_USER,
    SampleConfig,
    UserPlan,
    plan_users,
    quota,
)
from pipelines.sample.stage1 import write_attributes, write_stage1
from pipelines.sample.stage2 import write_stage2
from pipelines.sample.stage3 import write_stage3

__all__ = [
    "BUNDLED_SEED",
    "CREATED_AT",
    "GenerationReport",
    "SampleConfig",
    "UserPlan",
    "generate",
    "plan_users",
]


@dataclass
class GenerationReport:
    records: dict[str, int] = field(default_factory=dict)
    entities: int = 0
    decoys: int = 0


def generate(config: SampleConfig) -> GenerationReport:
    """Write one drop folder (and the PII ground truth if asked); returns what was written."""
    return _Generator(config).run()


class _Generator:
    def __init__(self, config: SampleConfig):
        self.config = config
        self.seed = config.seed
        self.plans = plan_users(config)
        self.study_users = [p.index for p in self.plans if p.in_study]
        self.width = max(3, len(str(config.first_user + len(self.plans) - 1)))
        rng = random.Random(f"{self.seed}:annotators")
        names = rng.sample(text.CROWD_FIRST_NAMES, HUMAN_ANNOTATORS)
        self.humans = sorted((hex_id(rng, 24), name) for name in names)  # (platform id, first name)
        self.llms = [f"llm:{model}" for model in text.LLM_JUDGES]
        self.n_stage2 = config.stage2_items
        if self.n_stage2 is None:
            self.n_stage2 = STAGE2_ITEMS_PER_STUDY_USER * len(self.study_users)
        self.n_stage3 = config.stage3_items
        self.stage2_written = 0
        if self.n_stage3 is None:
            self.n_stage3 = STAGE3_ITEMS_PER_STUDY_USER * len(self.study_users)

    def run(self) -> GenerationReport:
        folder = self.config.out
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.jsonl*"):
            stale.unlink()
        with ExitStack() as stack:
            skip = () if self.config.shared_tables else SHARED_TABLES
            sink = Sink(stack, folder, self.config.gzip, skip)
            ledger = Ledger(stack, self.config.pii_manifest)
            self.drop = Drop(sink, ledger, self.seed, self.width, self.humans, self.llms)
            self._annotators()
            self._prompts()
            study_position = 0
            for plan in self.plans:
                self._user(plan, study_position)
                study_position += plan.in_study
        ledger.finish()
        manifest = {
            "drop_id": folder.name,
            "created_at": iso(CREATED_AT),
            "description": (
                f"Generated sample (seed {self.seed}): {len(self.plans)} users, "
                f"{self.config.conversations} conversations, planted personal data."
            ),
            "producer": "pipelines.sample",
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        return GenerationReport(dict(sink.counts), ledger.entities, ledger.decoys)

    # -- shared tables -------------------------------------------------------------------------

    def _annotators(self) -> None:
        rows = [
            {"annotator_id": pid, "kind": "human", "platform": "prolific", "display_name": name}
            for pid, name in self.humans
        ] + [
            {"annotator_id": judge, "kind": "llm", "model_name": judge.removeprefix("llm:")}
            for judge in self.llms
        ]
        for row in sorted(rows, key=lambda r: r["annotator_id"]):
            self.drop.sink.write("annotators", row)

    def _prompts(self) -> None:
        rng = random.Random(f"{self.seed}:prompts")
        lima_numbers = sorted(rng.sample(range(1, 1031), len(text.PROMPTS)))
        for number, (prompt, _topic, _answer) in enumerate(text.PROMPTS, start=1):
            self.drop.sink.write(
                "prompts",
                {
                    "prompt_id": f"prompt_{number:03d}",
                    "prompt_text": prompt,
                    "source": "lima",
                    "source_id": f"lima_{lima_numbers[number - 1]}",
                },
            )

    # -- one user ------------------------------------------------------------------------------

    def _user(self, plan: UserPlan, study_position: int) -> None:
        rng = random.Random(f"{self.seed}:user:{plan.index}")
        persona = make_persona(self.seed, rng, plan)
        conversations = write_conversations(self.drop, rng, plan, persona)
        if not plan.in_study:
            return
        attributes = write_attributes(self.drop, rng, plan, persona, conversations)
        stage1_judges = sorted(rng.sample(self.humans, JUDGES_PER_ITEM))
        write_stage1(self.drop, rng, plan, persona, attributes, stage1_judges)
        n_prompts = self._stage2_prompts(len(attributes), study_position)
        write_stage2(self.drop, rng, persona, attributes, n_prompts)
        items = quota(self.n_stage3, len(self.study_users), study_position)
        write_stage3(self.drop, rng, plan, persona, attributes, items)

    def _stage2_prompts(self, n_attributes: int, study_position: int) -> int:
        """Whole prompts per user (every attribute of the profile is judged against a prompt), as
        many as keep the running total of stage-2 items on target."""
        target = self.n_stage2 * (study_position + 1) // len(self.study_users)
        wanted = (target - self.stage2_written) / max(1, n_attributes)
        n_prompts = min(len(text.PROMPTS), max(1, round(wanted)))
        self.stage2_written += n_prompts * n_attributes
        return n_prompts
