{#- Every row of the transactions exports in the lake, as the files hold it (text), read once:
    incremental by lake file (see lake_files.sql). -#}
{{
    config(
        materialized='incremental',
        pre_hook="{{ c360_forget_files_gone('shop', 'transactions') }}",
    )
}}

{{ c360_landed_rows('shop', 'transactions') }}
