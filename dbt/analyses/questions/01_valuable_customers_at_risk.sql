-- Which of our most valuable customers are we about to lose, and can we reach them?
-- Platinum and gold customers (customer_lifetime_value tiers) in the high churn band, most
-- valuable first, with what a retention campaign needs: consent, preferred channel,
-- favourite category and how long since they last bought.
select
    profile.customer_id,
    profile.clv_tier,
    profile.historical_clv,
    profile.churn_score,
    churn.days_since_last_purchase,
    churn.expected_interval_days,
    churn.engagement_trend,
    profile.favourite_category,
    profile.preferred_channel,
    profile.is_marketing_opt_in
from {{ ref('customer_360') }} as profile
inner join {{ ref('churn_risk') }} as churn
    on profile.customer_id = churn.customer_id
where
    profile.clv_tier in ('platinum', 'gold')
    and profile.churn_band = 'high'
order by profile.historical_clv desc, profile.customer_id
