-- Which products should we bundle or cross-sell? Pairs bought together much more often
-- than chance (lift above 1.5), strongest first, with both products' names and how each
-- sells on its own.
select
    pairs.antecedent_product_id,
    antecedent.product_name as antecedent_name,
    pairs.consequent_product_id,
    consequent.product_name as consequent_name,
    pairs.orders_with_both,
    pairs.confidence,
    pairs.lift,
    antecedent.quadrant as antecedent_quadrant,
    consequent.quadrant as consequent_quadrant
from {{ ref('product_affinity') }} as pairs
inner join {{ ref('product_performance') }} as antecedent
    on pairs.antecedent_product_id = antecedent.product_id
inner join {{ ref('product_performance') }} as consequent
    on pairs.consequent_product_id = consequent.product_id
where pairs.lift > 1.5
order by pairs.lift desc, pairs.orders_with_both desc, pairs.antecedent_product_id, pairs.consequent_product_id
