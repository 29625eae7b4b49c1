"""What a change does to a model's rows: its published table against its rebuilt one, by
primary key.

``diff_relations`` answers, for one model: rows added (keys only in the rebuilt table),
rows removed (keys only in the published one), rows changed (keys in both, some value
different), per column the number of changed values with a few example keys, and the
schema changes (columns added, removed, retyped). A model with no primary key (the raw
layers: a row is what it holds) is compared row by row as a whole: a row that differs in
any value is one removed and one added. The SQL is portable (DuckDB, PostgreSQL,
Redshift: no ``IS DISTINCT FROM``, which Redshift lacks); values of a retyped column are
compared as text. ``c360 review`` calls it for each model it rebuilt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Runs one SQL statement and returns its rows (every result column is named, and unique).
Query = Callable[[str], Sequence[Sequence[Any]]]
EXAMPLES = 3
# Values compared as text: a length Redshift needs (a bare varchar is 256 bytes there, and a
# longer value would not fit); DuckDB and PostgreSQL read it as text.
TEXT = "varchar(65535)"


@dataclass
class ModelDiff:
    """One model's difference, published -> rebuilt."""

    name: str
    key: list[str]
    added: int = 0
    removed: int = 0
    changed: int = 0
    changed_columns: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    schema_changes: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not (self.added or self.removed or self.changed or self.schema_changes)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "key": self.key,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "changed_columns": self.changed_columns,
            "examples": self.examples,
            "schema_changes": self.schema_changes,
        }


def schema_changes(published: Mapping[str, str], rebuilt: Mapping[str, str]) -> list[str]:
    """Columns added, removed and retyped, in words, in the rebuilt table's column order
    (then the removed ones)."""
    said = []
    for column, data_type in rebuilt.items():
        if column not in published:
            said.append(f"column {column} added ({data_type})")
        elif _normal(published[column]) != _normal(data_type):
            said.append(f"column {column} retyped: {published[column]} -> {data_type}")
    said += [f"column {column} removed" for column in published if column not in rebuilt]
    return said


def _normal(data_type: str) -> str:
    return " ".join(data_type.lower().split())


def diff_relations(
    query: Query,
    name: str,
    published: str,
    rebuilt: str,
    key: Sequence[str],
    published_columns: Mapping[str, str],
    rebuilt_columns: Mapping[str, str],
) -> ModelDiff:
    """The difference of ``rebuilt`` from ``published`` (relations as SQL names), by ``key``
    (or, with no key, by whole rows: ``diff_rows``).

    ``*_columns`` map each table's columns to their types (information_schema's); the key
    columns must be in both."""
    if not key:
        return diff_rows(query, name, published, rebuilt, published_columns, rebuilt_columns)
    missing = [column for column in key if column not in published_columns or column not in rebuilt_columns]
    if missing:
        raise ValueError(f"{name}: key column(s) {', '.join(missing)} not in both tables")
    result = ModelDiff(name, list(key), schema_changes=schema_changes(published_columns, rebuilt_columns))
    joined = " and ".join(f"p.{_q(column)} = r.{_q(column)}" for column in key)
    first = _q(key[0])
    ((result.added,),) = query(
        f"select count(*) from {rebuilt} as r left join {published} as p on {joined} where p.{first} is null"
    )
    ((result.removed,),) = query(
        f"select count(*) from {published} as p left join {rebuilt} as r on {joined} where r.{first} is null"
    )
    compared = [column for column in rebuilt_columns if column in published_columns and column not in key]
    if not compared:
        return result
    retyped = {
        column
        for column in compared
        if _normal(published_columns[column]) != _normal(rebuilt_columns[column])
    }
    differs = {column: _differs(column, column in retyped) for column in compared}
    # Every result column named: a server's rows come back keyed by name.
    sums = ", ".join(
        f"sum(case when {test} then 1 else 0 end) as changed_{at}" for at, test in enumerate(differs.values())
    )
    any_differs = " or ".join(f"({test})" for test in differs.values())
    ((changed, *by_column),) = query(
        f"select sum(case when {any_differs} then 1 else 0 end) as changed, {sums}"
        f" from {published} as p inner join {rebuilt} as r on {joined}"
    )
    result.changed = int(changed or 0)
    key_text = " || '|' || ".join(f"cast(r.{_q(column)} as {TEXT})" for column in key)
    for column, count in zip(compared, by_column, strict=True):
        if not count:
            continue
        result.changed_columns[column] = int(count)
        rows = query(
            f"select {key_text} from {published} as p inner join {rebuilt} as r on {joined}"
            f" where {differs[column]} order by 1 limit {EXAMPLES}"
        )
        result.examples[column] = [str(row[0]) for row in rows]
    return result


def diff_rows(
    query: Query,
    name: str,
    published: str,
    rebuilt: str,
    published_columns: Mapping[str, str],
    rebuilt_columns: Mapping[str, str],
) -> ModelDiff:
    """The difference of two tables with no key, as multisets of rows over the columns both
    have: each row is hashed whole (md5 of its values as text, nulls told apart from any
    text), and a hash more often in ``rebuilt`` is rows added, more often in ``published``
    rows removed."""
    result = ModelDiff(name, [], schema_changes=schema_changes(published_columns, rebuilt_columns))
    common = [column for column in rebuilt_columns if column in published_columns]
    if not common:
        return result
    # Each value marked (v...), a null as n: a null never reads as the text 'null'.
    text = " || '|' || ".join(f"coalesce('v' || cast({_q(column)} as {TEXT}), 'n')" for column in common)

    def counted(relation: str) -> str:
        return f"select md5({text}) as row_hash, count(*) as n from {relation} group by 1"

    more_in_rebuilt = "coalesce(r.n, 0) - coalesce(p.n, 0)"
    ((added, removed),) = query(
        f"select sum(case when {more_in_rebuilt} > 0 then {more_in_rebuilt} else 0 end) as added,"
        f" sum(case when {more_in_rebuilt} < 0 then -({more_in_rebuilt}) else 0 end) as removed"
        f" from ({counted(published)}) as p full outer join ({counted(rebuilt)}) as r"
        " on p.row_hash = r.row_hash"
    )
    result.added, result.removed = int(added or 0), int(removed or 0)
    return result


def _differs(column: str, as_text: bool) -> str:
    """A null-safe "this value changed" test on the joined tables p and r."""
    old, new = f"p.{_q(column)}", f"r.{_q(column)}"
    if as_text:
        old, new = f"cast({old} as {TEXT})", f"cast({new} as {TEXT})"
    appeared = f"({old} is null and {new} is not null)"
    vanished = f"({old} is not null and {new} is null)"
    return f"(({old} <> {new}) or {appeared} or {vanished})"


def _q(column: str) -> str:
    """A column name quoted as every engine reads it."""
    if not column.replace("_", "").isalnum():
        raise ValueError(f"not a column name: {column!r}")
    return f'"{column}"'
