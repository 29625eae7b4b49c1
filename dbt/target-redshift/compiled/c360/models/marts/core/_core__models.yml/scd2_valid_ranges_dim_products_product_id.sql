with versions as (
        select
            product_id as version_key,
            valid_from as version_from,
            valid_to as version_to,
            lead(valid_from) over (
                partition by product_id order by valid_from
            ) as next_from
        from "c360"."core"."dim_products"
    ),

    overlapping as (
        select version_key, 'overlaps the next version' as problem
        from versions
        where
            (version_to is not null and next_from is not null and version_to > next_from)
            or (version_to is null and next_from is not null)
            or (version_to is not null and version_to <= version_from)
    ),

    current_rows as (
        select version_key, sum(case when version_to is null then 1 else 0 end) as current_versions
        from versions
        group by version_key
    ),

    not_one_current as (
        select version_key, 'has no single current version' as problem
        from current_rows
        where current_versions != 1
    )

    select * from overlapping
    union all
    select * from not_one_current
