select
        customer_id, version_number,
        count(*) as occurrences
    from "c360"."core"."dim_customers"
    group by customer_id, version_number
    having count(*) > 1
