"""Every read of the app, by page. SQL that runs on DuckDB, PostgreSQL and Redshift alike.

Relations are ``{schema}.name`` (see ``app.warehouse``); values are ``:name`` parameters.
The global filters arrive as ``:start_date`` / ``:end_date`` (dates), ``:country`` and
``:channel`` ('' for all). The app reads marts only and computes no business metric: the
overview's tiles are the semantic layer's metrics (``app/metric_queries.py``, compiled from
dbt/models/semantic/), and a test checks that over the whole history they equal
``monthly_revenue``.

``PAGES`` maps each page to its queries; ``dbt/models/exposures.yml`` has one exposure per
page naming what they read, and a test fails when a query reads anything else.
"""

from __future__ import annotations

from app import metric_queries, vocabulary
from app.warehouse import Query

# --- overview ------------------------------------------------------------------------------

# The tiles: the semantic layer's metrics net_revenue, orders, customers and
# average_order_value (dbt/models/semantic/_metrics.yml) over :from_date to :to_date, for
# :country and :channel ('' for all), as MetricFlow compiles them (app/metric_queries.py).
KPIS = Query("kpis", metric_queries.KPIS)

MONTHLY_REVENUE = Query(
    "monthly_revenue",
    """
    select month_start, is_partial, orders, customers, new_customers, returning_customers,
        gross_revenue, returned_revenue, net_revenue, average_order_value, net_revenue_mom_growth
    from {analytics}.monthly_revenue
    where month_start between :start_month and :end_date
    order by month_start
    """,
)

DATA_RANGE = Query(
    "data_range",
    "select min(order_date) as first_day, max(order_date) as last_day from {core}.fct_orders",
)

COUNTRIES = Query(
    "countries",
    "select distinct country_code from {core}.fct_orders where country_code is not null order by 1",
)

CHANNELS = Query(
    "channels", "select distinct channel from {core}.fct_orders where channel is not null order by 1"
)

# --- CLV -----------------------------------------------------------------------------------

CLV_DISTRIBUTION = Query(
    "clv_distribution",
    """
    select v.customer_id, v.historical_clv, v.clv_tier, v.orders, v.probability_alive, v.predicted_clv_365d
    from {analytics}.customer_lifetime_value as v
    join {customer}.customer_360 as c on c.customer_id = v.customer_id
    where (:country = '' or c.country_code = :country)
    """,
)

CLV_TIERS = Query(
    "clv_tiers",
    """
    select v.clv_tier, count(*) as customers, sum(v.historical_clv) as historical_clv,
        avg(v.historical_clv) as average_clv, avg(v.orders) as average_orders,
        sum(v.predicted_clv_365d) as predicted_clv_365d, avg(v.probability_alive) as average_probability_alive
    from {analytics}.customer_lifetime_value as v
    join {customer}.customer_360 as c on c.customer_id = v.customer_id
    where (:country = '' or c.country_code = :country)
    group by v.clv_tier
    order by min(v.historical_clv) desc
    """,
)

TOP_CUSTOMERS = Query(
    "top_customers",
    """
    select v.customer_id, c.first_name, c.last_name, c.country_code, v.clv_tier,
        v.historical_clv, v.orders, v.average_order_value, v.first_order_at, v.last_order_at,
        v.probability_alive, v.predicted_clv_365d
    from {analytics}.customer_lifetime_value as v
    join {customer}.customer_360 as c on c.customer_id = v.customer_id
    where (:country = '' or c.country_code = :country)
    order by v.historical_clv desc, v.customer_id
    limit 25
    """,
)

# Valuable (the two top CLV tiers, platinum and gold: what they have spent) and slipping
# away (P(alive) under one half), most still to win first (predicted 365-day value).
TOP_TIERS = ", ".join(f"'{tier}'" for tier in vocabulary.clv_tiers()[:2])
SLIPPING_AWAY = Query(
    "slipping_away",
    f"""
    select v.customer_id, c.first_name, c.last_name, c.country_code, v.clv_tier, v.historical_clv,
        v.probability_alive, v.predicted_clv_365d, v.last_order_at
    from {{analytics}}.customer_lifetime_value as v
    join {{customer}}.customer_360 as c on c.customer_id = v.customer_id
    where v.clv_tier in ({TOP_TIERS}) and v.probability_alive < 0.5
        and (:country = '' or c.country_code = :country)
    order by v.predicted_clv_365d desc, v.customer_id
    limit 25
    """,
)

CLV_MODEL = Query(
    "clv_model",
    """
    select model, parameter, value, customers, log_likelihood, reason, as_of_date
    from {analytics}.clv_model_parameters
    order by model, parameter
    """,
)

# --- RFM -----------------------------------------------------------------------------------

RFM_SEGMENTS = Query(
    "rfm_segments",
    """
    select r.segment, count(*) as customers, sum(r.monetary) as monetary,
        avg(r.recency_days) as average_recency_days, avg(r.frequency) as average_frequency
    from {analytics}.rfm_segments as r
    join {customer}.customer_360 as c on c.customer_id = r.customer_id
    where (:country = '' or c.country_code = :country)
    group by r.segment
    order by customers desc
    """,
)

