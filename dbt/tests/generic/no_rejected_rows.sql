{% test no_rejected_rows(model) %}
    {#- On a `*_rejected` model: warns when staging rejected anything. One row per rejection
        reason with its count (stored with the test's failures), and the number of failures
        reported is the number of rejected rows. -#}
    {{ config(severity='warn', fail_calc='coalesce(sum(rejected_rows), 0)', warn_if='>0') }}
    select
        rejection_reason,
        count(*) as rejected_rows
    from {{ model }}
    group by rejection_reason
{% endtest %}
