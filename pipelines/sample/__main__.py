"""Command line of the sample generator; see `python -m pipelines.sample --help`."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines.sample.bad_drops import write_bad_drops
from pipelines.sample.generator import BUNDLED_SEED, SampleConfig, generate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.sample",
        description="Write a seeded raw drop shaped like the study, with planted personal data.",
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="drop folder to write; its name is the drop id"
    )
    parser.add_argument(
        "--seed", type=int, default=BUNDLED_SEED, help="default: the seed of the bundled sample"
    )
    parser.add_argument("--conversations", type=int, default=550)
    parser.add_argument(
        "--users",
        type=int,
        default=None,
        help="default: the study's 80 users per 550 conversations",
    )
    parser.add_argument(
        "--stage2-items",
        type=int,
        default=None,
        help="(user, attribute, prompt) items; default 55 per user in the study",
    )
    parser.add_argument(
        "--stage3-items",
        type=int,
        default=None,
        help="(user, prompt, generator) items; default 5 per user in the study",
    )
    parser.add_argument("--gzip", action="store_true", help="write .jsonl.gz files")
    parser.add_argument(
        "--first-user",
        type=int,
        default=0,
        help="index of the first user (default 0); a drop of the same seed starting past an "
        "earlier drop's users adds new users, conversations and judgments to it",
    )
    parser.add_argument(
        "--no-shared-tables",
        action="store_true",
        help="leave out annotators and prompts, which an earlier drop of the same seed delivered",
    )
    parser.add_argument(
        "--pii-manifest",
        type=Path,
        default=None,
        help="also write the ground truth of planted personal data here",
    )
    parser.add_argument(
        "--bad-drops",
        type=Path,
        default=None,
        help="also write the bad-input drops (and their README) into this folder",
    )
    args = parser.parse_args(argv)
    report = generate(
        SampleConfig(
            out=args.out,
            seed=args.seed,
            conversations=args.conversations,
            users=args.users,
            stage2_items=args.stage2_items,
            stage3_items=args.stage3_items,
            gzip=args.gzip,
            pii_manifest=args.pii_manifest,
            first_user=args.first_user,
            shared_tables=not args.no_shared_tables,
        )
    )
    for stem, count in report.records.items():
        print(f"{stem:20} {count:>9,} records")
    if args.pii_manifest:
        print(f"{args.pii_manifest}: {report.entities:,} planted values, {report.decoys:,} decoys")
    if args.bad_drops:
        for folder in write_bad_drops(args.bad_drops):
            print(f"bad drop {folder}")


if __name__ == "__main__":
    main()
