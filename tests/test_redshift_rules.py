"""Each Redshift rule is proven by a statement that breaks it, and by one that keeps it; and
dispatch never falls back from Redshift to a PostgreSQL variant of the project's macros."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from redshift_rules import RULE_NAMES, RULES, Statement, check, parse_errors

from c360.settings import DBT_PROJECT_DIR

# rule -> (a statement that breaks it, the same intent written as Redshift takes it)
PROOFS: dict[str, tuple[Statement, Statement]] = {
    "create-function": (
        Statement(
            "create or replace function public.c360_try_cast(value text, example anyelement)"
            " returns anyelement language plpgsql immutable as $$ begin return null; end; $$"
        ),
        Statement(
            "create or replace function public.f_greater(float, float) returns float stable"
            " as $$ select case when $1 > $2 then $1 else $2 end $$ language sql"
        ),
    ),
    "leader-node-only": (
        Statement("select current_schema() as here, count(*) from staging.stg_shop__customers"),
        Statement("select current_schema() as here"),
    ),
    "backslash-in-literal": (
        Statement("select coalesce(first_name, '\\N') from staging.stg_shop__customers"),
        Statement("select coalesce(first_name, 'n') || chr(92) from staging.stg_shop__customers"),
    ),
    "nested-with": (
        Statement(
            "create view staging.v as (with outer_cte as (with inner_cte as (select 1 as x)"
            " select * from inner_cte) select * from outer_cte) with no schema binding"
        ),
        Statement("select * from (with inner_cte as (select 1 as x) select * from inner_cte) as wrapped"),
    ),
    "values-as-table": (
        Statement("select * from (values ('C1'), ('C2')) as given (customer_id)"),
        Statement("select 'C1' as customer_id union all select 'C2'"),
    ),
    "late-binding-qualified": (
        Statement("create view staging.v as (select * from stg_shop__customers) with no schema binding"),
        Statement(
            "create view staging.v as (with c as (select * from staging.stg_shop__customers)"
            " select * from c) with no schema binding"
        ),
    ),
    "view-after-publish": (
        Statement(
            "create view intermediate.v as (select * from core__audit.fct_order_lines) with no schema binding"
        ),
        Statement(
            "create view intermediate.v as (select * from intermediate.int_order_lines_costed)"
            " with no schema binding"
        ),
    ),
    "external-ddl-outside-transactions": (
        Statement(
            "alter table raw_web.events add if not exists partition (dt = '2025-01-01', hr = '01')"
            " location 's3://lake/raw/web/events/dt=2025-01-01/hr=01/';",
            in_transaction=True,
        ),
        Statement(
            "alter table raw_web.events add if not exists partition (dt = '2025-01-01', hr = '01')"
            " location 's3://lake/raw/web/events/dt=2025-01-01/hr=01/';"
        ),
    ),
    "data-types": (
        Statement("select cast(page_url as varchar) as page_url from staging.stg_web__events"),
        Statement("select cast(page_url as varchar(65535)) as page_url from staging.stg_web__events"),
    ),
    "contract-types": (
        Statement(
            "select customer_id, first_name from intermediate.v union all"
            " select customer_id, cast(null as varchar(65535)) from intermediate.w",
            contract=True,
        ),
        Statement(
            "select customer_id, cast(case when score > 69 then 'high' else 'low' end as varchar(16))"
            " as band from analytics.churn_risk",
            contract=True,
        ),
    ),
}


def test_every_rule_cites_its_page_and_has_a_proof() -> None:
    assert set(PROOFS) == set(RULE_NAMES)
    for rule in RULES:
        assert rule.doc.startswith("https://docs.aws.amazon.com/redshift/latest/dg/"), rule.name
        assert rule.says.endswith("."), rule.name


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_each_rule_catches_the_statement_that_breaks_it(rule: str) -> None:
    broken, kept = PROOFS[rule]
    assert rule in {finding.rule for finding in check(broken)}
    assert check(kept) == []


def test_a_case_of_string_literals_in_a_contract_needs_a_cast() -> None:
    uncast = Statement(
        "select case when score > 69 then 'high' else 'low' end as band from analytics.churn_risk",
        contract=True,
    )
    assert {finding.rule for finding in check(uncast)} == {"contract-types"}
    assert check(Statement(uncast.sql)) == []  # only contracts compare driver types


def test_a_short_literal_or_a_null_may_be_cast_to_a_bare_varchar() -> None:
    # dbt's unit test fixtures cast their literals so; 256 bytes cannot cut them.
    assert check(Statement("select cast('P1' as character varying) as id, cast(null as varchar) as x")) == []
    long_literal = "'" + "x" * 300 + "'"
    assert check(Statement(f"select cast({long_literal} as varchar) as x"))


def test_the_parser_knows_the_documented_forms_dbt_and_spectrum_send() -> None:
    assert (
        parse_errors(
            "alter table raw_web.events add if not exists partition (dt = '2025-01-01', hr = '01')"
            " location 's3://b/x/' partition (dt = '2025-01-02', hr = '01') location 's3://b/y/';"
        )
        == []
    )
    assert (
        parse_errors(
            "select * from pg_get_late_binding_view_cols() cols(view_schema name, view_name name,"
            " col_name name, col_type varchar, ordinal_position int) where view_name = 'x'"
        )
        == []
    )
    assert parse_errors('drop schema if exists "c360_check_x_raw_web" drop external database cascade') == []
    assert parse_errors("select 1 frm x")  # and still refuses what is not SQL
    assert parse_errors("with snapshot as (select 1 as one) select * from snapshot")  # a reserved word


# --- dispatch ------------------------------------------------------------------------------

MACRO = re.compile(r"{%-?\s*macro\s+(\w+)\s*\(")
DISPATCH = re.compile(r"adapter\.dispatch\(\s*'(\w+)'(?:\s*,\s*'(\w+)')?\s*\)")
REDSHIFT_PREFIXES = ("redshift", "postgres", "default")  # dbt-redshift's parent adapter is postgres


def _macros(folder: Path) -> set[str]:
    return {name for path in folder.rglob("*.sql") for name in MACRO.findall(path.read_text("utf-8"))}


def _dbt_macros() -> set[str]:
    from dbt.adapters.factory import FACTORY

    FACTORY.load_plugin("redshift")
    return {name for path in FACTORY.get_include_paths("redshift") for name in _macros(path)}


def redshift_resolutions() -> dict[str, str]:
    """Every macro the project dispatches, or overrides in dbt's namespace, with the variant
    a Redshift build runs: dbt looks for redshift__, then postgres__, then default__, in
    the project first (dbt_project.yml's dispatch search order) and then in dbt's own."""
    project = _macros(DBT_PROJECT_DIR / "macros")
    dispatched: dict[str, str | None] = {}
    for path in (DBT_PROJECT_DIR / "macros").rglob("*.sql"):
        for name, namespace in DISPATCH.findall(path.read_text("utf-8")):
            dispatched[name] = namespace or None
    for name in project:  # the project's variants of dbt's macros
        prefix, _, base = name.partition("__")
        if base and prefix in (*REDSHIFT_PREFIXES, "duckdb") and base not in dispatched:
            dispatched[base] = "dbt"
    internal = _dbt_macros()
    resolved = {}
    for name, namespace in sorted(dispatched.items()):
        searched = [("c360", project)] + ([("dbt", internal)] if namespace == "dbt" else [])
        resolved[name] = next(
            (
                f"{package}.{prefix}__{name}"
                for package, macros in searched
                for prefix in REDSHIFT_PREFIXES
                if f"{prefix}__{name}" in macros
            ),
            "(none)",
        )
    return resolved


def test_redshift_never_falls_back_to_a_postgres_variant_of_the_project() -> None:
    resolved = redshift_resolutions()
    for name, variant in resolved.items():
        print(f"{name:40} {variant}")  # the list, for the reader of the test log
    assert "c360_create_functions" in resolved and "safe_cast" not in resolved
    assert resolved["c360_create_functions"] == "c360.redshift__c360_create_functions"
    assert resolved["type_string"] == "c360.redshift__type_string"
    assert resolved["get_unit_test_sql"] == "c360.redshift__get_unit_test_sql"
    assert [name for name, variant in resolved.items() if variant.startswith("c360.postgres__")] == []
    assert "(none)" not in resolved.values()
