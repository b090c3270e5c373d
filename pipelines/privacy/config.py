"""The scrubber's configuration (`scrubber.yaml`): what is scrubbed, what is kept, its version."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

from pipelines.yaml_text import load_yaml

DEFAULT_CONFIG_PATH = Path(__file__).with_name("scrubber.yaml")

# Bump when the code changes what is detected, so cached analyses of older code are not reused.
DETECTOR_REVISION = 21

NonEnglishPolicy = Literal["full", "patterns", "remove"]


@dataclass(frozen=True)
class ScrubberConfig:
    spacy_model: str
    language: str
    entities: dict[str, float]
    """Entity type -> minimum score; types not listed are never scrubbed."""
    national_id_recognizers: tuple[str, ...]
    code_block_entities: tuple[str, ...]
    allow_list: tuple[str, ...]
    public_figures: tuple[str, ...]
    public_figure_topics: tuple[str, ...]
    """Words after which a name is the topic of a request, a public figure's: "books by"."""
    deny_list: tuple[str, ...]
    non_english_policy: NonEnglishPolicy

    @cached_property
    def version(self) -> str:
        """Changes whenever the configuration or the detector revision does.

        Computed once per configuration: every text's cache key includes it.
        """
        canonical = json.dumps({**asdict(self), "revision": DETECTOR_REVISION}, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @classmethod
    def load(cls, path: Path | None = None) -> ScrubberConfig:
        path = path or DEFAULT_CONFIG_PATH
        raw = load_yaml(path.read_text(encoding="utf-8"))
        try:
            config = cls(
                spacy_model=raw["spacy_model"],
                language=raw["language"],
                entities={str(k): float(v) for k, v in raw["entities"].items()},
                national_id_recognizers=tuple(raw.get("national_id_recognizers") or ()),
                code_block_entities=tuple(raw.get("code_block_entities") or ()),
                allow_list=tuple(raw.get("allow_list") or ()),
                public_figures=tuple(raw.get("public_figures") or ()),
                public_figure_topics=tuple(raw.get("public_figure_topics") or ()),
                deny_list=tuple(raw.get("deny_list") or ()),
                non_english_policy=raw.get("non_english_policy", "full"),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ValueError(f"{path}: invalid scrubber configuration: {error!r}") from None
        if config.non_english_policy not in ("full", "patterns", "remove"):
            raise ValueError(
                f"{path}: non_english_policy must be full, patterns or remove, "
                f"got {config.non_english_policy!r}"
            )
        return config
