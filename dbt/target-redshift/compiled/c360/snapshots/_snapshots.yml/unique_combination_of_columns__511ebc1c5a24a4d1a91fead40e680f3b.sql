select
        product_id, dbt_valid_from,
        count(*) as occurrences
    from "c360"."snapshots"."snapshot_shop__products"
    group by product_id, dbt_valid_from
    having count(*) > 1
