-- Are newer customers stickier than older ones? The share of each monthly cohort that
-- bought again in its third month after the first purchase, beside the cohort's size, for
-- every cohort old enough to have a third month.
select
    cohort_month,
    cohort_size,
    active_customers as active_in_month_3,
    retention_rate as retention_month_3
from {{ ref('cohort_retention') }}
where months_since_first_order = 3
order by cohort_month
