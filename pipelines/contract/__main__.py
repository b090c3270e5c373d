"""`python -m pipelines.contract generate [--check]`: render the files other tools
read from the contract's declaration (`contract.yml`): the raw Great Expectations suites, dbt's
staging layer, the contract doc's tables and the JSON Schemas. `--check` writes nothing and exits
1, naming each stale file, when one differs from what the contract says."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.contract.render_dbt import dbt_files
from pipelines.contract.render_docs import doc_files
from pipelines.contract.render_suites import suite_files

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def generated_files(root: Path = PROJECT_ROOT) -> dict[Path, str]:
    """Every generated file under `root`, as the contract says it should read."""
    return {**suite_files(root), **dbt_files(root), **doc_files(root)}


def stale_files(root: Path = PROJECT_ROOT) -> list[Path]:
    return [
        path
        for path, text in generated_files(root).items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.contract", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser("generate", help="render the files derived from the contract")
    generate.add_argument("--check", action="store_true", help="fail if a file is stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"{path}: stale; run `python -m pipelines.contract generate`", file=sys.stderr)
        return 1 if stale else 0
    for path, text in generated_files().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
