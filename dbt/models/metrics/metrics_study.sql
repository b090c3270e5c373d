-- Who the study keeps: users passing the history filter, and how many each rule removes.
with
users as ( select * from {{ ref('int_user_histories') }} ),
reasons as ( select unnest(['not_english', 'scripted', 'few_conversations', 'few_turns']) as reason )
select
    'study' as stage,
    'users_in_study' as metric,
    source_kind as subject,
    count_if(in_study)::double as value,
    count(*) as n
from users
group by source_kind
union all
select
    'study', 'users_excluded', reasons.reason, count(users.user_id)::double,
    (select count(*) from users)
from reasons
left join users on users.exclusion_reason = reasons.reason
group by reasons.reason
