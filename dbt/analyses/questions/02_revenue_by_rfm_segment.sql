-- Where does the revenue come from? Customers and lifetime net revenue per RFM segment,
-- with each segment's share of customers and of revenue (Champions usually hold far more
-- of the revenue than of the customers).
with

segments as (
    select
        rfm.segment,
        count(*) as customers,
        sum(lifetime.net_revenue) as net_revenue
    from {{ ref('rfm_segments') }} as rfm
    inner join {{ ref('customer_lifetime_value') }} as lifetime
        on rfm.customer_id = lifetime.customer_id
    group by rfm.segment
)

select
    segment,
    customers,
    net_revenue,
    round(100.0 * customers / sum(customers) over (), 1) as customer_share_percent,
    round(100.0 * net_revenue / nullif(sum(net_revenue) over (), 0), 1) as revenue_share_percent
from segments
order by net_revenue desc
