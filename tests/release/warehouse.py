"""A small warehouse with marts shaped like dbt's, for release tests.

Users, attributes, prompts and judgments are generated deterministically; `add_users` and
`drop_rows` change them the way a new drop would, so tests know exactly what a release must say.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

MARTS_DDL = """
create or replace table main.users as
select
    'user_' || md5('u' || i) as user_id,
    case when i % 5 = 0 then 'synthetic' else 'real' end as source_kind,
    3 + i % 4 as n_conversations,
    (10 + i % 7)::bigint as n_attributes
from range(__FIRST__, __LAST__) t(i);

create or replace table main.conversations as
select
    'conv_' || i || '_' || c as conversation_id,
    'user_' || md5('u' || i) as user_id,
    'wildchat' as source,
    timestamp with time zone '2023-05-01 10:00:00+00' + to_days((i * 7 + c)::int) as started_at,
    [
        {'turn_index': 0, 'role': 'user', 'content': 'How do I learn French verbs? (' || i || ')'},
        {'turn_index': 1, 'role': 'assistant', 'content': 'Start with <PERSON_1>''s list.'}
    ] as turns
from range(__FIRST__, __LAST__) t(i), range(3) s(c);

create or replace table main.stage1_attributes as
select
    'attr_' || i || '_' || a as attribute_id,
    'user_' || md5('u' || i) as user_id,
    'is learning French | level ' || a as attribute,
    ['accepted', 'uncertain', 'rejected'][1 + (i + a) % 3] as label,
    case when (i + a) % 3 = 2 then 'overgeneralization' end as failure_category,
    (i + a) % 3 = 2 as problematic,
    'extractor-v1' as extractor_model
from range(__FIRST__, __LAST__) t(i), range(4) s(a);

create or replace table main.stage2_relevance as
select
    'user_' || md5('u' || i) as user_id,
    'attr_' || i || '_' || a as attribute_id,
    'prompt_' || p as prompt_id,
    (i + a + p) % 4 as human_relevant_votes,
    (i + a + p) % 4 >= 2 as consensus_relevant,
    [{'judge': 'llm_a', 'relevant': (i + p) % 2 = 0}, {'judge': 'llm_b', 'relevant': true}]
        as llm_judgments
from range(__FIRST__, __LAST__) t(i), range(2) s(a), range(3) q(p);

create or replace table main.stage3_preferences as
select
    'item_' || i || '_' || p as item_id,
    'user_' || md5('u' || i) as user_id,
    'prompt_' || p as prompt_id,
    'gen-model' as generator_model,
    'A generic answer.' as generic_response,
    'An answer for someone learning French.' as personalized_response,
    (1 + (i + p) % 5)::double as human_mean_rating,
    (i + p) % 2 = 0 as mentions_attribute_explicitly
from range(__FIRST__, __LAST__) t(i), range(2) s(p);
"""

STATIC_DDL = """
create or replace table main.prompts as
select 'prompt_' || p as prompt_id, 'Write a short poem about ' || p as prompt_text,
       'lima' as source
from range(3) t(p);

create or replace table main.metrics as
select * from (values
    ('stage1', 'share_rejected', 'real', 0.31, 120::bigint),
    ('stage2', 'cohen_kappa_mean', 'human-human', 0.43, 300::bigint),
    ('stage2', 'f1', 'llm_a', 0.515, 300::bigint),
    ('stage3', 'mean_rating', 'human', 3.18, 80::bigint)
) t(stage, metric, subject, value, n);
alter table main.metrics alter value type double;

create schema if not exists private;
create or replace table private.pii_audit as
select * from (values
    ('drop-1', 'turns', 'content', 'wildchat', 'english', 'PERSON', 12::bigint),
    ('drop-1', 'turns', 'content', 'wildchat', 'english', 'EMAIL_ADDRESS', 3::bigint)
) t(_drop_id, table_name, field, source, language_group, entity_type, findings);
"""

PER_USER_TABLES = (
    "users",
    "conversations",
    "stage1_attributes",
    "stage2_relevance",
    "stage3_preferences",
)


def _marts(first: int, last: int) -> str:
    return MARTS_DDL.replace("__FIRST__", str(first)).replace("__LAST__", str(last))


def build(path: Path, n_users: int = 40) -> Path:
    with duckdb.connect(str(path)) as conn:
        conn.execute(_marts(0, n_users))
        conn.execute(STATIC_DDL)
    return path


def add_users(path: Path, first: int, last: int) -> None:
    """Users first..last-1 arrive with all their rows, as in a new drop."""
    with duckdb.connect(str(path)) as conn:
        for statement in _marts(first, last).split(";"):
            if statement.strip():
                name = statement.split("main.")[1].split()[0]
                select = statement.split(" as\n", 1)[1]
                conn.execute(f"insert into main.{name} {select}")


def rows(path: Path, table: str) -> int:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(f"select count(*) from main.{table}").fetchone()[0]
