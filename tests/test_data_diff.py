"""The data diff of c360 review: rows added, removed and changed by primary key, per column,
and the schema changes, on DuckDB (PostgreSQL runs the same SQL in test_review); whole rows
for a table without a key; and every statement valid Redshift."""

from __future__ import annotations

import duckdb
import pytest

from c360.warehouse.data_diff import ModelDiff, diff_relations, schema_changes


def _columns(connection: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = connection.execute(
        "select column_name, data_type from information_schema.columns where table_name = ?"
        " order by ordinal_position",
        [table],
    ).fetchall()
    return {name: data_type for name, data_type in rows}


@pytest.fixture
def connection() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute(
        "create table published as select * from (values"
        " (1, 'a', 10.0, true), (2, 'b', 20.0, false), (3, 'c', null, true), (4, 'd', 40.0, null))"
        " as t(id, label, amount, flag)"
    )
    return connection


def _diff(connection: duckdb.DuckDBPyConnection, key: tuple[str, ...] = ("id",)) -> ModelDiff:
    return diff_relations(
        lambda sql: connection.execute(sql).fetchall(),
        "model",
        "published",
        "rebuilt",
        key,
        _columns(connection, "published"),
        _columns(connection, "rebuilt"),
    )


def test_an_unchanged_table_is_the_same(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("create table rebuilt as select * from published order by id desc")
    diff = _diff(connection)
    assert diff.same and diff.changed_columns == {}


def test_one_row_removed_is_exactly_that(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("create table rebuilt as select * from published where id <> 2")
    diff = _diff(connection)
    assert (diff.added, diff.removed, diff.changed) == (0, 1, 0)


def test_added_changed_and_nulls_are_counted_per_column(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        "create table rebuilt as select * from (values"
        " (1, 'a', 10.0, true), (2, 'B', 20.0, false), (3, 'c', 30.0, true), (4, 'D', null, null),"
        " (5, 'e', 50.0, false)) as t(id, label, amount, flag)"
    )
    diff = _diff(connection)
    assert (diff.added, diff.removed, diff.changed) == (1, 0, 3)
    # A null that became a value, and a value that became null, are changes; null = null is not.
    assert diff.changed_columns == {"label": 2, "amount": 2}
    assert diff.examples == {"label": ["2", "4"], "amount": ["3", "4"]}
    assert diff.schema_changes == []


def test_schema_changes_are_said_and_a_retyped_column_is_compared_as_text(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    connection.execute(
        "create table rebuilt as select id, cast(amount as integer) as amount, flag, 'x' as note"
        " from published"
    )
    diff = _diff(connection)
    assert diff.schema_changes == [
        "column amount retyped: DECIMAL(3,1) -> INTEGER",
        "column note added (VARCHAR)",
        "column label removed",
    ]
    # 10.0 reads '10.0' and 10 reads '10': every non-null amount changed as text.
    assert diff.changed_columns == {"amount": 3}


def test_a_composite_key_joins_on_every_part(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("create table rebuilt as select * from published")
    connection.execute("update rebuilt set amount = 99 where id = 1 and label = 'a'")
    diff = _diff(connection, ("id", "label"))
    assert diff.changed_columns == {"amount": 1} and diff.examples == {"amount": ["1|a"]}


def test_a_key_not_in_both_tables_is_refused(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("create table rebuilt as select label, amount from published")
    with pytest.raises(ValueError, match="key column"):
        _diff(connection)
    assert schema_changes({"a": "INTEGER"}, {"a": "integer"}) == []


def test_a_table_without_a_key_is_compared_row_by_row_as_a_whole(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    # The raw layers have no key: a row is what it holds, and may come twice.
    connection.execute("insert into published values (2, 'b', 20.0, false)")
    connection.execute("create table rebuilt as select * from published order by id desc")
    assert _diff(connection, ()).same
    connection.execute("drop table rebuilt")
    connection.execute(
        "create table rebuilt as select * from (values"
        # one copy of the doubled row 2; row 3's null amount is now the text-like 0.0;
        # row 4's null flag stays null; a new row 5
        " (1, 'a', 10.0, true), (2, 'b', 20.0, false), (3, 'c', 0.0, true), (4, 'd', 40.0, null),"
        " (5, 'e', 50.0, false)) as t(id, label, amount, flag)"
    )
    diff = _diff(connection, ())
    # Removed: the second copy of row 2 and row 3 as it was; added: row 3 as it is and row 5.
    assert (diff.key, diff.added, diff.removed, diff.changed) == ([], 2, 2, 0)


def test_every_statement_of_a_diff_is_valid_redshift(connection: duckdb.DuckDBPyConnection) -> None:
    """The review diffs on Redshift with the same SQL: each statement, keyed and whole-row,
    passes the Redshift rules the production builds are checked with (run here on DuckDB,
    so every query also gives its answer)."""
    from redshift_rules import Statement, check

    connection.execute(
        "create table rebuilt as select id, upper(label) as label, cast(amount as integer) as amount, flag"
        " from published where id <> 4"
    )
    sent: list[str] = []

    def query(sql: str) -> list[tuple[object, ...]]:
        sent.append(sql)
        return connection.execute(sql).fetchall()

    columns = (_columns(connection, "published"), _columns(connection, "rebuilt"))
    keyed = diff_relations(query, "model", "published", "rebuilt", ["id"], *columns)
    whole = diff_relations(query, "model", "published", "rebuilt", [], *columns)
    assert (keyed.removed, keyed.changed_columns) == (1, {"label": 3, "amount": 2})
    assert (whole.added, whole.removed) == (3, 4)
    assert len(sent) >= 6
    assert {sql: check(Statement(sql)) for sql in sent} == {sql: [] for sql in sent}
