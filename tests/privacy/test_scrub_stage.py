"""The privacy assets on a generated drop: nothing planted survives, names hold, leaks block."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from pipelines.contract.tables import TABLES
from pipelines.defs.ingest.assets import raw_tables
from pipelines.defs.partitions import drop_partitions
from pipelines.defs.privacy import defs as privacy_defs
from pipelines.defs.privacy.assets import LEAK_CHECK, scrubbed_tables
from pipelines.privacy import drop_rows, numbering, scrub_cache, staging
from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.detection_cluster import DetectionCluster
from pipelines.privacy.detector import Detector
from pipelines.privacy.pseudonymizer import IDENTIFIER_PREFIXES, Pseudonymizer, hash_identifier
from pipelines.privacy.scrub import DropScrubber, ScrubRecordError, scrub_drop
from tests.instances import instance_in
from tests.privacy.conftest import DROP_ID, TEST_KEY, land


def scrub(instance, warehouse, manifest: Path) -> dg.ExecuteInProcessResult:
    """Materialize the real privacy asset for the test drop, in-process (one worker), handing it
    the drop's ground-truth manifest as the sample run does."""
    return dg.materialize(
        [raw_tables, scrubbed_tables],
        selection=[scrubbed_tables],
        instance=instance,
        partition_key=DROP_ID,
        resources={"warehouse": warehouse},
        run_config={
            "ops": {"scrubbed_tables": {"config": {"workers": 1, "pii_manifest": str(manifest)}}}
        },
        raise_on_error=False,
    )


@dataclass(frozen=True)
class ScrubbedDrop:
    result: dg.ExecuteInProcessResult
    warehouse: Path


@pytest.fixture(scope="module")
def scrubbed_drop(tmp_path_factory, new_instance_home, generated_drop) -> ScrubbedDrop:
    """The generated drop landed and scrubbed once, for the tests that read the outcome."""
    folder = tmp_path_factory.mktemp("scrubbed-drop")
    warehouse = folder / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PIPELINES_HASH_KEY", TEST_KEY)
        env.setenv("DUCKDB_PATH", str(warehouse))
        env.setenv("PIPELINES_DATA_DIR", str(folder / "data"))
        with instance_in(folder, new_instance_home) as instance:
            resource = DuckDBResource(database=str(warehouse))
            land(instance, resource, generated_drop[0])
            return ScrubbedDrop(scrub(instance, resource, generated_drop[1]), warehouse)


def materialized(result: dg.ExecuteInProcessResult, table: str) -> dict:
    events = result.asset_materializations_for_node("scrubbed_tables")
    event = next(e for e in events if e.asset_key == dg.AssetKey(["scrubbed", table]))
    return {name: value.value for name, value in event.metadata.items()}


def scrubbed_field(conn, table: str, raw_key: dict, field: str) -> list[str]:
    key = dict(raw_key)
    for column in IDENTIFIER_PREFIXES:
        if column in key and not str(key[column]).startswith("llm:"):
            key[column] = hash_identifier(TEST_KEY.encode(), column, key[column])
    where = " and ".join(f"{name} = ?" for name in key)
    row = conn.execute(
        f"select {field} from scrubbed.{table} where {where}", list(key.values())
    ).fetchone()
    assert row is not None, (table, raw_key)
    return row[0] if isinstance(row[0], list) else [row[0]]


def test_privacy_definitions_load(warehouse):
    merged = dg.Definitions.merge(privacy_defs, dg.Definitions(resources={"warehouse": warehouse}))
    assert merged.resolve_asset_graph().get_all_asset_keys() >= {
        dg.AssetKey(["scrubbed", name]) for name in TABLES
    }