RFM_GRID = Query(
    "rfm_grid",
    """
    select r.recency_score, r.frequency_score, count(*) as customers, sum(r.monetary) as monetary
    from {analytics}.rfm_segments as r
    join {customer}.customer_360 as c on c.customer_id = r.customer_id
    where (:country = '' or c.country_code = :country)
    group by r.recency_score, r.frequency_score
    """,
)

RFM_MEMBERS = Query(
    "rfm_members",
    """
    select r.customer_id, c.first_name, c.last_name, c.country_code, r.rfm_code,
        r.recency_days, r.frequency, r.monetary, r.last_purchase_date
    from {analytics}.rfm_segments as r
    join {customer}.customer_360 as c on c.customer_id = r.customer_id
    where r.segment = :segment and (:country = '' or c.country_code = :country)
    order by r.monetary desc, r.customer_id
    limit 500
    """,
)

# --- cohorts -------------------------------------------------------------------------------

# The month holding "today" when it is not over yet (no row when the last month is complete).
PARTIAL_MONTH = Query(
    "partial_month",
    "select month_start from {analytics}.monthly_revenue where is_partial",
)

COHORTS = Query(
    "cohorts",
    """
    select cohort_month, months_since_first_order, cohort_size, active_customers,
        retention_rate, revenue
    from {analytics}.cohort_retention
    where cohort_month between :start_month and :end_date
    order by cohort_month, months_since_first_order
    """,
)

# --- churn ---------------------------------------------------------------------------------

CHURN_BANDS = Query(
    "churn_bands",
    """
    select k.churn_band, count(*) as customers, sum(coalesce(v.historical_clv, 0)) as historical_clv,
        avg(k.churn_score) as average_score, avg(k.churn_probability) as average_churn_probability,
        avg(k.no_purchase_probability_90d) as average_no_purchase_probability_90d
    from {analytics}.churn_risk as k
    left join {analytics}.customer_lifetime_value as v on v.customer_id = k.customer_id
    join {customer}.customer_360 as c on c.customer_id = k.customer_id
    where (:country = '' or c.country_code = :country)
    group by k.churn_band
    order by avg(k.churn_score) desc
    """,
)

# The customers of the riskiest churn band (high), most valuable first.
AT_RISK = Query(
    "at_risk",
    f"""
    select k.customer_id, c.first_name, c.last_name, c.country_code, k.churn_band, k.churn_score,
        k.no_purchase_probability_90d, k.churn_probability, k.days_since_last_purchase,
        k.expected_interval_days, k.engagement_trend,
        v.historical_clv
    from {{analytics}}.churn_risk as k
    join {{analytics}}.customer_lifetime_value as v on v.customer_id = k.customer_id
    join {{customer}}.customer_360 as c on c.customer_id = k.customer_id
    where k.churn_band = '{vocabulary.churn_bands()[0]}' and (:country = '' or c.country_code = :country)
    order by v.historical_clv desc, k.customer_id
    limit 50
    """,
)

# The last backtest of c360 clv validate: how well each churn measure ranked the customers
# who then did not buy (absent until it has run once).
CHURN_BACKTEST = Query(
    "churn_backtest",
    """
    select measure, auc, top_decile_lift, customers, churned_share, churn_window_days,
        calibration_end, measured_at
    from {ops}.clv_backtest
    order by measure
    """,
)

# --- funnel --------------------------------------------------------------------------------

FUNNEL = Query(
    "funnel",
    """
    select funnel, channel, utm_source, step, step_number, reached, step_conversion_rate,
        overall_conversion_rate
    from {analytics}.channel_funnel
    order by funnel, channel, utm_source, step_number
    """,
)

# --- products ------------------------------------------------------------------------------

PRODUCT_MATRIX = Query(
    "product_matrix",
    """
    select product_id, product_name, category, brand, units_sold, net_revenue, gross_margin,
        return_rate, view_to_purchase_rate, revenue_growth, quadrant
    from {analytics}.product_performance
    where not is_inferred
    order by net_revenue desc
    """,
)

TOP_PAIRS = Query(
    "top_pairs",
    """
    select a.antecedent_product_id, pa.product_name as antecedent_name,
        a.consequent_product_id, pc.product_name as consequent_name,
        a.orders_with_both, a.support, a.confidence, a.lift
    from {analytics}.product_affinity as a
    left join {analytics}.product_performance as pa on pa.product_id = a.antecedent_product_id
    left join {analytics}.product_performance as pc on pc.product_id = a.consequent_product_id
    where a.antecedent_product_id < a.consequent_product_id
    order by a.lift desc, a.orders_with_both desc, a.antecedent_product_id, a.consequent_product_id
    limit 25
    """,
)

