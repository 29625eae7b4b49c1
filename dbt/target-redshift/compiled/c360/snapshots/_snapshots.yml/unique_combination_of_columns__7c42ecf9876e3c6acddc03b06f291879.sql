select
        customer_id, dbt_valid_from,
        count(*) as occurrences
    from "c360"."snapshots"."snapshot_shop__customers"
    group by customer_id, dbt_valid_from
    having count(*) > 1
