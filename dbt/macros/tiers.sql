{% macro c360_tier_by_share(share, tiers) %}
    {#- The name of the first tier whose top_share the share does not exceed: tiers is a
        list of {tier, top_share} from a var, best first (e.g. var c360_clv_tiers). -#}
    case
        {%- for tier in tiers %}
        when {{ share }} <= {{ tier['top_share'] }} then '{{ tier['tier'] }}'
        {%- endfor %}
    end
{%- endmacro %}
