-- The residual-leak scan of every published config (its suite's `leak_scan_query` parameter,
-- passed by pipelines/quality/published.py): the rows, named by split and position, whose JSON
-- holds an e-mail address, a 24-hex platform ID or a public IPv4 address. One pattern (any of the
-- three kinds) picks the rows the precise checks then read: at 50k conversations the published
-- checks took 9.0 s instead of 14 s (docs/benchmarks.md). Braces are doubled because GE fills
-- in the batch with Python's str.format.
with published_row as (select *, row_number() over () as row_in_config from {batch}),
texts as (
    select _split, row_in_config, to_json(published_row)::varchar as json
    from published_row),
candidates as (
    select * from texts
    where regexp_matches(json,
        '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]*[A-Za-z]{{2,}}|(^|[^0-9a-f])[0-9a-f]{{24}}([^0-9a-f]|$)|(^|[^0-9.])(\d{{1,3}}\.){{3}}\d{{1,3}}([^0-9.]|$)'))
select _split, row_in_config from candidates
where regexp_matches(json,
    '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]*[A-Za-z]{{2,}}|(^|[^0-9a-f])[0-9a-f]{{24}}([^0-9a-f]|$)')
   or exists (
    select 1
    from unnest(regexp_extract_all(json,
        '(?:^|[^0-9.])((?:\d{{1,3}}\.){{3}}\d{{1,3}})(?:[^0-9.]|$)', 1)) as found(address)
    where not regexp_matches(address,
        '^(0|10|127|22[4-9]|2[3-5][0-9])\.|^169\.254\.|^192\.168\.|^172\.(1[6-9]|2[0-9]|3[01])\.'))