BOUGHT_TOGETHER = Query(
    "bought_together",
    """
    select a.consequent_product_id as product_id, p.product_name, p.category,
        a.orders_with_both, a.confidence, a.lift
    from {analytics}.product_affinity as a
    left join {analytics}.product_performance as p on p.product_id = a.consequent_product_id
    where a.antecedent_product_id = :product_id
    order by a.confidence desc, a.lift desc, a.consequent_product_id
    limit 10
    """,
)

# --- geography -----------------------------------------------------------------------------

GEO_REVENUE = Query(
    "geo_revenue",
    """
    select country_code, country_name, region, latitude, longitude,
        sum(orders) as orders, sum(net_revenue) as net_revenue
    from {analytics}.geo_revenue
    where month_start between :start_month and :end_date
        and (:country = '' or country_code = :country)
    group by country_code, country_name, region, latitude, longitude
    order by net_revenue desc
    """,
)

# --- demand --------------------------------------------------------------------------------

DEMAND_PRODUCTS = Query(
    "demand_products",
    """
    select product_id, product_name, category
    from {analytics}.product_performance
    where units_sold > 0
    order by net_revenue desc
    """,
)

PRODUCT_DEMAND = Query(
    "product_demand",
    """
    select date_day, units, net_revenue, units_mean_7d, units_mean_28d, is_holiday
    from {analytics}.demand_forecast_base
    where product_id = :product_id and date_day between :start_date and :end_date
    order by date_day
    """,
)

CATEGORY_DEMAND = Query(
    "category_demand",
    """
    select d.date_day, sum(d.units) as units, sum(d.net_revenue) as net_revenue,
        sum(d.units_mean_7d) as units_mean_7d, sum(d.units_mean_28d) as units_mean_28d
    from {analytics}.demand_forecast_base as d
    join {analytics}.product_performance as p on p.product_id = d.product_id
    where p.category = :category and d.date_day between :start_date and :end_date
    group by d.date_day
    order by d.date_day
    """,
)

# --- customer 360 --------------------------------------------------------------------------

CUSTOMER_SEARCH = Query(
    "customer_search",
    """
    select customer_id, first_name, last_name, email, country_code, clv_tier, rfm_segment
    from {customer}.customer_360
    where customer_id = :term
        or lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) like :pattern
        or lower(coalesce(email, '')) like :pattern
    order by case when customer_id = :term then 0 else 1 end, net_revenue desc, customer_id
    limit 50
    """,
)

CUSTOMER_PROFILE = Query(
    "customer_profile",
    "select * from {customer}.customer_360 where customer_id = :customer_id",
)

CUSTOMER_ORDERS = Query(
    "customer_orders",
    """
    select o.order_id, o.order_date, o.channel, o.order_lines, o.units, o.gross_amount,
        o.returned_amount, o.net_amount, o.is_cancelled
    from {core}.fct_orders as o
    where o.customer_id = :customer_id
    order by o.ordered_at desc
    """,
)

CUSTOMER_SESSIONS = Query(
    "customer_sessions",
    """
    select session_id, session_started_at, duration_seconds, events, page_views, device_type,
        utm_source, utm_medium, has_add_to_cart, has_purchase
    from {core}.fct_sessions
    where customer_id = :customer_id
    order by session_started_at desc
    limit 200
    """,
)

CUSTOMER_EVENTS = Query(
    "customer_events",
    """
    select occurred_at, event_type, page_url, product_id, order_id, device_type
    from {core}.fct_events
    where customer_id = :customer_id
    order by occurred_at desc
    limit 500
    """,
)

# --- pipeline health -----------------------------------------------------------------------

RUNS = Query(
    "runs",
    """
    select run_id, target, status, started_at, finished_at, seconds, failed_step, document
    from {ops}.run_ledger
    order by started_at desc
    limit 50
    """,
)

PAGES: dict[str, tuple[Query, ...]] = {
    "filters": (DATA_RANGE, COUNTRIES, CHANNELS),
    "overview": (KPIS, MONTHLY_REVENUE),
    "clv": (CLV_DISTRIBUTION, CLV_TIERS, SLIPPING_AWAY, TOP_CUSTOMERS, CLV_MODEL),
    "rfm": (RFM_SEGMENTS, RFM_GRID, RFM_MEMBERS),
    "cohorts": (COHORTS, PARTIAL_MONTH),
    "churn": (CHURN_BANDS, CHURN_BACKTEST, AT_RISK),
    "funnel": (FUNNEL,),
    "products": (PRODUCT_MATRIX, TOP_PAIRS, BOUGHT_TOGETHER),
    "geography": (GEO_REVENUE,),
    "demand": (DEMAND_PRODUCTS, PRODUCT_DEMAND, CATEGORY_DEMAND),
    "customer_360": (CUSTOMER_SEARCH, CUSTOMER_PROFILE, CUSTOMER_ORDERS, CUSTOMER_SESSIONS, CUSTOMER_EVENTS),
    "pipeline_health": (RUNS,),
}
