"""Adapters turn real exports into drops that ingest lands whole; every unit is accounted for."""

from __future__ import annotations

import json
import re
from itertools import combinations
from pathlib import Path

import duckdb
import pytest
from sklearn.metrics import cohen_kappa_score

from pipelines import settings
from pipelines.adapters import adapt, adapter_quarantine_rows
from pipelines.adapters.writer import QUARANTINE_FILE
from tests.ingest.test_ingest import ingest

REALDATA = settings.PROJECT_ROOT.parent / "shared" / "realdata"
STUDY = REALDATA / "study-annotation-tool"
ANNOTATION = re.compile(r"_task[1-3]\.jsonl$")
pytestmark = pytest.mark.skipif(
    not STUDY.is_dir(), reason=f"the real exports are not on this machine ({REALDATA})"
)


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
    tmp_path, instance, warehouse, warehouse_path, pytestconfig
):
    drop = tmp_path / "drops" / "study-real"
    report = adapt(
        [STUDY, REALDATA / "wildchat-589" / "wildchat589_salvaged.jsonl"],
        drop,
        lima=REALDATA / "lima-prompts" / "lima.jsonl",
    )
    sources = {s["source"]: s for s in report["sources"]}
    for s in report["sources"]:
        assert s["units_in"] == s["written"] + s["quarantined"], s["source"]
    study_files = [p for p in STUDY.rglob("*.jsonl")]
    assert len(sources) == len(study_files) + 1
    for path in study_files:
        if not ANNOTATION.search(path.name):
            assert sources[str(path.relative_to(STUDY))]["units_in"] == units_in_source(path)
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
    # Printed through pytest's own terminal writer: the counts are part of the test's report.
    terminal = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    terminal.write_line("\nadapter: source file / units in / written / quarantined")
    for s in report["sources"]:
        terminal.write_line(
            f"  {s['source']:<56} {s['units_in']:>6} {s['written']:>6} {s['quarantined']:>6}"
        )
    terminal.write_line("ingest: file / rows in / landed / quarantined")
    for file, read, landed, rejected in files:
        terminal.write_line(f"  {file:<56} {read:>6} {landed:>6} {rejected:>6}")
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


def test_annotator_names_and_platform_ids_stay_out_of_labels_and_quarantine(tmp_path):
    drop = tmp_path / "study"
    report = adapt([STUDY], drop)
    names = {p.name.rsplit("_task", 1)[0] for p in (STUDY / "annotations_v0").glob("*_task*.jsonl")}
    text = json.dumps(report) + (drop / QUARANTINE_FILE).read_text()
    for name in names:
        assert name not in text


def test_sharegpt_parts_of_one_share_are_one_user_and_nothing_is_invented(tmp_path):
    folder = REALDATA / "sharegpt-1000" / "sampled_enriched_data"
    counts = adapt([folder], tmp_path / "sharegpt")["sources"][0]
    assert counts["units_in"] == 1002  # 1,000 conversations and the folder's 2 metadata files
    assert counts["written"] == 1000
    records = [json.loads(line) for line in (tmp_path / "sharegpt" / "conversations.jsonl").open()]
    assert all("timestamp" not in r for r in records), "ShareGPT has no dates: none is invented"
    users = {r["user_id"] for r in records}
    assert len(users) < 1000
