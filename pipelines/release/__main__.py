"""`python -m pipelines.release`: load a release of the local dataset repo, or preview a release.

python -m pipelines.release load --version v1.2.0 --config stage2_relevance
python -m pipelines.release publish --dry-run
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines import settings


def _load(args: argparse.Namespace) -> int:
    from pipelines.release.loading import load_release

    dataset = load_release(args.config, args.version, args.repo)
    print(f"{args.config} at {args.version} from {args.repo or settings.release_dir()}:")
    print(dataset)
    return 0


def _publish(args: argparse.Namespace) -> int:
    if not args.dry_run:
        print(
            "A release is published by the Dagster asset `dataset_release` (`pipelines run`, or "
            "materialize it in the UI), so that blocking checks guard it. Use --dry-run here.",
            file=sys.stderr,
        )
        return 2
    import duckdb

    from pipelines.release.publish import make_target, publish_release

    target = make_target(
        settings.release_dir(),
        settings.hub_repo_id(),
        settings.hub_token(),
        settings.hub_private(),
        settings.hub_endpoint(),
    )
    with duckdb.connect(str(settings.duckdb_path()), read_only=True) as conn:
        result = publish_release(conn, target, dry_run=True)
    print(result.summary())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.release",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load", help="load one config of a release of the local repo")
    load.add_argument("--version", required=True, help="release tag, e.g. v1.2.0")
    load.add_argument("--config", required=True, help="config name, e.g. stage2_relevance")
    load.add_argument(
        "--repo", type=Path, help="local dataset repo (default PIPELINES_RELEASE_DIR)"
    )
    publish = commands.add_parser("publish", help="show what publishing now would change")
    publish.add_argument("--dry-run", action="store_true", help="print the plan, publish nothing")
    args = parser.parse_args(argv)
    return {"load": _load, "publish": _publish}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
