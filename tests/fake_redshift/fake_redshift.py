"""A stand-in Redshift endpoint at the driver level, for tests: ``redshift_connector.connect``.

Redshift cannot be reached from CI, so the tests run the production code paths (``c360 run
--target redshift``, dbt-redshift's materializations, hooks, tests and unit tests, the
audit and publish run-operations, the Spectrum registration) against this fake, which
records every statement it is sent and answers just enough for the callers to carry on:

- a catalog of schemas, tables, views, external tables and their partitions, kept by
  following the DDL it is sent (create, rename, drop), shared by every process of a test
  through a JSON file, so a later run sees what an earlier one made;
- the catalog queries dbt-redshift and c360 send (relations of a schema, schemas,
  columns of a relation, ``svv_external_*``), answered from that catalog;
- column types where dbt asks for them (contract checks, unit tests): a model's columns
  are those its YAML declares, taken from dbt's manifest;
- tests find no failing rows, source freshness is "now", anything else returns no rows.

It does not run SQL: what a statement would compute is not checked here (DuckDB and the
PostgreSQL server do that), only what is sent (``tests/redshift_rules.py``). Every
statement is appended, one JSON object per line, to ``statements.jsonl`` in the folder
named by ``C360_FAKE_REDSHIFT``: the SQL, the dbt node running it, whether a transaction
was open, and the bindings.

``sitecustomize.py`` beside this file installs it in every Python process started with
this folder on ``PYTHONPATH`` and ``C360_FAKE_REDSHIFT`` set (dbt runs as a subprocess).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

STATE_VARIABLE = "C360_FAKE_REDSHIFT"
MANIFEST_VARIABLE = "C360_FAKE_REDSHIFT_MANIFEST"

# Type OIDs as redshift_connector reports them in cursor.description.
TYPE_CODES = {
    "smallint": 21,
    "integer": 23,
    "bigint": 20,
    "numeric": 1700,
    "real": 700,
    "double precision": 701,
    "boolean": 16,
    "character": 1042,
    "character varying": 1043,
    "text": 25,
    "date": 1082,
    "timestamp without time zone": 1114,
    "timestamp with time zone": 1184,
}
TYPE_NAMES = {
    "int": "integer",
    "int4": "integer",
    "int2": "smallint",
    "int8": "bigint",
    "decimal": "numeric",
    "float": "double precision",
    "float8": "double precision",
    "float4": "real",
    "bool": "boolean",
    "varchar": "character varying",
    "char": "character",
    "bpchar": "character",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
}
DEFAULT_TYPE = "character varying(65535)"

_lock = threading.RLock()
_COMMENT = re.compile(r"/\*.*?\*/|--[^\n]*", re.DOTALL)
_NAME = r'((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+)){0,2})'


def _state_dir() -> Path:
    return Path(os.environ[STATE_VARIABLE])


def _normalise(sql: str) -> str:
    """Lower case, comments gone, whitespace collapsed: for recognising a statement."""
    return " ".join(_COMMENT.sub(" ", sql).split()).lower().rstrip(";").strip()


def _split_name(name: str) -> tuple[str, str]:
    """``"db"."schema"."table"`` -> ("schema", "table"); ``table`` -> ("", "table")."""
    parts = [part.strip('"').lower() for part in re.findall(r'"[^"]+"|[^.]+', name)]
    if len(parts) == 1:
        return "", parts[0]
    return parts[-2], parts[-1]


def _schema_name(name: str) -> str:
    return re.findall(r'"[^"]+"|[^.]+', name)[-1].strip('"').lower()


def _column_type(data_type: str | None) -> tuple[str, int | None, int | None, int | None]:
    """('character varying', 65535, None, None) from 'varchar(65535)', and so on."""
    text = (data_type or DEFAULT_TYPE).strip().lower()
    match = re.fullmatch(r"([a-z ]+?)\s*(?:\((\d+)(?:\s*,\s*(\d+))?\))?", text)
    if match is None:
        return text, None, None, None
    name = TYPE_NAMES.get(match.group(1), match.group(1))
    first = int(match.group(2)) if match.group(2) else None
    second = int(match.group(3)) if match.group(3) else None
    if name in ("character varying", "character"):
        return name, first if first is not None else 256, None, None
    if name == "numeric":
        return name, None, first if first is not None else 18, second if second is not None else 0
    return name, None, None, None


class Catalog:
    """What exists on the fake cluster, kept in ``catalog.json`` under a file lock (several
    processes of a test share it), read again only when another process changed it."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "catalog.json"
        self.file_lock = FileLock(str(folder / "catalog.json.lock"))
        self._cached: tuple[int, str] | None = None

    @contextmanager
    def state(self) -> Iterator[dict[str, Any]]:
        with _lock, self.file_lock:
            stamp = self.path.stat().st_mtime_ns if self.path.exists() else 0
            if self._cached is None or self._cached[0] != stamp:
                self._cached = (stamp, self.path.read_text() if self.path.exists() else "{}")
            text = self._cached[1]
            data = json.loads(text)
            data.setdefault("schemas", {})
            data.setdefault("relations", {})
            data.setdefault("partitions", {})
            yield data
            written = json.dumps(data)
            if written != text:
                self.path.write_text(written)
                self._cached = (self.path.stat().st_mtime_ns, written)


