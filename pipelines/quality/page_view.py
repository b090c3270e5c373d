"""Great Expectations' page view with its Jinja templates compiled once per process.

GE builds a new Jinja environment for every page it renders, so each validation's page compiled
the same hundred templates again (about a second each time, most of a page's cost). This view
shares one in-memory bytecode cache between those environments; the pages are unchanged.
"""

from __future__ import annotations

from typing import Any

from great_expectations.render.view import DefaultJinjaPageView
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


class _CompiledTemplates(BytecodeCache):
    """Compiled templates by Jinja's key (template name and file), for this process's life; Jinja
    checks each against its source's checksum before use."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _CompiledTemplates()


class CompiledOncePageView(DefaultJinjaPageView):
    """DefaultJinjaPageView reading its compiled templates from the process's cache."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = _TEMPLATES
