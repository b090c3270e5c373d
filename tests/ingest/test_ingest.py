"""The ingest stage lands every good record, quarantines every bad one, and never half-writes."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines import settings
from pipelines.contract.tables import RAW_FILES, TABLES
from pipelines.defs.ingest.assets import raw_tables
from pipelines.defs.partitions import drop_partitions
from pipelines.ingest import DropError, land_drop
from pipelines.ingest import drop as drop_module

BAD_DROPS = settings.SAMPLES_DIR / "bad_drops"

# (bad drop, file, line, field, words the reason must contain)
EXPECTED_BAD_RECORDS = [
    ("truncated-json", "invalid JSON"),
    ("wrong-types", "Input should be a valid"),
    ("unknown-label", "Input should be"),
    ("missing-reference", "references unknown"),
    ("duplicate-rows", "duplicate key"),
    ("non-utf8", "not valid UTF-8"),
]


def ingest(instance: dg.DagsterInstance, warehouse, folder: Path) -> dg.ExecuteInProcessResult:
    """Materialize the real ingest asset for one drop folder, as the pipeline does."""
    instance.add_dynamic_partitions(drop_partitions.name, [folder.name])
    return dg.materialize(
        [raw_tables],
        instance=instance,
        partition_key=folder.name,
        resources={"warehouse": warehouse},
        run_config={"ops": {"raw_tables": {"config": {"drops_dir": str(folder.parent)}}}},
        raise_on_error=False,
    )


def table_counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return {
            name: conn.execute(f"select count(*) from raw.{name}").fetchone()[0]
            for name in [*TABLES, "quarantine"]
        }


def lines_in(path: Path) -> int:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


def test_sample_lands_whole_with_nothing_quarantined(
    instance, warehouse, warehouse_path, sample_drop
):
    result = ingest(instance, warehouse, sample_drop)
    assert result.success
    counts = table_counts(warehouse_path)
    assert counts["quarantine"] == 0
    for stem in RAW_FILES:
        path = sample_drop / f"{stem}.jsonl"
        assert counts[stem] == lines_in(path), stem
    assert counts["conversations"] >= 500
    assert counts["turns"] > counts["conversations"]
    metadata = result.asset_materializations_for_node("raw_tables")
    quarantine = next(m for m in metadata if m.asset_key == dg.AssetKey(["raw", "quarantine"]))
    assert quarantine.metadata["rows_quarantined"].value == 0


def test_reingesting_the_same_drop_adds_nothing_twice(
    instance, warehouse, warehouse_path, sample_drop
):
    assert ingest(instance, warehouse, sample_drop).success
    first = table_counts(warehouse_path)
    assert ingest(instance, warehouse, sample_drop).success
    assert table_counts(warehouse_path) == first


@pytest.fixture
def any_share_quarantined(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small drops whose one bad line is over the default quarantined share of its file."""
    monkeypatch.setenv("PIPELINES_MAX_QUARANTINED_SHARE", "1")


@pytest.mark.parametrize(("kind", "reason_words"), EXPECTED_BAD_RECORDS)
def test_bad_records_are_quarantined_naming_file_line_and_field(
    kind, reason_words, instance, warehouse, warehouse_path, any_share_quarantined
):
    folder = BAD_DROPS / kind
    result = ingest(instance, warehouse, folder)
    assert result.success, "a bad record must not fail the run"
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        rows = conn.execute(
            "select _file, _line, field, reason from raw.quarantine where _drop_id = ?", [kind]
        ).fetchall()
        landed = conn.execute(
            "select sum(rows_landed), sum(rows_read), sum(rows_quarantined) "
            "from raw.ingested_files where _drop_id = ?",
            [kind],
        ).fetchone()
    assert rows, f"{kind}: nothing quarantined"
    assert any(reason_words in reason for _, _, _, reason in rows), rows
    for file, line, field, reason in rows:
        assert (folder / file).exists() and line >= 1 and field and reason
    assert landed[0] > 0, "the good records of a bad drop still land"
    assert landed[1] == landed[0] + landed[2], "rows in = rows landed + rows quarantined"


def test_wrong_types_are_not_coerced(tmp_path, warehouse_path, any_share_quarantined):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "prompts.jsonl").write_text(
        '{"prompt_id": "p1", "prompt_text": "Hi", "source": "lima"}\n'
        '{"prompt_id": 7, "prompt_text": "Hi", "source": "lima"}\n'
    )
    (folder / "stage3_ratings.jsonl").write_text(
        '{"annotator_id": "a", "item_id": "i", "rating": "5"}\n'
    )
    with duckdb.connect(str(warehouse_path)) as conn:
        report = land_drop(conn, folder)
        reasons = conn.execute(
            "select _file, _line, field from raw.quarantine order by 1"
        ).fetchall()
    assert report.files["prompts.jsonl"].rows_landed == 1
    assert ("prompts.jsonl", 2, "prompt_id") in reasons
    assert ("stage3_ratings.jsonl", 1, "rating") in reasons