class Manifest:
    """Declared columns of dbt's nodes (models, sources, seeds, unit tests' models)."""

    def __init__(self) -> None:
        self._loaded: tuple[float, dict[str, Any]] | None = None

    def _nodes(self) -> dict[str, Any]:
        path = os.environ.get(MANIFEST_VARIABLE)
        if not path or not Path(path).exists():
            return {}
        mtime = Path(path).stat().st_mtime
        if self._loaded is None or self._loaded[0] != mtime:
            manifest = json.loads(Path(path).read_text())
            nodes = {**manifest.get("nodes", {}), **manifest.get("sources", {})}
            nodes.update(manifest.get("unit_tests", {}))
            self._loaded = (mtime, nodes)
        return self._loaded[1]

    def columns(self, unique_id: str | None) -> list[tuple[str, str]]:
        """The node's columns as (name, type); a unit test's are its model's."""
        nodes = self._nodes()
        node = nodes.get(unique_id or "")
        if node is None:
            return []
        if node.get("resource_type") == "unit_test":
            tested = [nodes[key] for key in node.get("depends_on", {}).get("nodes", []) if key in nodes]
            node = next((n for n in tested if n.get("name") == node.get("model")), None)
            if node is None:
                return []
        return [
            (name, spec.get("data_type") or DEFAULT_TYPE) for name, spec in node.get("columns", {}).items()
        ]

    def relation_columns(self, schema: str, name: str) -> list[tuple[str, str]]:
        """Columns of a model or source by its relation name (a relation dbt made but the
        fake was started after)."""
        for unique_id, node in self._nodes().items():
            if node.get("alias", node.get("identifier", node.get("name"))) == name:
                return self.columns(unique_id)
        return []


MANIFEST = Manifest()
_CATALOGS: dict[Path, Catalog] = {}


def _catalog(folder: Path) -> Catalog:
    """One catalog per state folder and process, so its cache serves every connection."""
    with _lock:
        return _CATALOGS.setdefault(folder, Catalog(folder))


def _current_node() -> str | None:
    """The dbt node this thread is running, if the process is dbt."""
    try:
        from dbt_common.events.contextvars import get_node_info
    except ImportError:
        return None
    info = get_node_info()
    return str(info.get("unique_id")) if info and info.get("unique_id") else None


def _record(entry: dict[str, Any]) -> None:
    with _lock, (_state_dir() / "statements.jsonl").open("a", encoding="utf-8") as log:
        log.write(json.dumps(entry, default=str) + "\n")


def _parse_columns(body: str) -> list[tuple[str, str]]:
    """Column definitions ``(a varchar(10) not null, b integer)`` -> [(a, varchar(10)), ...]."""
    columns = []
    depth, start, pieces = 0, 0, []
    for position, character in enumerate(body):
        if character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
        elif character == "," and depth == 0:
            pieces.append(body[start:position])
            start = position + 1
    pieces.append(body[start:])
    for piece in pieces:
        words = piece.strip().split(None, 1)
        if len(words) == 2 and words[0].lower() not in ("primary", "constraint", "unique", "foreign"):
            data_type = re.split(r"\s+(?:not\s+null|null|encode|default|primary|references)\b", words[1])[0]
            columns.append((words[0].strip('"').lower(), data_type.strip()))
    return columns


