{#- How each product sells, as of as_of_date: units, revenue net of returns, margin and
    return rate over its lifetime; views, add-to-carts and view-to-purchase conversion from
    the clickstream; revenue growth over the last window against the one before; and a
    quadrant from those two (var c360_product_quadrants):

      star: high revenue, growing        cash_cow: high revenue, not growing
      question_mark: low revenue, growing     dog: low revenue, not growing

    "High revenue" is a rank by net revenue in the recent window among the products that
    sold in it; "growing" is growth of at least the threshold, or revenue in the recent
    window after none in the one before (a new product). A product that sold in neither
    window has no quadrant (null): there is nothing to place. Margin is unknown (null)
    when the cost of a line it sold is unknown, never 0. -#}
{%- set quadrants = var('c360_product_quadrants') -%}
{%- set window_days = quadrants['window_days'] -%}
with

products as (
    select * from {{ ref('dim_products') }}
    where is_current
),

purchase_lines as (
    select
        *,
        {{ dbt.datediff('order_date', c360_as_of_date(), 'day') }} as days_ago
    from {{ ref('fct_order_lines') }}
    where not is_cancelled
),

events as (
    select * from {{ ref('fct_events') }}
),

sales as (
    select
        product_id,
        sum(quantity) as units_sold,
        sum(case when is_returned then quantity else 0 end) as units_returned,
        count(distinct order_id) as orders,
        sum(net_revenue) as net_revenue,
        case when count(gross_margin) = count(*) then sum(gross_margin) end as gross_margin,
        sum(case when days_ago < {{ window_days }} then net_revenue else 0 end)
            as recent_net_revenue,
        sum(
            case
                when days_ago >= {{ window_days }} and days_ago < 2 * {{ window_days }}
                    then net_revenue
                else 0
            end
        ) as previous_net_revenue
    from purchase_lines
    group by product_id
),

web_activity as (
    select
        product_id,
        sum(case when event_type = 'product_view' then 1 else 0 end) as product_views,
        sum(case when event_type = 'add_to_cart' then 1 else 0 end) as add_to_carts
    from events
    where product_id is not null
    group by product_id
),

-- Conversion follows visitors (devices), not events: a viewer converted when the same
-- device later sent a purchase event for an order holding the product.
first_views as (
    select
        product_id,
        anonymous_id,
        min(occurred_at) as first_viewed_at
    from events
    where event_type = 'product_view' and product_id is not null
    group by product_id, anonymous_id
),

purchased_on_web as (
    select distinct
        purchase_lines.product_id,
        events.anonymous_id,
        events.occurred_at
    from events
    inner join purchase_lines
        on events.order_id = purchase_lines.order_id
    where events.event_type = 'purchase'
),

converted_viewers as (
    select distinct
        first_views.product_id,
        first_views.anonymous_id
    from first_views
    inner join purchased_on_web
        on
            first_views.product_id = purchased_on_web.product_id
            and first_views.anonymous_id = purchased_on_web.anonymous_id
            and first_views.first_viewed_at <= purchased_on_web.occurred_at
),

conversion as (
    select
        first_views.product_id,
        count(*) as viewers,
        count(converted_viewers.anonymous_id) as purchasing_viewers
    from first_views
    left join converted_viewers
        on
            first_views.product_id = converted_viewers.product_id
            and first_views.anonymous_id = converted_viewers.anonymous_id
    group by first_views.product_id
),

measured as (
    select
        products.product_id,
        products.product_name,
        products.category,
        products.brand,
        products.is_inferred,
        coalesce(sales.units_sold, 0) as units_sold,
        coalesce(sales.units_returned, 0) as units_returned,
        coalesce(sales.orders, 0) as orders,
        coalesce(sales.net_revenue, 0) as net_revenue,
        case when sales.product_id is null then 0 else sales.gross_margin end as gross_margin,
        coalesce(web_activity.product_views, 0) as product_views,
        coalesce(web_activity.add_to_carts, 0) as add_to_carts,
        coalesce(conversion.viewers, 0) as viewers,
        coalesce(conversion.purchasing_viewers, 0) as purchasing_viewers,
        coalesce(sales.recent_net_revenue, 0) as recent_net_revenue,
        coalesce(sales.previous_net_revenue, 0) as previous_net_revenue
    from products
    left join sales
        on products.product_id = sales.product_id
    left join web_activity
        on products.product_id = web_activity.product_id
    left join conversion
        on products.product_id = conversion.product_id
),

-- Ranked among the products that sold in the recent window only: a product is not high
-- revenue for beating products that sold nothing.
recent_ranks as (
    select
        product_id,
        percent_rank() over (order by recent_net_revenue desc) as recent_revenue_rank
    from measured
    where recent_net_revenue > 0
),

ranked as (
    select
        measured.*,
        recent_ranks.recent_revenue_rank,
        case
            when measured.previous_net_revenue > 0
                then {{ c360_ratio(
                    'measured.recent_net_revenue', 'measured.previous_net_revenue', scale=4
                ) }} - 1
        end as revenue_growth
    from measured
    left join recent_ranks
        on measured.product_id = recent_ranks.product_id
),

final as (
    select
        product_id,
        product_name,
        category,
        brand,
        is_inferred,
        cast(units_sold as integer) as units_sold,
        cast(units_returned as integer) as units_returned,
        cast(orders as integer) as orders,
        cast(net_revenue as numeric(18, 2)) as net_revenue,
        cast(gross_margin as numeric(18, 2)) as gross_margin,
        cast(
            {{ c360_ratio('units_returned', 'units_sold', scale=4, input_scale=0) }}
            as numeric(18, 4)
        ) as return_rate,
        cast(product_views as integer) as product_views,
        cast(add_to_carts as integer) as add_to_carts,
        cast(viewers as integer) as viewers,
        cast(purchasing_viewers as integer) as purchasing_viewers,
        cast(
            {{ c360_ratio('purchasing_viewers', 'viewers', scale=4, input_scale=0) }}
            as numeric(18, 4)
        ) as view_to_purchase_rate,
        cast(recent_net_revenue as numeric(18, 2)) as recent_net_revenue,
        cast(previous_net_revenue as numeric(18, 2)) as previous_net_revenue,
        cast(revenue_growth as numeric(18, 4)) as revenue_growth,
        cast(
            case
                when
                    recent_net_revenue > 0
                    and recent_revenue_rank <= {{ quadrants['high_revenue_top_share'] }}
                    then
                        case
                            when
                                revenue_growth >= {{ quadrants['growing_from'] }}
                                or previous_net_revenue <= 0
                                then 'star'
                            else 'cash_cow'
                        end
                when
                    recent_net_revenue > 0
                    and (
                        revenue_growth >= {{ quadrants['growing_from'] }}
                        or previous_net_revenue <= 0
                    )
                    then 'question_mark'
                when recent_net_revenue > 0 or previous_net_revenue > 0 then 'dog'
            end
            as {{ dbt.type_string() }}
        ) as quadrant,
        {{ c360_as_of_date() }} as as_of_date
    from ranked
)

select * from final
