"""The Parquet export: row groups capped by rows and by bytes, files split by rows, same bytes
for the same rows."""

from __future__ import annotations

import hashlib

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.release import export
from pipelines.release.configs import CONFIGS

CONVERSATIONS = next(c for c in CONFIGS if c.name == "conversations")


def _export(db, out, **kwargs) -> list[list[int]]:
    """Rows per row group of each file of conversations' one split, every user in it."""
    with duckdb.connect(str(db), read_only=True) as conn:
        users = [u for (u,) in conn.execute("select user_id from main.users").fetchall()]
        conn.register(
            export.SPLIT_RELATION,
            pa.table(
                {"user_id": users, "split": ["train"] * len(users), "shard": [0] * len(users)}
            ),
        )
        exported = export.export_config(conn, CONVERSATIONS, ["train"], out, **kwargs)
    files = [pq.ParquetFile(out / f["path"]) for f in exported.splits["train"].files]
    return [[f.metadata.row_group(i).num_rows for i in range(f.num_row_groups)] for f in files]


def test_row_groups_close_at_the_row_cap_or_the_byte_cap(warehouse_db, tmp_path, monkeypatch):
    monkeypatch.setattr(export, "READ_BATCH_ROWS", 16)
    monkeypatch.setattr(export, "ROW_GROUP_ROWS", 50)
    assert _export(warehouse_db, tmp_path / "rows") == [[50, 50, 20]]  # 40 users x 3
    assert _export(warehouse_db, tmp_path / "files", max_rows_per_file=70) == [[50, 20], [50]]
    monkeypatch.setattr(export, "ROW_GROUP_BYTES", 1)  # every read batch is past the cap
    assert _export(warehouse_db, tmp_path / "bytes") == [[16] * 7 + [8]]


def test_the_same_rows_give_the_same_bytes(warehouse_db, tmp_path):
    digests = []
    for run in ("first", "second"):
        _export(warehouse_db, tmp_path / run)
        digests.append(
            {
                p.relative_to(tmp_path / run): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in (tmp_path / run).rglob("*.parquet")
            }
        )
    assert digests[0] == digests[1] and digests[0]