def _outer_parenthesis(text: str, at: int) -> str:
    """The text inside the parenthesis that opens at ``text[at]``."""
    depth = 0
    for position in range(at, len(text)):
        if text[position] == "(":
            depth += 1
        elif text[position] == ")":
            depth -= 1
            if depth == 0:
                return text[at + 1 : position]
    return text[at + 1 :]


class Cursor:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.description: list[tuple[Any, ...]] | None = None
        self.rowcount = -1
        self._rows: list[tuple[Any, ...]] = []

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._rows = []

    def execute(self, operation: str, args: Any = None, **_kwargs: Any) -> Cursor:
        self.connection.run(operation, args, self)
        return self

    def executemany(self, operation: str, param_sets: Any) -> Cursor:
        for params in param_sets:
            self.execute(operation, params)
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows, self._rows = self._rows, []
        return rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows.pop(0) if self._rows else None

    def fetchmany(self, size: int = 1) -> list[tuple[Any, ...]]:
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    def answer(self, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]) -> None:
        self.description = [
            (name, TYPE_CODES.get(_column_type(data_type)[0], 1043), None, None, None, None, None)
            for name, data_type in columns
        ]
        self._rows = list(rows)
        self.rowcount = len(rows)


class Connection:
    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.autocommit = False
        self.in_transaction = False
        self.closed = False
        self.catalog = _catalog(_state_dir())

    def cursor(self) -> Cursor:
        return Cursor(self)

    def commit(self) -> None:
        self.in_transaction = False

    def rollback(self) -> None:
        self.in_transaction = False

    def close(self) -> None:
        self.closed = True

    # --- one statement -------------------------------------------------------------------

    def run(self, sql: str, args: Any, cursor: Cursor) -> None:
        node = _current_node()
        text = _normalise(sql)
        _record(
            {
                "sql": sql,
                "node": node,
                "in_transaction": self.in_transaction,
                "params": args,
                "at": datetime.now(UTC).isoformat(),
            }
        )
        cursor.answer([], [])
        cursor.description = None
        if text in ("begin", "start transaction", "begin transaction"):
            self.in_transaction = True
        elif text in ("commit", "end", "rollback", "abort", "commit transaction"):
            self.in_transaction = False
        elif not self._query(text, node, cursor):
            self._follow_raw_files(" ".join(_COMMENT.sub(" ", sql).split()))
            self._ddl(sql, text, node)

    def _query(self, text: str, node: str | None, cursor: Cursor) -> bool:
        """Answer a query; False when the statement is not one (DDL, DML)."""
        if "pg_backend_pid()" in text:
            cursor.answer([("pg_backend_pid", "integer")], [(4242,)])
        elif text.startswith(("select", "with")) and "limit 0" in text:
            cursor.answer(self._query_columns(text, node), [])
        elif "'actual' as \"actual_or_expected\"" in text:
            # A unit test's comparison query: its columns, and no rows (nothing runs here).
            listed = re.search(r"select (.*?), 'actual' as \"actual_or_expected\"", text)
            names = [name.strip().strip('"') for name in listed.group(1).split(",")] if listed else []
            columns = [(name, DEFAULT_TYPE) for name in names] + [("actual_or_expected", "varchar")]
            cursor.answer(columns, [])
        elif "as failures" in text and "should_warn" in text:
            columns = [("failures", "bigint"), ("should_warn", "boolean"), ("should_error", "boolean")]
            cursor.answer(columns, [(0, False, False)])
        elif "max_loaded_at" in text and "snapshotted_at" in text:
            now = datetime.now(UTC).replace(tzinfo=None)
            columns = [("max_loaded_at", "timestamp"), ("snapshotted_at", "timestamp")]
            cursor.answer(columns, [(now, now)])
        elif "from information_schema.tables" in text and "table_schema ilike" in text:
            schema = re.search(r"table_schema ilike '([^']*)'", text).group(1)  # type: ignore[union-attr]
            with self.catalog.state() as state:
                rows = [
                    ("c360", key.split(".", 1)[1], schema, relation["type"])
                    for key, relation in sorted(state["relations"].items())
                    if key.split(".", 1)[0] == schema and relation["type"] in ("table", "view")
                ]
            columns = [
                ("database", "varchar"),
                ("name", "varchar"),
                ("schema", "varchar"),
                ("type", "varchar"),
            ]
            cursor.answer(columns, rows)
        elif "from information_schema.tables" in text:
            cursor.answer(*self._tables_answer(text))
        elif "from pg_namespace" in text and "nspname" in text and "pg_proc" not in text:
            with self.catalog.state() as state:
                cursor.answer([("nspname", "varchar")], [(name,) for name in sorted(state["schemas"])])
        elif "information_schema.schemata" in text:
            with self.catalog.state() as state:
                names = sorted(state["schemas"])
            if "count(*)" in text:
                wanted = re.search(r"schema_name\s*=\s*'([^']*)'", text)
                count = int(wanted is not None and wanted.group(1) in names)
                cursor.answer([("count", "bigint")], [(count,)])
            else:
                asked = re.findall(r"'([^']*)'", text.split("schema_name in", 1)[-1])
                cursor.answer([("schema_name", "varchar")], [(name,) for name in names if name in asked])
        elif 'information_schema."columns"' in text or "information_schema.columns" in text:
            cursor.answer(*self._columns_answer(text))
        elif "svv_relation_privileges" in text:
            cursor.answer(
                [("identity_name", "varchar"), ("identity_type", "varchar"), ("privilege_type", "varchar")],
                [],
            )
        elif "svv_external_schemas" in text:
            with self.catalog.state() as state:
                names = sorted(name for name, found in state["schemas"].items() if found.get("external"))
            cursor.answer([("schemaname", "varchar")], [(name,) for name in names])
        elif (
            "svv_external_tables" in text
            or "svv_external_partitions" in text
            or "svv_external_columns" in text
        ):
            cursor.answer(*_projected(text, *self._external_answer(text)))
        elif re.search(r"\braw_files\b", text) and text.startswith("select"):
            self._raw_files_answer(text, cursor)
        elif match := re.match(r"select count\(\*\)(?: as (\w+))? from ", text):
            cursor.answer([(match.group(1) or "count", "bigint")], [(0,)])
        elif text.startswith(("select", "with", "show")):
            cursor.answer([], [])
        else:
            return False
        return True

    def _raw_files_answer(self, text: str, cursor: Cursor) -> None:
        """c360_loader.raw_files, as the inserts sent to it left it: all of it for the load
        step, a table's URLs for a landed model (every file reads as new: nothing runs)."""
        with self.catalog.state() as state:
            rows = [tuple(row) for row in state.get("raw_files", [])]
        table = re.search(r"where table_name = '([^']*)'", text)
        if table is None:
            cursor.answer([("table_name", "varchar"), ("url", "varchar")], rows)
        else:  # a landed model's new files: each URL and its lake key (c360_lake_key)
            urls = sorted(url for name, url in rows if name == table.group(1))
            found = [re.search(r"(raw/(web|shop)/.*)$", url) for url in urls]
            keys = [key.group(1) if key else None for key in found]
            cursor.answer([("file", "varchar"), ("lake_key", "varchar")], list(zip(urls, keys, strict=True)))

    def _follow_raw_files(self, text: str) -> None:
        """Keep the rows c360's load step writes to c360_loader.raw_files (``text``: the
        statement as sent, spaces collapsed: URLs keep their case)."""
        if re.match(r"insert into \S*raw_files \(table_name, url\) values", text, re.IGNORECASE):
            added = re.findall(r"\('([^']*)', '([^']*)'\)", text)
            with self.catalog.state() as state:
                state.setdefault("raw_files", []).extend([name, url] for name, url in added)
        elif re.match(r"delete from \S*raw_files where url in", text, re.IGNORECASE):
            gone = set(re.findall(r"'([^']*)'", text))
            with self.catalog.state() as state:
                state["raw_files"] = [row for row in state.get("raw_files", []) if row[1] not in gone]

    def _query_columns(self, text: str, node: str | None) -> list[tuple[str, str]]:
        """The columns of a query dbt runs for its shape only (``limit 0``): the declared
        columns spelled out in it, or else the columns the running node declares."""
        declared = re.findall(r"cast\(null as ([^)]+(?:\))?)\) as \"?(\w+)\"?", text)
        if declared and text.startswith("select cast(null"):
            return [(name, data_type) for data_type, name in declared]
        return MANIFEST.columns(node)

    def _tables_answer(self, text: str) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
        """information_schema.tables: a count for one schema and name, or the relations of
        the schemas named."""
        with self.catalog.state() as state:
            relations = [
                key.split(".", 1) for key, found in state["relations"].items() if found["type"] != "external"
            ]
        if "count(*)" in text:
            schema = re.search(r"table_schema = '([^']*)'", text)
            name = re.search(r"table_name = '([^']*)'", text)
            found = [
                1
                for relation_schema, relation_name in relations
                if (schema is None or relation_schema == schema.group(1))
                and (name is None or relation_name == name.group(1))
            ]
            return [("found", "bigint")], [(len(found),)]
        wanted = re.findall(r"'([^']*)'", text.split("table_schema", 1)[-1]) if "table_schema" in text else []
        rows = sorted(tuple(pair) for pair in relations if not wanted or pair[0] in wanted)
        return [("table_schema", "varchar"), ("table_name", "varchar")], rows

    def _columns_answer(self, text: str) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
        name = re.search(r"table_name = '([^']*)'", text)
        schema = re.search(r"table_schema = '([^']*)'", text)
        found: list[tuple[str, str]] = []
        if name is not None:
            with self.catalog.state() as state:
                for key, relation in state["relations"].items():
                    relation_schema, relation_name = key.split(".", 1)
                    if relation_name == name.group(1) and (
                        schema is None or relation_schema == schema.group(1)
                    ):
                        found = [tuple(column) for column in relation["columns"]]  # type: ignore[misc]
                        break
        rows = []
        for column_name, data_type in found:
            type_name, length, precision, scale = _column_type(data_type)
            rows.append((column_name, type_name, length, precision, scale))
        columns = [
            ("column_name", "varchar"),
            ("data_type", "varchar"),
            ("character_maximum_length", "integer"),
            ("numeric_precision", "integer"),
            ("numeric_scale", "integer"),
        ]
        return columns, rows

    def _external_answer(self, text: str) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
        schemas = re.findall(r"'([^']*)'", text.split("schemaname", 1)[-1]) if "schemaname" in text else []
        with self.catalog.state() as state:
            external = {
                key: relation
                for key, relation in state["relations"].items()
                if relation["type"] == "external" and (not schemas or key.split(".", 1)[0] in schemas)
            }
            partitions = {key: state["partitions"].get(key, {}) for key in external}
        if "svv_external_partitions" in text:
            columns = [
                ("schemaname", "varchar"),
                ("tablename", "varchar"),
                ("values", "varchar"),
                ("location", "varchar"),
            ]
            rows = [
                (*key.split(".", 1), values, location)
                for key, found in sorted(partitions.items())
                for values, location in sorted(found.items())
            ]
            return columns, rows
        if "svv_external_columns" in text:
            columns = [
                ("schemaname", "varchar"),
                ("tablename", "varchar"),
                ("columnname", "varchar"),
                ("external_type", "varchar"),
                ("columnnum", "integer"),
            ]
            rows = [
                (*key.split(".", 1), column, data_type, number)
                for key, relation in sorted(external.items())
                for number, (column, data_type) in enumerate(relation["columns"], start=1)
            ]
            return columns, rows
        columns = [("schemaname", "varchar"), ("tablename", "varchar"), ("location", "varchar")]
        return columns, [
            (*key.split(".", 1), relation.get("location")) for key, relation in sorted(external.items())
        ]

    def _ddl(self, sql: str, text: str, node: str | None) -> None:
        """Follow a statement that changes the catalog."""
        if not text.startswith(("create ", "alter ", "drop ")):
            return  # DML, grants, comments: the catalog stays as it is
        with self.catalog.state() as state:
            schemas, relations = state["schemas"], state["relations"]

            def columns_for(schema: str, name: str) -> list[tuple[str, str]]:
                return MANIFEST.columns(node) or MANIFEST.relation_columns(schema, name)

            if match := re.match(r"create external schema (?:if not exists )?" + _NAME, text):
                schemas.setdefault(_schema_name(match.group(1)), {"external": True})
            elif match := re.match(r"create schema (?:if not exists )?" + _NAME, text):
                schemas.setdefault(_schema_name(match.group(1)), {"external": False})
            elif match := re.match(r"create external table " + _NAME + r" \(", text):
                schema, name = _split_name(match.group(1))
                body = _outer_parenthesis(text, match.end() - 1)
                location = re.search(r" location '([^']*)'", text)
                relations[f"{schema}.{name}"] = {
                    "type": "external",
                    "columns": _parse_columns(body),
                    "location": location.group(1) if location else None,
                }
            elif match := re.match(
                r"create (?:(?:local )?temp(?:orary)? )?table (?:if not exists )?" + _NAME, text
            ):
                schema, name = _split_name(match.group(1))
                rest = text[match.end() :].lstrip()
                like = re.match(r"\(like " + _NAME, rest)
                if like:
                    columns = relations.get("{}.{}".format(*_split_name(like.group(1))), {}).get(
                        "columns", []
                    )
                elif (
                    rest.startswith("(")
                    and not rest.startswith("( select")
                    and not rest.startswith("(select")
                ):
                    columns = _parse_columns(_outer_parenthesis(rest, 0))
                else:
                    columns = columns_for(schema, name)
                relations[f"{schema}.{name}"] = {"type": "table", "columns": columns}
            elif match := re.match(r"create (?:or replace )?view " + _NAME, text):
                schema, name = _split_name(match.group(1))
                relations[f"{schema}.{name}"] = {"type": "view", "columns": columns_for(schema, name)}
            elif match := re.match(r"alter table " + _NAME + r" add if not exists", text):
                key = "{}.{}".format(*_split_name(match.group(1)))
                found = state["partitions"].setdefault(key, {})
                for values, location in re.findall(r"partition \(([^)]*)\) location '([^']*)'", text):
                    found.setdefault(values, location)
            elif match := re.match(r"alter table " + _NAME + r" add column \"?(\w+)\"? (.+)", text):
                key = "{}.{}".format(*_split_name(match.group(1)))
                if key in relations:
                    relations[key]["columns"].append([match.group(2), match.group(3)])
            elif match := re.match(r"alter table " + _NAME + r" rename to " + _NAME, text):
                schema, name = _split_name(match.group(1))
                _, new_name = _split_name(match.group(2))
                if f"{schema}.{name}" in relations:
                    relations[f"{schema}.{new_name}"] = relations.pop(f"{schema}.{name}")
            elif match := re.match(r"alter schema " + _NAME + r" rename to " + _NAME, text):
                old, new = _schema_name(match.group(1)), _schema_name(match.group(2))
                if old in schemas:
                    schemas[new] = schemas.pop(old)
                for key in [key for key in relations if key.split(".", 1)[0] == old]:
                    relations[f"{new}.{key.split('.', 1)[1]}"] = relations.pop(key)
            elif match := re.match(r"drop (?:table|view) (?:if exists )?" + _NAME, text):
                relations.pop("{}.{}".format(*_split_name(match.group(1))), None)
            elif match := re.match(r"drop schema (?:if exists )?" + _NAME, text):
                schema = _schema_name(match.group(1))
                schemas.pop(schema, None)
                for key in [key for key in relations if key.split(".", 1)[0] == schema]:
                    relations.pop(key)
                    state["partitions"].pop(key, None)


def _projected(
    text: str, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]
) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
    """The columns a ``select a, b from ...`` names, out of all a catalog view has."""
    listed = re.match(r"select (.*?) from ", text)
    if listed is None or listed.group(1).strip() == "*":
        return columns, rows
    names = [name.strip() for name in listed.group(1).split(",")]
    positions = [[column for column, _type in columns].index(name) for name in names]
    return [columns[i] for i in positions], [tuple(row[i] for i in positions) for row in rows]


def connect(**kwargs: Any) -> Connection:
    """``redshift_connector.connect``: a connection to the fake cluster."""
    return Connection(**kwargs)


def install() -> None:
    """Make ``redshift_connector.connect`` connect here."""
    import redshift_connector

    redshift_connector.connect = connect
