"""Adapters turn real exports into drops that ingest lands whole; every unit is accounted for."""

from __future__ import annotations

import json
import re
from itertools import combinations
from pathlib import Path

import duckdb
import pytest
from sklearn.metrics import cohen_kappa_score

from pipelines.adapters import adapt, adapter_quarantine_rows
from pipelines.adapters.writer import QUARANTINE_FILE
from tests.ingest.test_ingest import ingest
from tests.realdata import SHARE_PART, RealExports

# The real exports (tests/realdata.py): a cut made at test time, or whole in the tests marked slow.
ANNOTATION = re.compile(r"_task[1-3]\.jsonl$")


@pytest.fixture(autouse=True)
def hash_key(monkeypatch):
    monkeypatch.setenv("PIPELINES_HASH_KEY", "a-test-key-of-enough-bytes")


def units_in_source(path: Path) -> int:
    """Units counted independently of the adapter: judgments, items or lines of a source file."""
    rows = [json.loads(line) for line in path.open() if line.strip()]
    if re.search(r"_task1\.jsonl$", path.name):
        return sum(len(r["attr_judgments"]) + 1 for r in rows)
    if re.search(r"_task[23]\.jsonl$", path.name):
        return sum(len(r["relevance_judgments"]) for r in rows)
    if path.parent.name in {"behaviors", "relevance_task3"}:
        return sum(len(r["items"]) for r in rows)
    if path.name == "attr_evidence_cache.jsonl":
        return sum(len(r["evidence"]) for r in rows)
    if path.name in {"task4_items.jsonl", "task5_items.jsonl"}:
        return sum(
            len(r.get("merged_attributes", r.get("profile_attributes", [])))
            + len(r.get("conversations", []))
            + len(r.get("items", []))
            for r in rows
        )
    return len(rows)


def test_real_study_drop_is_accounted_for_and_gives_stage2_agreement(
    tmp_path, instance, warehouse, warehouse_path, record_property, real_exports: RealExports
):
    study = real_exports.study
    drop = tmp_path / "drops" / "study-real"
    report = adapt([study, real_exports.wildchat], drop, lima=real_exports.lima)
    sources = {s["source"]: s for s in report["sources"]}
    for s in report["sources"]:
        assert s["units_in"] == s["written"] + s["quarantined"], s["source"]
    study_files = [p for p in study.rglob("*.jsonl")]
    assert len(sources) == len(study_files) + 1
    for path in study_files:
        if not ANNOTATION.search(path.name):
            assert sources[str(path.relative_to(study))]["units_in"] == units_in_source(path)
    assert sum(s["units_in"] for s in report["sources"] if ANNOTATION.search(s["source"])) == sum(
        units_in_source(p) for p in study_files if ANNOTATION.search(p.name)
    )
    quarantined = sum(1 for _ in adapter_quarantine_rows(drop))
    assert quarantined == sum(s["quarantined"] for s in report["sources"])

    assert ingest(instance, warehouse, drop).success
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        files = conn.execute(
            "select _file, rows_read, rows_landed, rows_quarantined "
            "from raw.ingested_files order by 1"
        ).fetchall()
        wildchat_users = conn.execute(
            "select count(*) from raw.conversations where hashed_ip is not null"
        ).fetchone()[0]
        votes = conn.execute(
            "select annotator_id, attribute_id, prompt_id, relevant from raw.stage2_judgments"
        ).fetchall()
        humans = {
            a
            for (a,) in conn.execute(
                "select annotator_id from raw.annotators where kind = 'human'"
            ).fetchall()
        }
    # Shown at the end of the run (tests/conftest.py, "report" properties): the counts are part
    # of the test's report, whichever worker ran it.
    table = ["adapter: source file / units in / written / quarantined"]
    for s in report["sources"]:
        table.append(
            f"  {s['source']:<56} {s['units_in']:>6} {s['written']:>6} {s['quarantined']:>6}"
        )
    table.append("ingest: file / rows in / landed / quarantined")
    for file, read, landed, rejected in files:
        table.append(f"  {file:<56} {read:>6} {landed:>6} {rejected:>6}")
    record_property("report", "\n".join(table))
    for file, read, landed, rejected in files:
        assert read == landed + rejected, file
        assert rejected == 0, f"{file}: the adapter's output should land whole"
    assert wildchat_users > 0

    by_item: dict[tuple, dict[str, bool]] = {}
    for annotator, attribute, prompt, relevant in votes:
        by_item.setdefault((attribute, prompt), {})[annotator] = relevant
    consensus = {
        item: sum(v[a] for a in v if a in humans) * 2 > sum(a in humans for a in v)
        for item, v in by_item.items()
        if sum(a in humans for a in v) >= 2
    }
    judges = sorted({a for v in by_item.values() for a in v})
    kappa = {}
    for one, other in combinations(judges, 2):
        shared = [v for v in by_item.values() if one in v and other in v]
        if len(shared) >= 20:
            kappa[one, other] = cohen_kappa_score(
                [v[one] for v in shared], [v[other] for v in shared]
            )
    assert len(consensus) >= 100
    assert any(a in humans and b in humans for a, b in kappa)
    assert any(a.startswith("llm:") and b.startswith("llm:") for a, b in kappa)
    assert any((a in humans) != (b in humans) for a, b in kappa)
    assert all(-1 <= k <= 1 for k in kappa.values())


def test_annotator_names_and_platform_ids_stay_out_of_labels_and_quarantine(
    tmp_path, real_exports: RealExports
):
    drop = tmp_path / "study"
    report = adapt([real_exports.study], drop)
    names = {
        p.name.rsplit("_task", 1)[0]
        for p in (real_exports.study / "annotations_v0").glob("*_task*.jsonl")
    }
    text = json.dumps(report) + (drop / QUARANTINE_FILE).read_text()
    for name in names:
        assert name not in text


def test_sharegpt_parts_of_one_share_are_one_user_and_nothing_is_invented(
    tmp_path, real_exports: RealExports
):
    folder = real_exports.sharegpt
    counts = adapt([folder], tmp_path / "sharegpt")["sources"][0]
    parts = [p for p in folder.iterdir() if SHARE_PART.match(p.name)]
    assert counts["units_in"] == len(list(folder.glob("*.json")))  # and 2 metadata files
    assert counts["written"] == len(parts)
    if real_exports.whole:
        assert (counts["units_in"], counts["written"]) == (1002, 1000)
    records = [json.loads(line) for line in (tmp_path / "sharegpt" / "conversations.jsonl").open()]
    assert all("timestamp" not in r for r in records), "ShareGPT has no dates: none is invented"
    users = {r["user_id"] for r in records}
    shares = {SHARE_PART.match(p.name)["share"] for p in parts}
    assert len(users) == len(shares) < len(parts)
