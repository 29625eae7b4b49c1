{#- Which products are bought together. Baskets are purchases (orders not cancelled; a
    returned line still counts as bought together). For an ordered pair (antecedent,
    consequent): support = orders with both / all purchases; confidence = orders with both /
    orders with the antecedent; lift = confidence / share of orders with the consequent.
    Only pairs with at least var c360_affinity_min_orders orders with both. -#}
with

purchase_lines as (
    select * from {{ ref('fct_order_lines') }}
    where not is_cancelled
),

baskets as (
    select distinct
        order_id,
        product_id
    from purchase_lines
),

totals as (
    select count(distinct order_id) as purchases from baskets
),

product_orders as (
    select
        product_id,
        count(*) as orders_with_product
    from baskets
    group by product_id
),

pairs as (
    select
        antecedent.product_id as antecedent_product_id,
        consequent.product_id as consequent_product_id,
        count(*) as orders_with_both
    from baskets as antecedent
    inner join baskets as consequent
        on
            antecedent.order_id = consequent.order_id
            and antecedent.product_id != consequent.product_id
    group by antecedent.product_id, consequent.product_id
    having count(*) >= {{ var('c360_affinity_min_orders') }}
),

final as (
    select
        pairs.antecedent_product_id,
        pairs.consequent_product_id,
        cast(pairs.orders_with_both as bigint) as orders_with_both,
        cast(
            {{ c360_ratio('pairs.orders_with_both', 'totals.purchases', scale=6, input_scale=0) }}
            as numeric(18, 6)
        ) as support,  -- noqa: RF04
        cast(
            {{ c360_ratio(
                'pairs.orders_with_both', 'antecedents.orders_with_product', scale=6, input_scale=0
            ) }} as numeric(18, 6)
        ) as confidence,
        cast(
            {{ c360_ratio(
                'pairs.orders_with_both * totals.purchases',
                'antecedents.orders_with_product * consequents.orders_with_product',
                scale=6,
                input_scale=0,
            ) }} as numeric(18, 6)
        ) as lift
    from pairs
    cross join totals
    inner join product_orders as antecedents
        on pairs.antecedent_product_id = antecedents.product_id
    inner join product_orders as consequents
        on pairs.consequent_product_id = consequents.product_id
)

select * from final