def test_quarantine_reasons_never_repeat_the_value(tmp_path, warehouse_path, any_share_quarantined):
    folder = tmp_path / "drop"
    folder.mkdir()
    secret = "jane.doe@example.org"
    (folder / "annotators.jsonl").write_text(f'{{"annotator_id": "x", "kind": "{secret}"}}\n')
    with duckdb.connect(str(warehouse_path)) as conn:
        land_drop(conn, folder)
        (reason,) = conn.execute("select reason from raw.quarantine").fetchone()
    assert secret not in reason


def test_an_unreadable_file_fails_the_run_naming_it(tmp_path, instance, warehouse):
    folder = tmp_path / "corrupt"
    folder.mkdir()
    (folder / "prompts.jsonl.gz").write_bytes(gzip.compress(b'{"prompt_id": "p"}\n')[:-12])
    result = ingest(instance, warehouse, folder)
    assert not result.success
    failure = result.failure_data_for_node("raw_tables")
    assert "prompts.jsonl.gz" in failure.user_failure_data.description


def test_a_failed_ingest_leaves_the_previous_tables_intact(
    tmp_path, warehouse_path, sample_drop, monkeypatch
):
    folder = tmp_path / sample_drop.name
    shutil.copytree(sample_drop, folder)
    with duckdb.connect(str(warehouse_path)) as conn:
        land_drop(conn, folder)
    before = table_counts(warehouse_path)

    (folder / "stage3_ratings.jsonl").unlink()

    def crash(*args, **kwargs):
        raise RuntimeError("killed halfway")

    monkeypatch.setattr(drop_module, "_replace_drop", crash)
    with duckdb.connect(str(warehouse_path)) as conn, pytest.raises(RuntimeError):
        land_drop(conn, folder)
    assert table_counts(warehouse_path) == before