def test_no_planted_identifier_survives_and_decoys_mostly_do(scrubbed_drop, generated_drop):
    result, landed = scrubbed_drop.result, scrubbed_drop.warehouse
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert len(checks) == len(TABLES) and all(c.passed for c in checks)
    manifest = json.loads(generated_drop[1].read_text())
    planted, leaked, decoys, kept = Counter(), Counter(), Counter(), Counter()
    with duckdb.connect(str(landed), read_only=True) as conn:
        for entry in manifest["entities"]:
            texts = scrubbed_field(conn, entry["table"], entry["key"], entry["field"])
            pattern = re.compile(rf"(?<!\w){re.escape(entry['value'])}(?!\w)")
            planted[entry["entity_type"]] += 1
            if any(pattern.search(text) for text in texts):
                leaked[(entry["entity_type"], entry["table"], entry["field"])] += 1
        for entry in manifest["decoys"]:
            texts = scrubbed_field(conn, entry["table"], entry["key"], entry["field"])
            decoys[entry["kind"]] += 1
            kept[entry["kind"]] += any(entry["value"] in text for text in texts)
    print("\nrecall on planted identifiers (per type):")
    for entity_type, count in sorted(planted.items()):
        missed = sum(n for (t, *_), n in leaked.items() if t == entity_type)
        print(f"  {entity_type:16} {count - missed}/{count} = {(count - missed) / count:.3f}")
    print("decoys left intact (precision on research text):")
    for kind, count in sorted(decoys.items()):
        print(f"  {kind:16} {kept[kind]}/{count}")
    assert not leaked, f"planted identifiers survived: {dict(leaked)}"
    assert sum(kept.values()) >= 0.8 * sum(decoys.values())


def test_identifier_columns_are_hashed_or_dropped(scrubbed_drop):
    assert scrubbed_drop.result.success
    with duckdb.connect(str(scrubbed_drop.warehouse), read_only=True) as conn:
        assert (
            conn.execute(
                "select count(*) from scrubbed.conversations "
                "where json_keys(header) != ['client_kind'] "
                "or user_id not like 'user\\_%' escape '\\'"
            ).fetchone()[0]
            == 0
        )
        raw_ids = {
            r[0]
            for r in conn.execute(
                "select annotator_id from raw.annotators where kind = 'human'"
            ).fetchall()
        }
        kept = {
            r[0]: r[1]
            for r in conn.execute(
                "select annotator_id, display_name from scrubbed.annotators"
            ).fetchall()
        }
        assert not raw_ids & set(kept)
        assert all(name is None for name in kept.values())
        assert (
            any(a.startswith("llm:") for a in kept)
            or not conn.execute(
                "select count(*) from raw.annotators where kind = 'llm'"
            ).fetchone()[0]
        )
        judged = {
            r[0]
            for r in conn.execute("select annotator_id from scrubbed.stage2_judgments").fetchall()
        }
        assert judged <= set(kept), "every table hashes an annotator the same way"


def test_second_run_over_unchanged_input_scrubs_nothing_again(
    instance, warehouse, warehouse_path, scrubbed_drop, generated_drop
):
    first = scrubbed_drop.result
    shutil.copyfile(scrubbed_drop.warehouse, warehouse_path)
    landed = warehouse_path
    with duckdb.connect(str(landed), read_only=True) as conn:
        before = conn.execute("select * from scrubbed.turns order by all").fetchall()
    instance.add_dynamic_partitions(drop_partitions.name, [DROP_ID])
    second = scrub(instance, warehouse, generated_drop[1])
    assert first.success and second.success
    assert materialized(first, "turns")["texts_analyzed"] > 0
    assert materialized(second, "turns")["texts_analyzed"] == 0
    # Every lookup of the second run is answered by the cache: the first run's hits and analyses.
    assert materialized(second, "turns")["cache_hits"] == (
        materialized(first, "turns")["cache_hits"] + materialized(first, "turns")["texts_analyzed"]
    )
    with duckdb.connect(str(landed), read_only=True) as conn:
        assert conn.execute("select * from scrubbed.turns order by all").fetchall() == before


def test_leak_check_blocks_the_run_and_names_place_not_text(
    instance, warehouse, landed, generated_drop, monkeypatch
):
    real = DetectionCluster.detect

    def blind_to_email(pool, items):
        return [
            [f for f in found if f.entity_type != "EMAIL_ADDRESS"] for found in real(pool, items)
        ]

    monkeypatch.setattr(DetectionCluster, "detect", blind_to_email)
    result = scrub(instance, warehouse, generated_drop[1])
    assert not result.success
    failed = [c for c in result.get_asset_check_evaluations() if not c.passed]
    assert failed and all(c.check_name == LEAK_CHECK for c in failed)
    message = result.failure_data_for_node("scrubbed_tables").error.message
    assert "EMAIL_ADDRESS" in message and "turns [conversation_id=" in message
    assert not re.search(r"[\w.+-]+@[\w-]+\.\w+", message), "the message must not quote the text"
    with duckdb.connect(str(landed), read_only=True) as conn:
        assert conn.execute("select count(*) from scrubbed.turns").fetchone()[0] == 0
    assert not landed.with_suffix(".scrub-staging.duckdb").exists(), "staged rows are deleted"


