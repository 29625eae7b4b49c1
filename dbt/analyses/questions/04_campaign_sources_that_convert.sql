-- Which campaign sources bring visitors who buy? Per channel and utm_source: the people who
-- visited from it and the share who bought within the journey window of such a visit
-- (the journey funnel), beside the sessions and the share that bought in the same session
-- (the in-session funnel). Largest sources first.
with

steps as (
    select * from {{ ref('channel_funnel') }}
),

visits as (
    select
        channel,
        utm_source,
        sum(case when funnel = 'journey' then reached end) as people,
        sum(case when funnel = 'in_session' then reached end) as sessions
    from steps
    where step = 'visit'
    group by channel, utm_source
),

purchases as (
    select
        channel,
        utm_source,
        sum(case when funnel = 'journey' then reached end) as buying_people,
        sum(case when funnel = 'journey' then overall_conversion_rate end)
            as journey_conversion_rate,
        sum(case when funnel = 'in_session' then reached end) as buying_sessions,
        sum(case when funnel = 'in_session' then overall_conversion_rate end)
            as session_conversion_rate
    from steps
    where step = 'purchase'
    group by channel, utm_source
)

select
    visits.channel,
    visits.utm_source,
    visits.people,
    purchases.buying_people,
    purchases.journey_conversion_rate,
    visits.sessions,
    purchases.buying_sessions,
    purchases.session_conversion_rate
from visits
inner join purchases
    on
        visits.channel = purchases.channel
        and visits.utm_source = purchases.utm_source
order by visits.people desc, visits.channel asc, visits.utm_source asc
