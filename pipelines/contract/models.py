"""The raw-data contract: one pydantic model per raw export file.

Every record of a drop is validated against these models at ingest; a record that fails lands in
the quarantine table with the file, line and field named. `docs/raw-data-contract.md` is the prose
version of this module, and `python -m pipelines contract-schemas` writes the JSON Schemas.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)

Identifier = Field(min_length=1, max_length=200, pattern=r"^[^\s]+$")

SourceKind = Literal["real", "synthetic"]
Role = Literal["user", "assistant", "system"]
AnnotatorKind = Literal["human", "llm"]
Stage1Label = Literal["accepted", "uncertain", "rejected"]
FailureCategory = Literal[
    "overgeneralization",
    "task_context_confusion",
    "unsupported_inference",
    "hallucination",
    "sensitive_inference",
    "outdated",
    "other",
]
# The annotation tool's graded relevance scale; `relevant` is the yes/no derived from it.
RelevanceRating = Literal[
    "necessary_explicit", "necessary_implicit", "optional", "unnecessary", "forbidden", "none"
]
PresentationOrder = Literal["generic_first", "personalized_first"]


class ContractModel(BaseModel):
    """Strict base: unknown fields and silent type coercion are errors, not surprises."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Turn(ContractModel):
    role: Role
    content: StrictStr
    language: StrictStr | None = None
    timestamp: datetime | None = None


class Conversation(ContractModel):
    """One conversation in the WildChat shape, from WildChat or tagged with its synthetic source."""

    conversation_id: StrictStr = Identifier
    source: StrictStr = Field(pattern=r"^[a-z0-9_\-]+$")
    source_kind: SourceKind
    user_id: StrictStr | None = Field(default=None, min_length=1, max_length=200)
    hashed_ip: StrictStr | None = Field(default=None, min_length=1, max_length=200)
    header: dict[str, StrictStr] | None = None
    country: StrictStr | None = None
    state: StrictStr | None = None
    timestamp: datetime | None = None
    model: StrictStr | None = None
    language: StrictStr | None = None
    toxic: StrictBool = False
    redacted: StrictBool = False
    turns: list[Turn] = Field(min_length=1)

    @model_validator(mode="after")
    def _has_user(self) -> Conversation:
        if self.user_id is None and self.hashed_ip is None:
            raise ValueError("needs user_id or hashed_ip to be grouped into a user history")
        return self

    @property
    def user_key(self) -> str:
        """The per-user history a conversation belongs to: `user_id`, else WildChat's hashed IP."""
        return self.user_id or self.hashed_ip  # type: ignore[return-value]


class Evidence(ContractModel):
    conversation_id: StrictStr
    turn_indexes: list[StrictInt]


class Attribute(ContractModel):
    """One statement about a user, extracted by a model from the user's conversations."""

    attribute_id: StrictStr = Identifier
    user_id: StrictStr = Identifier
    attribute: StrictStr = Field(min_length=1)
    extractor_model: StrictStr | None = None
    reason: StrictStr | None = None
    confidence: StrictFloat | None = Field(default=None, ge=0.0, le=1.0)
    evidence: list[Evidence] = []
    merged_from: list[StrictStr] = []


class Prompt(ContractModel):
    """A new prompt (LIMA-style) that stages 2 and 3 personalize for."""

    prompt_id: StrictStr = Identifier
    prompt_text: StrictStr = Field(min_length=1)
    source: StrictStr
    source_id: StrictStr | None = None


class Annotator(ContractModel):
    """A judge: a crowd worker (platform ID) or an LLM judge (model name)."""

    annotator_id: StrictStr = Identifier
    kind: AnnotatorKind
    platform: StrictStr | None = None
    display_name: StrictStr | None = None
    model_name: StrictStr | None = None

    @model_validator(mode="after")
    def _llm_has_model(self) -> Annotator:
        if self.kind == "llm" and not self.model_name:
            raise ValueError("an llm annotator needs model_name")
        if self.kind == "human" and self.model_name:
            raise ValueError("a human annotator has no model_name")
        return self


class Stage1Judgment(ContractModel):
    """Stage 1: is this extracted attribute supported and valid for this user?"""

    annotator_id: StrictStr = Identifier
    attribute_id: StrictStr = Identifier
    label: Stage1Label
    failure_category: FailureCategory | None = None
    note: StrictStr | None = None
    flagged: StrictBool = False
    timestamp: datetime | None = None

    @model_validator(mode="after")
    def _category_only_when_rejected(self) -> Stage1Judgment:
        if self.failure_category is not None and self.label != "rejected":
            raise ValueError("failure_category is only given for a rejected attribute")
        return self


class Stage1Review(ContractModel):
    """Stage 1, per (annotator, user): what the annotator says of the whole profile."""

    annotator_id: StrictStr = Identifier
    user_id: StrictStr = Identifier
    missing_attributes: StrictStr | None = None
    overall_note: StrictStr | None = None
    flagged: StrictBool = False
    timestamp: datetime | None = None


class Stage2Judgment(ContractModel):
    """Stage 2: should this attribute change the response to this prompt?"""

    annotator_id: StrictStr = Identifier
    user_id: StrictStr = Identifier
    attribute_id: StrictStr = Identifier
    prompt_id: StrictStr = Identifier
    relevant: StrictBool
    rating: RelevanceRating | None = None
    model_suggested_relevant: StrictBool | None = None
    relevance_score: StrictFloat | None = Field(default=None, ge=0.0, le=1.0)
    raw_answer: StrictStr | None = None
    note: StrictStr | None = None
    flagged: StrictBool = False
    timestamp: datetime | None = None


class ExpectedBehavior(ContractModel):
    """What a response should do with an attribute for a prompt, written by a generator model."""

    user_id: StrictStr = Identifier
    attribute_id: StrictStr = Identifier
    prompt_id: StrictStr = Identifier
    generator_model: StrictStr
    explicit_behavior: StrictStr | None = None
    implicit_behavior: StrictStr | None = None


class Stage3Item(ContractModel):
    """Stage 3: a generic and a personalized response to one prompt for one user."""

    item_id: StrictStr = Identifier
    user_id: StrictStr = Identifier
    prompt_id: StrictStr = Identifier
    generator_model: StrictStr
    generic_response: StrictStr = Field(min_length=1)
    personalized_response: StrictStr = Field(min_length=1)
    presentation_order: PresentationOrder | None = None
    mentions_attribute_explicitly: StrictBool | None = None
    attribute_ids: list[StrictStr] = []


class Stage3Rating(ContractModel):
    """Stage 3: 1 = generic much better, 3 = equal, 5 = personalized much better."""

    annotator_id: StrictStr = Identifier
    item_id: StrictStr = Identifier
    rating: StrictInt = Field(ge=1, le=5)
    note: StrictStr | None = None
    timestamp: datetime | None = None


class DropManifest(ContractModel):
    """`manifest.json` of a drop folder: who made it and when."""

    drop_id: StrictStr = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    created_at: datetime
    description: StrictStr = ""
    producer: StrictStr = ""