def _raw_conversation(conn, conversation_id: str, user: str, drop: str, texts: list[str]) -> None:
    conn.execute(
        "insert into raw.conversations values (?, ?, null, 'wildchat', 'real', null, null, null, "
        "now(), 'gpt-4', 'English', false, false, ?, ?, 'c.jsonl', 1)",
        [conversation_id, user, len(texts), drop],
    )
    for index, text in enumerate(texts):
        conn.execute(
            "insert into raw.turns values (?, ?, 'user', ?, null, null, ?, 'c.jsonl', 1)",
            [conversation_id, index, text, drop],
        )


@pytest.fixture
def tiny_history(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """Two users; one mentions the same people in two conversations of one drop, then later."""
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    conn.execute("create schema raw")
    for table in TABLES.values():
        conn.execute(table.ddl("raw"))
    _raw_conversation(
        conn,
        "c1",
        "u1",
        "d1",
        [
            "My sister Maria Lopez (maria.lopez88@gmail.com) visits with Tom Becker.",
            "Tom Becker asked Maria to call +1 212 555 0187.",
        ],
    )
    _raw_conversation(conn, "c2", "u1", "d1", ["Maria said Tom Becker still uses (212) 555-0187."])
    _raw_conversation(conn, "c3", "u2", "d1", ["Tom Becker is my boss. Reach me at ann@site.org."])
    yield conn
    conn.close()


def conversation_key(conversation_id: str) -> str:
    """The conversation's id as the scrubbed tables hold it."""
    return hash_identifier(TEST_KEY.encode(), "conversation_id", conversation_id)


def turns(conn) -> dict[tuple[str, int], str]:
    """Scrubbed turns by raw conversation id and turn index."""
    raw_ids = {
        conversation_key(c): c
        for (c,) in conn.execute("select conversation_id from raw.conversations").fetchall()
    }
    return {
        (raw_ids[c], i): t
        for c, i, t in conn.execute(
            "select conversation_id, turn_index, content from scrubbed.turns"
        ).fetchall()
    }


def test_same_person_keeps_one_placeholder_across_conversations_and_reruns(tiny_history):
    config = ScrubberConfig.load()
    scrub_drop(tiny_history, "d1", config, TEST_KEY.encode(), workers=1)
    first = turns(tiny_history)
    # Full names are numbered first, the most mentioned first: Tom Becker 1, Maria Lopez 2.
    assert first[("c1", 0)] == "My sister <PERSON_2> (<EMAIL_1>) visits with <PERSON_1>."
    assert first[("c1", 1)] == "<PERSON_1> asked <PERSON_2> to call <PHONE_1>."
    assert first[("c2", 0)] == "<PERSON_2> said <PERSON_1> still uses <PHONE_1>."
    # Another user's history numbers on its own.
    assert first[("c3", 0)] == "<PERSON_1> is my boss. Reach me at <EMAIL_1>."

    tiny_history.execute("delete from private.scrub_cache")
    scrub_drop(tiny_history, "d1", config, TEST_KEY.encode(), workers=1)
    assert turns(tiny_history) == first

    # A later drop of the same user: the numbering carries over, from hashes alone.
    _raw_conversation(tiny_history, "c4", "u1", "d2", ["Dinner with Tom Becker and Maria Lopez."])
    scrub_drop(tiny_history, "d2", config, TEST_KEY.encode(), workers=1)
    assert turns(tiny_history)[("c4", 0)] == "Dinner with <PERSON_1> and <PERSON_2>."


def test_a_later_drop_numbers_a_new_person_after_the_numbers_it_reads_back(
    tiny_history, monkeypatch
):
    """The numbering read back from private.pseudonyms (a row per read batch here) goes on from
    the highest number of the scope, and known people keep theirs."""
    monkeypatch.setattr(Pseudonymizer, "LOAD_BATCH_ROWS", 1)
    config = ScrubberConfig.load()
    scrub_drop(tiny_history, "d1", config, TEST_KEY.encode(), workers=1)
    _raw_conversation(
        tiny_history, "c4", "u1", "d2", ["Tom Becker met John Smith, then Maria called."]
    )
    scrub_drop(tiny_history, "d2", config, TEST_KEY.encode(), workers=1)
    assert turns(tiny_history)[("c4", 0)] == "<PERSON_1> met <PERSON_3>, then <PERSON_2> called."


def test_private_tables_hold_no_original_value(tiny_history):
    scrub_drop(tiny_history, "d1", ScrubberConfig.load(), TEST_KEY.encode(), workers=1)
    dump = " ".join(
        str(row)
        for table in ("pseudonyms", "scrub_cache", "pii_audit")
        for row in tiny_history.execute(f"select * from private.{table}").fetchall()
    )
    # The phone as written: its bare digits can occur by chance inside the cache's integer keys.
    for value in ("Maria", "Becker", "maria.lopez88", "555 0187", "555-0187", "ann@site.org"):
        assert value not in dump


def _count_queries(monkeypatch, relation: str) -> list[int]:
    """The rows of the Arrow table registered as `relation` for each query that reads it: the
    scrub looks up the cache with `wanted_keys`, the pseudonym numbering with `wanted_scopes`."""
    queries: list[int] = []
    real = scrub_cache.registered

    def counting(conn, name, frame):
        if name == relation:
            queries.append(frame.num_rows)
        return real(conn, name, frame)

    monkeypatch.setattr(scrub_cache, "registered", counting)
    monkeypatch.setattr("pipelines.privacy.pseudonymizer.registered", counting)
    return queries


def test_texts_seen_in_earlier_batches_are_not_looked_up_again(tiny_history, monkeypatch):
    # Each lookup scans the whole cache, which grows with every drop: a text judged a million
    # times must not cost a million scans.
    monkeypatch.setattr(drop_rows, "BATCH_ROWS", 1)
    _raw_conversation(
        tiny_history, "c5", "u2", "d1", ["Tom Becker is my boss. Reach me at ann@site.org."]
    )
    lookups = _count_queries(monkeypatch, "wanted_keys")
    scrubber = DropScrubber(tiny_history, ScrubberConfig.load(), TEST_KEY.encode(), workers=1)
    scrubber.prepare()
    scrubber.find("d1")
    # One query per batch with a text not seen before: c5's turn repeats c3's and makes none.
    assert len(lookups) == len(
        {
            text
            for (text,) in tiny_history.execute(
                "select content from raw.turns where _drop_id = 'd1'"
            ).fetchall()
        }
    )
    found = len(lookups)
    scrubber.write("d1")
    assert len(lookups) == found, "the write pass found every text of this drop in memory"
    assert turns(tiny_history)[("c5", 0)] == turns(tiny_history)[("c3", 0)]


def test_texts_forgotten_from_memory_are_looked_up_again_with_the_same_result(
    tiny_history, monkeypatch
):
    config = ScrubberConfig.load()
    scrub_drop(tiny_history, "d1", config, TEST_KEY.encode(), workers=1)
    remembered = turns(tiny_history)
    monkeypatch.setattr(drop_rows, "BATCH_ROWS", 1)
    monkeypatch.setattr(scrub_cache, "RECENT_FINDINGS", 1)
    lookups = _count_queries(monkeypatch, "wanted_keys")
    scrub_drop(tiny_history, "d1", config, TEST_KEY.encode(), workers=1)
    assert turns(tiny_history) == remembered
    assert len(lookups) == 2 * len(remembered), "both passes looked every batch up"


def test_a_text_repeated_in_a_scope_is_scrubbed_and_counted_as_without_memory(
    tiny_history, monkeypatch
):
    _raw_conversation(
        tiny_history,
        "c5",
        "u1",
        "d1",
        [
            "Tom Becker asked Maria to call +1 212 555 0187.",  # c1's second turn, same user
            "Maria said Tom Becker still uses (212) 555-0187.",  # c2's turn
            "so Becker wrote back",  # a name the NER misses, twice
            "so Becker wrote back",
        ],
    )
    _raw_conversation(
        tiny_history, "c6", "u2", "d1", ["Maria said Tom Becker still uses (212) 555-0187."]
    )  # another user
    config = ScrubberConfig.load()
    remembered = scrub_drop(tiny_history, "d1", config, TEST_KEY.encode(), workers=1)
    with_memory = turns(tiny_history)
    assert with_memory[("c5", 0)] == with_memory[("c1", 1)]
    assert with_memory[("c5", 1)] == with_memory[("c2", 0)]
    assert with_memory[("c6", 0)] == "<PERSON_2> said <PERSON_1> still uses <PHONE_1>."

    tiny_history.execute("delete from private.pseudonyms")
    monkeypatch.setattr(numbering, "RECENT_SCRUBBED", 0)
    forgotten = scrub_drop(tiny_history, "d1", config, TEST_KEY.encode(), workers=1)
    assert turns(tiny_history) == with_memory
    assert forgotten.findings == remembered.findings
    assert forgotten.propagated_names == remembered.propagated_names > 0


def test_rows_are_staged_in_a_database_file_of_their_own(tiny_history, monkeypatch):
    # The write pass reads the warehouse while it stages: rows appended to the warehouse itself
    # stay in DuckDB's memory until the read ends (no checkpoint meanwhile), and at 500k
    # conversations they squeezed the read's sort out of its 256MB.
    scrubber = DropScrubber(tiny_history, ScrubberConfig.load(), TEST_KEY.encode(), workers=1)
    scrubber.prepare()
    scrubber.find("d1")
    staged_in = []
    real_insert = scrubber.staging.insert

    def insert_and_look(table, frame):
        real_insert(table, frame)
        staged_in.append(
            tiny_history.execute(
                "select d.path, count(*) from duckdb_databases() d join duckdb_tables() t "
                "using (database_name) where database_name = 'scrub_staging' group by d.path"
            ).fetchone()
        )

    monkeypatch.setattr(scrubber.staging, "insert", insert_and_look)
    scrubber.write("d1")
    (warehouse,) = tiny_history.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()
    assert {path for path, _ in staged_in} == {
        str(Path(warehouse).with_suffix(".scrub-staging.duckdb"))
    }
    assert len(turns(tiny_history)) == 4


def test_the_numbering_of_a_drops_scopes_is_read_in_one_query(tiny_history, monkeypatch):
    config = ScrubberConfig.load()
    scrub_drop(tiny_history, "d1", config, TEST_KEY.encode(), workers=1)
    _raw_conversation(tiny_history, "c4", "u1", "d2", ["Dinner with Tom Becker and Maria Lopez."])
    _raw_conversation(tiny_history, "c5", "u2", "d2", ["Tom Becker called."])
    _raw_conversation(tiny_history, "c6", "u3", "d2", ["Call me at +1 212 555 0187."])
    monkeypatch.setattr(drop_rows, "BATCH_ROWS", 1)
    queries = _count_queries(monkeypatch, "wanted_scopes")
    scrub_drop(tiny_history, "d2", config, TEST_KEY.encode(), workers=1)
    assert queries == [3], "the three users' scopes, named or not, at once"
    assert turns(tiny_history)[("c4", 0)] == "Dinner with <PERSON_1> and <PERSON_2>."
    assert turns(tiny_history)[("c5", 0)] == "<PERSON_1> called."
    assert turns(tiny_history)[("c6", 0)] == "Call me at <PHONE_1>."


def test_new_pseudonyms_wait_on_disk_until_the_swap_and_are_lost_with_a_failed_drop(
    tiny_history, monkeypatch
):
    monkeypatch.setattr(drop_rows, "BATCH_ROWS", 1)
    scrubber = DropScrubber(tiny_history, ScrubberConfig.load(), TEST_KEY.encode(), workers=1)
    scrubber.prepare()
    scrubber.find("d1")
    seen = []  # (numbers staged, numbers pending) as each batch is inserted

    def insert_and_look(table, frame):
        real_insert(table, frame)
        seen.append(
            (
                tiny_history.execute(
                    f"select count(*) from {staging.STAGED_PSEUDONYMS}"
                ).fetchone()[0],
                len(scrubber.pseudonymizer.pending),
            )
        )

    real_insert = scrubber.staging.insert
    monkeypatch.setattr(scrubber.staging, "insert", insert_and_look)

    def killed_before_the_swap(drop_id):
        raise RuntimeError("killed before the swap")

    monkeypatch.setattr(scrubber, "_swap_in", killed_before_the_swap)
    with pytest.raises(RuntimeError):
        scrubber.write("d1")
    # What a batch numbers is on disk before the next batch: nothing piles up in memory.
    assert any(pending for _, pending in seen)
    assert all(
        later == staged + pending
        for (staged, pending), (later, _) in zip(seen, seen[1:], strict=False)
    )
    assert tiny_history.execute("select count(*) from private.pseudonyms").fetchone()[0] == 0

    report = scrub_drop(tiny_history, "d1", ScrubberConfig.load(), TEST_KEY.encode(), workers=1)
    assert (
        tiny_history.execute("select count(*) from private.pseudonyms").fetchone()[0]
        == (report.new_pseudonyms)
        == seen[-1][0] + seen[-1][1]
    )


def test_scrubbed_key_hashes_identifier_columns_of_a_key(tiny_history):
    scrubber = DropScrubber(tiny_history, ScrubberConfig.load(), TEST_KEY.encode(), workers=1)
    key = scrubber.hashing.scrubbed_key("stage1_reviews", {"annotator_id": "abc", "user_id": "u1"})
    assert key == {
        "annotator_id": hash_identifier(TEST_KEY.encode(), "annotator_id", "abc"),
        "user_id": hash_identifier(TEST_KEY.encode(), "user_id", "u1"),
    }


def test_a_key_delivered_again_by_a_later_drop_replaces_the_earlier_row(tiny_history):
    config = ScrubberConfig.load()
    scrub_drop(tiny_history, "d1", config, TEST_KEY.encode(), workers=1)
    # Ingest moves a re-delivered record to the later drop; scrub must follow, not duplicate it.
    tiny_history.execute("delete from raw.turns where conversation_id = 'c1' and turn_index = 0")
    tiny_history.execute(
        "insert into raw.turns values ('c1', 0, 'user', 'Tom Becker again.', "
        "null, null, 'd2', 'c.jsonl', 1)"
    )
    scrub_drop(tiny_history, "d2", config, TEST_KEY.encode(), workers=1)
    rows = tiny_history.execute(
        "select _drop_id, content from scrubbed.turns where conversation_id = ? and turn_index = 0",
        [conversation_key("c1")],
    ).fetchall()
    assert rows == [("d2", "<PERSON_1> again.")]
    assert tiny_history.execute("select count(*) from scrubbed.turns").fetchone()[0] == 4
    attached = tiny_history.execute("select database_name from duckdb_databases()").fetchall()
    assert ("scrub_staging",) not in attached
    (path,) = tiny_history.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()
    assert not Path(path).with_suffix(".scrub-staging.duckdb").exists(), (
        "the staging database is deleted once the drop is swapped in"
    )


def test_a_conversation_delivered_again_with_fewer_turns_keeps_none_of_its_old_turns(
    tiny_history,
):
    config = ScrubberConfig.load()
    scrub_drop(tiny_history, "d1", config, TEST_KEY.encode(), workers=1)
    # Ingest moved c1 (two turns in d1) to d2, where it came again with one turn.
    for table in ("conversations", "turns"):
        tiny_history.execute(f"delete from raw.{table} where conversation_id = 'c1'")
    _raw_conversation(tiny_history, "c1", "u1", "d2", ["Tom Becker again."])
    scrub_drop(tiny_history, "d2", config, TEST_KEY.encode(), workers=1)
    rows = tiny_history.execute(
        "select turn_index, _drop_id from scrubbed.turns where conversation_id = ?",
        [conversation_key("c1")],
    ).fetchall()
    assert rows == [(0, "d2")]


def test_an_email_placed_in_a_conversation_id_is_hashed_like_any_conversation_id(tiny_history):
    _raw_conversation(tiny_history, "maria.lopez88@gmail.com", "u1", "d1", ["Hello there."])
    scrub_drop(tiny_history, "d1", ScrubberConfig.load(), TEST_KEY.encode(), workers=1)
    ids = {
        c
        for table in ("conversations", "turns")
        for (c,) in tiny_history.execute(f"select conversation_id from scrubbed.{table}").fetchall()
    }
    assert conversation_key("maria.lopez88@gmail.com") in ids
    assert all(c.startswith("conversation_") and "@" not in c for c in ids)


def test_the_header_keeps_only_the_client_kind_of_its_user_agent(tiny_history):
    headers = {
        "c1": {"user-agent": "python-requests/2.31", "accept-language": "en-US"},
        "c2": {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0"},
        "c3": {"accept-language": "fr-FR"},
    }
    for conversation_id, header in headers.items():
        tiny_history.execute(
            "update raw.conversations set header = ? where conversation_id = ?",
            [json.dumps(header), conversation_id],
        )
    scrub_drop(tiny_history, "d1", ScrubberConfig.load(), TEST_KEY.encode(), workers=1)
    kept = dict(
        tiny_history.execute(
            "select conversation_id, header::varchar from scrubbed.conversations"
        ).fetchall()
    )
    assert kept == {
        conversation_key("c1"): '{"client_kind": "programmatic"}',
        conversation_key("c2"): '{"client_kind": "browser"}',
        conversation_key("c3"): None,
    }


@pytest.mark.parametrize(
    ("precision", "kept"),
    [
        (None, "2023-08-07 00:00:00"),
        ("hour", "2023-08-07 02:00:00"),
        ("minute", "2023-08-07 02:11:00"),
        ("second", "2023-08-07 02:11:36"),
    ],
)
def test_timestamps_keep_the_precision_the_environment_sets_the_day_by_default(
    tiny_history, monkeypatch, precision, kept
):
    if precision is None:
        monkeypatch.delenv("PIPELINES_TIMESTAMP_PRECISION", raising=False)
    else:
        monkeypatch.setenv("PIPELINES_TIMESTAMP_PRECISION", precision)
    for table in ("conversations", "turns"):
        tiny_history.execute(
            f"update raw.{table} set \"timestamp\" = '2023-08-07T02:11:36.250+00:00'::timestamptz"
        )
    scrub_drop(tiny_history, "d1", ScrubberConfig.load(), TEST_KEY.encode(), workers=1)
    for table in ("conversations", "turns"):
        stamps = {
            s
            for (s,) in tiny_history.execute(
                f"select strftime(\"timestamp\" at time zone 'UTC', '%Y-%m-%d %H:%M:%S.%f') "
                f"from scrubbed.{table}"
            ).fetchall()
        }
        assert stamps == {f"{kept}.000000"}, table


def test_an_unknown_timestamp_precision_is_refused(tiny_history, monkeypatch):
    monkeypatch.setenv("PIPELINES_TIMESTAMP_PRECISION", "week")
    with pytest.raises(ValueError, match="PIPELINES_TIMESTAMP_PRECISION"):
        scrub_drop(tiny_history, "d1", ScrubberConfig.load(), TEST_KEY.encode(), workers=1)


def test_a_detector_failure_names_the_record_and_writes_nothing(tiny_history, monkeypatch):
    poisoned = "Maria said Tom Becker still uses (212) 555-0187."
    detect = Detector.detect

    def fails_on_the_poisoned_text(self, texts, routes):
        if poisoned in texts:
            raise ValueError(f"Text of length {len(poisoned)} exceeds maximum")
        return detect(self, texts, routes)

    monkeypatch.setattr(Detector, "detect", fails_on_the_poisoned_text)
    with pytest.raises(ScrubRecordError) as failed:
        scrub_drop(tiny_history, "d1", ScrubberConfig.load(), TEST_KEY.encode(), workers=1)
    message = str(failed.value)
    assert message.startswith(
        f"turns [conversation_id={conversation_key('c2')}, turn_index=0] content: "
    )
    assert f"({len(poisoned):,} characters, ValueError)" in message
    assert "Maria" not in message and "555" not in message and "c2," not in message
    written = tiny_history.execute(
        "select count(*) from information_schema.tables where table_schema = 'scrubbed'"
    ).fetchone()[0]
    assert (
        written == 0
        or tiny_history.execute("select count(*) from scrubbed.turns").fetchone()[0] == 0
    )
