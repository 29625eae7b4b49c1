-- Which campaign sources bring visitors who buy? Per channel and utm_source: sessions, the
-- sessions that reached a purchase and the overall conversion, largest sources first.
with

steps as (
    select * from {{ ref('channel_funnel') }}
)

select
    entered.channel,
    entered.utm_source,
    entered.sessions,
    purchased.sessions as purchasing_sessions,
    purchased.overall_conversion_rate
from steps as entered
inner join steps as purchased
    on
        entered.channel = purchased.channel
        and entered.utm_source = purchased.utm_source
        and purchased.step = 'purchase'
where entered.step_number = 1
order by entered.sessions desc, entered.channel, entered.utm_source
