"""What is published: one `datasets` config per mart, split by user or not."""

from __future__ import annotations

from dataclasses import dataclass

SPLITS = ("train", "validation", "test")
# Tables not tied to one user have no user split. `datasets` and the Hub treat a config with one
# split named "train" as the plain single-split case; the card says it holds every row.
WHOLE_TABLE_SPLIT = "train"
USER_COLUMN = "user_id"


@dataclass(frozen=True)
class ReleaseConfig:
    """One config of the published dataset: the mart it comes from and how it is split."""

    name: str
    table: str
    per_user: bool
    summary: str

    @property
    def data_dir(self) -> str:
        return f"data/{self.name}"


CONFIGS: tuple[ReleaseConfig, ...] = (
    ReleaseConfig(
        "stage1_attributes",
        "stage1_attributes",
        True,
        "Stage 1: attributes extracted from each user's conversations, with the human judgments "
        "of whether each is supported (accepted / uncertain / rejected, failure category).",
    ),
    ReleaseConfig(
        "stage2_relevance",
        "stage2_relevance",
        True,
        "Stage 2: (user, attribute, prompt) triples with human and LLM relevance judgments and "
        "the human consensus.",
    ),
    ReleaseConfig(
        "stage3_preferences",
        "stage3_preferences",
        True,
        "Stage 3: generic versus personalized responses to a prompt for a user, with human and "
        "LLM preference ratings.",
    ),
    ReleaseConfig(
        "conversations",
        "conversations",
        True,
        "The users' scrubbed conversation histories the attributes were extracted from.",
    ),
    ReleaseConfig("users", "users", True, "One row per user, with counts of their data."),
    ReleaseConfig(
        "prompts",
        "prompts",
        False,
        "The new prompts of stages 2 and 3 (from LIMA); not tied to a user, one split.",
    ),
    ReleaseConfig(
        "metrics",
        "metrics",
        False,
        "Agreement and quality metrics recomputed from this release, in long format; one split.",
    ),
)