def small_drop(
    parent: Path, name: str, conversations: list[dict], delivered_at: str | None = None
) -> Path:
    """A drop of only the given conversation records (the sample's, possibly edited), with a
    manifest naming its delivery time when one is given."""
    folder = parent / name
    folder.mkdir(exist_ok=True)
    (folder / "conversations.jsonl").write_text(
        "".join(json.dumps(record) + "\n" for record in conversations)
    )
    if delivered_at:
        manifest = {"drop_id": name, "created_at": delivered_at}
        (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def sample_conversations(sample_drop: Path, count: int) -> list[dict]:
    with (sample_drop / "conversations.jsonl").open() as handle:
        return [json.loads(next(handle)) for _ in range(count)]


def raw_contents(conn: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {
        name: conn.execute(f"select * from raw.{name} order by all").fetchall()
        for name in [*TABLES, "quarantine", "ingested_files", "drops"]
    }


def staging_schemas(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        name
        for (name,) in conn.execute("select schema_name from duckdb_schemas()").fetchall()
        if name.startswith("_landing_")
    ]


def test_a_later_drop_delivering_a_key_again_replaces_the_earlier_row(
    tmp_path, warehouse_path, sample_drop
):
    """The raw tables have no primary key, so ingest itself must keep one row per key."""
    first = sample_conversations(sample_drop, 3)
    again = {**first[0], "model": "corrected-model"}
    again["turns"] = [{**t, "content": f"corrected {i}"} for i, t in enumerate(again["turns"])]
    with duckdb.connect(str(warehouse_path)) as conn:
        land_drop(conn, small_drop(tmp_path, "2024-01", first))
        land_drop(conn, small_drop(tmp_path, "2024-02", [again]))
        conversations = conn.execute(
            "select conversation_id, _drop_id, model from raw.conversations order by 1"
        ).fetchall()
        turns = conn.execute(
            "select _drop_id, content from raw.turns where conversation_id = ? order by turn_index",
            [again["conversation_id"]],
        ).fetchall()
        repeated = conn.execute(
            "select count(*) from (select conversation_id, turn_index from raw.turns "
            "group by all having count(*) > 1)"
        ).fetchone()[0]
    assert conversations == [
        (again["conversation_id"], "2024-02", "corrected-model"),
        *((c["conversation_id"], "2024-01", c["model"]) for c in first[1:]),
    ]
    assert turns == [("2024-02", f"corrected {i}") for i in range(len(again["turns"]))]
    assert repeated == 0


def test_an_older_delivery_processed_later_does_not_undo_a_newer_one(
    tmp_path, warehouse_path, sample_drop
):
    """The manifests' delivery times decide which copy of a key stays, not the processing order
    or the folder names: `a-correction` is delivered after `b-export` and named before it."""
    first = sample_conversations(sample_drop, 3)
    corrected = {**first[0], "model": "corrected-model", "turns": first[0]["turns"][:1]}
    old = small_drop(tmp_path, "b-export", first, delivered_at="2025-03-01T00:00:00+00:00")
    new = small_drop(tmp_path, "a-correction", [corrected], delivered_at="2025-04-01T00:00:00")
    key = corrected["conversation_id"]
    with duckdb.connect(str(warehouse_path)) as conn:
        land_drop(conn, new)
        report = land_drop(conn, old)  # first delivered, processed last
        land_drop(conn, old)  # and again
        conversations = conn.execute(
            "select conversation_id, _drop_id, model from raw.conversations order by 1"
        ).fetchall()
        turns = conn.execute(
            "select _drop_id, turn_index from raw.turns where conversation_id = ?", [key]
        ).fetchall()
        drops = conn.execute("select * from raw.drops order by delivered_at").fetchall()
    assert sorted(conversations) == sorted(
        [
            (key, "a-correction", "corrected-model"),
            *((c["conversation_id"], "b-export", c["model"]) for c in first[1:]),
        ]
    )
    assert turns == [("a-correction", 0)], "a conversation's turns stay with the delivery it won"
    assert report.rows_left_to_later_drops == {
        **dict.fromkeys(TABLES, 0),
        "conversations": 1,
        "turns": len(first[0]["turns"]),
    }
    assert [(drop_id, source) for drop_id, _, source in drops] == [
        ("b-export", "manifest"),
        ("a-correction", "manifest"),
    ]


def test_without_a_manifest_a_drop_is_delivered_when_first_ingested(
    tmp_path, warehouse_path, sample_drop
):
    """Ingested again after a later drop, a drop without a manifest keeps its first ingest time."""
    first = sample_conversations(sample_drop, 2)
    corrected = {**first[0], "model": "corrected-model"}
    old = small_drop(tmp_path, "z-first", first)
    with duckdb.connect(str(warehouse_path)) as conn:
        land_drop(conn, old)
        land_drop(conn, small_drop(tmp_path, "a-second", [corrected]))
        land_drop(conn, old)
        models = conn.execute(
            "select _drop_id, model from raw.conversations order by _drop_id"
        ).fetchall()
        sources = conn.execute("select distinct delivered_at_from from raw.drops").fetchall()
    assert models == [("a-second", "corrected-model"), ("z-first", first[1]["model"])]
    assert sources == [("first ingest",)]


def test_a_conversation_delivered_again_with_fewer_turns_keeps_none_of_its_old_turns(
    tmp_path, warehouse_path, sample_drop
):
    """Turns come whole with their conversation: keys alone would keep the old tail turns."""
    first = next(c for c in sample_conversations(sample_drop, 50) if len(c["turns"]) >= 3)
    again = {**first, "turns": first["turns"][:1]}
    with duckdb.connect(str(warehouse_path)) as conn:
        land_drop(conn, small_drop(tmp_path, "2024-01", [first]))
        land_drop(conn, small_drop(tmp_path, "2024-02", [again]))
        turns = conn.execute(
            "select turn_index, _drop_id from raw.turns where conversation_id = ?",
            [first["conversation_id"]],
        ).fetchall()
        (n_turns,) = conn.execute(
            "select n_turns from raw.conversations where conversation_id = ?",
            [first["conversation_id"]],
        ).fetchone()
    assert turns == [(0, "2024-02")]
    assert n_turns == 1


@pytest.mark.parametrize("failing_step", ["_check_keys_and_references", "_replace_drop"])
def test_a_failed_ingest_leaves_raw_as_it_was_and_no_staging_behind(
    failing_step, tmp_path, warehouse_path, sample_drop, monkeypatch
):
    """A failure after the step has really run (the replace's deletes included) rolls back."""
    first = sample_conversations(sample_drop, 3)
    with duckdb.connect(str(warehouse_path)) as conn:
        land_drop(conn, small_drop(tmp_path, "2024-01", first))
        before = raw_contents(conn)
    step = getattr(drop_module, failing_step)

    def run_then_crash(*args, **kwargs):
        step(*args, **kwargs)
        raise RuntimeError("killed halfway")

    monkeypatch.setattr(drop_module, failing_step, run_then_crash)
    again = [{**c, "model": "corrected-model"} for c in first[:2]]
    with duckdb.connect(str(warehouse_path)) as conn:
        with pytest.raises(RuntimeError, match="killed halfway"):
            land_drop(conn, small_drop(tmp_path, "2024-02", again))
        assert raw_contents(conn) == before
        assert staging_schemas(conn) == []


def test_staging_schemas_left_by_killed_runs_are_dropped(tmp_path, warehouse_path, sample_drop):
    """A killed process cannot clean up, so the next ingest, of that drop or another, does: the
    drop starts from scratch, and no other drop's leftover rows stay in the file."""
    folder = small_drop(tmp_path, "2024-01", sample_conversations(sample_drop, 2))
    with duckdb.connect(str(warehouse_path)) as conn:
        for leftover in ("2024-01", 'killed "drop"'):
            schema = '"_landing_' + leftover.replace('"', '""') + '"'
            conn.execute(f"create schema {schema}")
            conn.execute(f"create table {schema}.conversations (leftover INTEGER)")
        report = land_drop(conn, folder)
        assert staging_schemas(conn) == []
        assert conn.execute("select count(*) from raw.conversations").fetchone()[0] == 2
    assert report.rows_landed == 2


def test_a_folder_without_exports_is_an_error(tmp_path, warehouse_path):
    (tmp_path / "empty").mkdir()
    with duckdb.connect(str(warehouse_path)) as conn, pytest.raises(DropError, match="empty"):
        land_drop(conn, tmp_path / "empty")
