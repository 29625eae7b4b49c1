"""Redshift's documented restrictions, checked on every statement a build sends.

sqlfluff's redshift dialect knows Redshift's grammar; it does not know what Redshift
refuses or silently changes in SQL that parses (a PL/pgSQL function, a VALUES list in
FROM, a WITH inside a WITH, a backslash in a literal, a VARCHAR without a length). Each
rule here is one such restriction, with the page of the Amazon Redshift Database
Developer Guide that states it; ``tests/test_redshift_rules.py`` proves each rule with a
statement that breaks it, and ``tests/test_redshift_statements.py`` runs them over
everything ``c360 run --target redshift`` sends (recorded by ``tests/fake_redshift``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from sqlfluff.core import FluffConfig, Linter
from sqlfluff.core.dialects import dialect_selector
from sqlfluff.core.parser import (
    AnyNumberOf,
    BaseSegment,
    Bracketed,
    CodeSegment,
    Delimited,
    Ref,
    Sequence,
    StringParser,
)

GUIDE = "https://docs.aws.amazon.com/redshift/latest/dg/"


@dataclass(frozen=True)
class Statement:
    """One statement as the cluster received it."""

    sql: str
    node: str | None = None  # the dbt node that sent it, if dbt did
    in_transaction: bool = False  # sent inside BEGIN ... COMMIT
    contract: bool = False  # the node is a model whose contract is enforced


@dataclass(frozen=True)
class Finding:
    rule: str
    detail: str


@dataclass(frozen=True)
class Rule:
    name: str
    says: str  # the restriction, in one line
    doc: str  # the page of the Developer Guide that states it
    check: Callable[[Statement, BaseSegment], Iterator[str]]


# --- parsing ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _fast_config() -> FluffConfig:
    """sqlfluff's redshift dialect, parsed by its Rust parser (sqlfluff[rs])."""
    return FluffConfig(overrides={"dialect": "redshift"})


@lru_cache(maxsize=1)
def _extended_config() -> FluffConfig:
    """The redshift dialect plus three documented forms it does not know yet: ALTER TABLE ...
    ADD [IF NOT EXISTS] PARTITION (...) LOCATION '...' [...] (r_ALTER_TABLE.html, options
    for external tables); DROP SCHEMA ... DROP EXTERNAL DATABASE (r_DROP_SCHEMA.html); and
    the NAME type of a column definition list, as in ``pg_get_late_binding_view_cols()
    cols(view_schema name, ...)`` (PG_GET_LATE_BINDING_VIEW_COLS.html), which dbt-redshift
    sends. Python's parser: the Rust one reads the dialect as it was compiled."""
    dialect = dialect_selector("redshift")
    drop_schema = dialect.get_segment("DropSchemaStatementSegment")
    dialect.replace(
        DropSchemaStatementSegment=type(
            "DropSchemaStatementSegment",
            (drop_schema,),
            {
                "match_grammar": Sequence(
                    "DROP",
                    "SCHEMA",
                    Ref("IfExistsGrammar", optional=True),
                    Delimited(Ref("SchemaReferenceSegment")),
                    Sequence("DROP", "EXTERNAL", "DATABASE", optional=True),
                    Ref("DropBehaviorGrammar", optional=True),
                )
            },
        )
    )
    datatype = dialect.get_segment("DatatypeSegment")
    dialect.replace(
        DatatypeSegment=type(
            "DatatypeSegment",
            (datatype,),
            {
                "match_grammar": datatype.match_grammar.copy(
                    insert=[StringParser("name", CodeSegment, type="data_type_identifier")]
                )
            },
        )
    )
    action = dialect.get_segment("AlterTableActionSegment")
    partition = Sequence(
        "PARTITION",
        Bracketed(
            Delimited(
                Sequence(Ref("ColumnReferenceSegment"), Ref("EqualsSegment"), Ref("QuotedLiteralSegment"))
            )
        ),
        "LOCATION",
        Ref("QuotedLiteralSegment"),
    )
    add_partitions = Sequence(
        "ADD", Sequence("IF", "NOT", "EXISTS", optional=True), AnyNumberOf(partition, min_times=1)
    )
    extended = type(
        "AlterTableActionSegment",
        (action,),
        {"match_grammar": action.match_grammar.copy(insert=[add_partitions])},
    )
    dialect.replace(AlterTableActionSegment=extended)
    config = FluffConfig(overrides={"dialect": "redshift", "use_rust_parser": False})
    config._configs["core"]["dialect_obj"] = dialect
    return config


@lru_cache(maxsize=4096)
def parse(sql: str) -> tuple[BaseSegment | None, tuple[str, ...]]:
    """The parse tree of ``sql`` and the parse errors (none when Redshift's grammar takes it).

    The Rust parser first; a statement it cannot parse gets a second chance with the
    extended grammar."""
    parsed = Linter(config=_fast_config()).parse_string(sql)
    if parsed.violations:
        parsed = Linter(config=_extended_config()).parse_string(sql)
    return parsed.tree, tuple(str(violation) for violation in parsed.violations)


def parse_errors(sql: str) -> list[str]:
    return list(parse(sql)[1])


# --- helpers over the parse tree ------------------------------------------------------------


def _raw(segment: BaseSegment) -> str:
    return " ".join(segment.raw.split()).lower()


def _crawl(segment: BaseSegment, *types: str) -> Iterator[BaseSegment]:
    yield from segment.recursive_crawl(*types)


def _keywords(segment: BaseSegment) -> list[str]:
    return [keyword.raw.lower() for keyword in segment.recursive_crawl("keyword")]


def _references_user_tables(tree: BaseSegment) -> bool:
    """Whether the statement reads a table that is not a leader-node catalog table."""
    for reference in _crawl(tree, "table_reference"):
        name = _raw(reference).replace('"', "")
        if not name.startswith(("pg_", "information_schema.", "pg_catalog.")):
            return True
    return False


def _cte_names(tree: BaseSegment) -> set[str]:
    names = set()
    for cte in _crawl(tree, "common_table_expression"):
        identifier = next(
            iter(cte.recursive_crawl("identifier", "naked_identifier", "quoted_identifier")), None
        )
        if identifier is not None:
            names.add(identifier.raw.strip('"').lower())
    return names


def _is_late_binding_view(tree: BaseSegment) -> Iterator[BaseSegment]:
    for view in _crawl(tree, "create_view_statement"):
        words = _keywords(view)
        if any(words[i : i + 3] == ["no", "schema", "binding"] for i in range(len(words))):
            yield view


def _read_references(view: BaseSegment) -> Iterator[str]:
    """The relations a view's query reads (FROM and JOIN), as written."""
    for element in _crawl(view, "from_expression_element"):
        for reference in element.recursive_crawl("table_reference"):
            yield reference.raw.replace('"', "").lower()


# --- the rules ------------------------------------------------------------------------------

FUNCTION_LANGUAGES = ("sql", "plpythonu")


def _create_function(statement: Statement, tree: BaseSegment) -> Iterator[str]:
    for function in _crawl(tree, "create_function_statement"):
        language_clause = next(iter(function.recursive_crawl("language_clause")), None)
        language = _raw(language_clause).split()[-1] if language_clause is not None else "(none)"
        if language not in FUNCTION_LANGUAGES:
            yield f"language {language}: a function is sql or plpythonu"
        elif language == "sql":
            if next(iter(function.recursive_crawl("parameter")), None) is not None:
                yield "a SQL function's arguments have no names (they are $1, $2, ...)"
            for data_type in function.recursive_crawl("data_type"):
                if _raw(data_type) == "anyelement":
                    yield "anyelement: a SQL function takes and returns standard types"


LEADER_NODE_ONLY = {
    "current_schema",
    "current_schemas",
    "has_database_privilege",
    "has_schema_privilege",
    "has_table_privilege",
    "age",
    "current_time",
    "current_timestamp",
    "localtime",
    "isfinite",
    "now",
    "getbit",
    "get_byte",
    "set_bit",
    "set_byte",
    "to_ascii",
}


def _leader_node_only(statement: Statement, tree: BaseSegment) -> Iterator[str]:
    if not _references_user_tables(tree):
        return
    for name in _crawl(tree, "function_name_identifier", "bare_function"):
        if name.raw.lower() in LEADER_NODE_ONLY:
            yield f"{name.raw.lower()} in a statement that reads tables"


def _backslash_in_literal(statement: Statement, tree: BaseSegment) -> Iterator[str]:
    for literal in _crawl(tree, "quoted_literal"):
        if literal.raw.startswith("'") and "\\" in literal.raw:
            yield f"literal {literal.raw[:40]}: Redshift reads the backslash as an escape"


def _nested_with(statement: Statement, tree: BaseSegment) -> Iterator[str]:
    for cte in _crawl(tree, "common_table_expression"):
        for inner in cte.recursive_crawl("with_compound_statement"):
            if inner is not cte:
                name = cte.raw.split(None, 1)[0]
                yield f"the WITH clause subquery {name} holds another WITH clause"
                break


def _values_as_table(statement: Statement, tree: BaseSegment) -> Iterator[str]:
    for table in _crawl(tree, "table_expression"):
        if next(iter(table.recursive_crawl("values_clause")), None) is not None:
            yield f"a VALUES list used as a table: {_raw(table)[:60]}"


def _late_binding_unqualified(statement: Statement, tree: BaseSegment) -> Iterator[str]:
    for view in _is_late_binding_view(tree):
        ctes = _cte_names(view)
        for name in _read_references(view):
            if "." not in name and name not in ctes:
                yield f"{name} is not qualified with a schema"


AUDIT_SCHEMA = re.compile(r"__(audit|previous)$")


def _view_reads_audit_schema(statement: Statement, tree: BaseSegment) -> Iterator[str]:
    for view in _crawl(tree, "create_view_statement"):
        for name in _read_references(view):
            parts = name.split(".")
            if len(parts) >= 2 and AUDIT_SCHEMA.search(parts[-2]):
                yield f"the view reads {name}, which publish renames: the name would point nowhere"


EXTERNAL_DDL = re.compile(
    r"^\s*(create\s+external\s+(table|schema)|drop\s+table\s+.*|alter\s+table\s+\S+\s+"
    r"(add\s+(if\s+not\s+exists\s+)?partition|drop\s+partition|partition|set\s+location|add\s+column))",
    re.IGNORECASE | re.DOTALL,
)


def _external_ddl_in_transaction(statement: Statement, tree: BaseSegment) -> Iterator[str]:
    text = " ".join(statement.sql.split()).lower()
    is_external = text.startswith("create external") or (
        text.startswith("alter table") and " partition" in text
    )
    if statement.in_transaction and is_external:
        yield f"external DDL inside BEGIN ... END: {text[:60]}"


REDSHIFT_TYPES = {
    "smallint",
    "int2",
    "integer",
    "int",
    "int4",
    "bigint",
    "int8",
    "decimal",
    "numeric",
    "real",
    "float4",
    "double precision",
    "float8",
    "float",
    "boolean",
    "bool",
    "char",
    "character",
    "nchar",
    "bpchar",
    "varchar",
    "character varying",
    "nvarchar",
    "text",
    "date",
    "time",
    "time without time zone",
    "timetz",
    "time with time zone",
    "timestamp",
    "timestamp without time zone",
    "timestamptz",
    "timestamp with time zone",
    "interval",
    "geometry",
    "geography",
    "hllsketch",
    "super",
    "varbyte",
    "varbinary",
    "binary varying",
    "name",  # the catalog's identifier type, in column definition lists (PG_GET_LATE_BINDING_VIEW_COLS)
}
SHORT_BY_DEFAULT = {
    "varchar": "varchar(256)",
    "character varying": "varchar(256)",
    "nvarchar": "varchar(256)",
    "text": "varchar(256)",
    "char": "char(1)",
    "character": "char(1)",
    "nchar": "char(1)",
    "bpchar": "char(256)",
}


def _safe_operand_types(tree: BaseSegment) -> set[int]:
    """The data types of casts whose operand is null or a string literal of at most 256
    bytes: a bare VARCHAR (256 bytes) cannot cut those (dbt's unit test fixtures)."""
    safe = set()
    for function in _crawl(tree, "function"):
        name = next(iter(function.recursive_crawl("function_name_identifier")), None)
        if name is None or name.raw.lower() not in ("cast", "try_cast"):
            continue
        contents = next(iter(function.recursive_crawl("bracketed")), None)
        operand = [
            s
            for s in (contents.segments if contents else [])
            if not s.is_type("whitespace", "start_bracket", "indent", "dedent")
        ]
        first = operand[0] if operand else None
        if first is not None and first.is_type("expression") and len(first.segments) == 1:
            first = first.segments[0]
        if first is not None and (
            first.is_type("null_literal")
            or (first.is_type("quoted_literal") and len(first.raw.encode("utf-8")) <= 258)
        ):
            safe.update(id(data_type) for data_type in function.recursive_crawl("data_type"))
    return safe


def _data_types(statement: Statement, tree: BaseSegment) -> Iterator[str]:
    safe = _safe_operand_types(tree)
    # The column definition list of a set-returning function describes its output; nothing
    # is stored or cast to it (dbt-redshift's pg_get_late_binding_view_cols() cols(...)).
    for alias in _crawl(tree, "alias_expression"):
        safe.update(id(data_type) for data_type in alias.recursive_crawl("data_type"))
    for data_type in _crawl(tree, "data_type"):
        if id(data_type) in safe:
            continue
        text = _raw(data_type)
        base = re.sub(r"\s*\(.*\)\s*", " ", text).strip()
        has_length = "(" in text
        if base not in REDSHIFT_TYPES:
            yield f"{text} is not a Redshift data type"
        elif base in SHORT_BY_DEFAULT and (not has_length or base == "text"):
            yield f"{text} is {SHORT_BY_DEFAULT[base]} on Redshift: give the length"


def _unwrapped(element: BaseSegment) -> BaseSegment:
    """A select element's expression, without the ``expression`` wrapper around one part."""
    expression = element.segments[0]
    while (
        expression.is_type("expression") and len([s for s in expression.segments if not s.is_whitespace]) == 1
    ):
        expression = next(s for s in expression.segments if not s.is_whitespace)
    return expression


def _is_null(expression: BaseSegment) -> bool:
    text = _raw(expression)
    return text == "null" or text.startswith(("cast(null as", "null::"))


def _branch_elements(tree: BaseSegment) -> Iterator[BaseSegment]:
    for union in _crawl(tree, "set_expression"):
        for branch in union.segments:
            if branch.is_type("select_statement"):
                yield from branch.get_child("select_clause").get_children("select_clause_element")


def _case_results(case: BaseSegment) -> list[str]:
    """The result of each THEN and ELSE of a CASE expression, as written."""
    results = []
    for clause in case.segments:
        if clause.is_type("when_clause", "else_clause"):
            expressions = [segment for segment in clause.segments if segment.is_type("expression")]
            if expressions:
                results.append(_raw(expressions[-1]))
    return results


def _contract_types(statement: Statement, tree: BaseSegment) -> Iterator[str]:
    if not statement.contract:
        return
    for element in _branch_elements(tree):
        if _is_null(_unwrapped(element)):
            yield f"a typed null alone in a UNION branch: {_raw(element)[:60]}"
    for element in _crawl(tree, "select_clause_element"):
        expression = _unwrapped(element)
        if expression.is_type("case_expression"):
            results = _case_results(expression)
            if results and all(result.startswith("'") or result == "null" for result in results):
                yield f"a CASE of string literals without a cast: {_raw(element)[:60]}"


RULES: tuple[Rule, ...] = (
    Rule(
        "create-function",
        "A function is LANGUAGE sql (arguments by position, standard types) or plpythonu;"
        " PL/pgSQL functions and ANYELEMENT in SQL are refused.",
        GUIDE + "r_CREATE_FUNCTION.html",
        _create_function,
    ),
    Rule(
        "leader-node-only",
        "Leader-node-only functions fail in a statement that reads user tables.",
        GUIDE + "c_SQL_functions_leader_node_only.html",
        _leader_node_only,
    ),
    Rule(
        "backslash-in-literal",
        "A backslash in an ordinary string literal is an escape ('\\N' is 'N'): spell it chr(92).",
        GUIDE + "r_QUOTE_LITERAL.html",
        _backslash_in_literal,
    ),
    Rule(
        "nested-with",
        "A WITH clause subquery can't contain another WITH clause.",
        GUIDE + "r_WITH_clause.html",
        _nested_with,
    ),
    Rule(
        "values-as-table",
        "A VALUES list can't be used as a constant table (only in INSERT).",
        GUIDE + "c_unsupported-postgresql-features.html",
        _values_as_table,
    ),
    Rule(
        "late-binding-qualified",
        "A view WITH NO SCHEMA BINDING must qualify every table and view it reads with a schema.",
        GUIDE + "r_CREATE_VIEW.html",
        _late_binding_unqualified,
    ),
    Rule(
        "view-after-publish",
        "A late-binding view resolves names when queried: one naming an audit or previous schema"
        " points nowhere once publish renames it.",
        GUIDE + "r_CREATE_VIEW.html#r_CREATE_VIEW_late-binding-views",
        _view_reads_audit_schema,
    ),
    Rule(
        "external-ddl-outside-transactions",
        "CREATE EXTERNAL TABLE and ALTER TABLE on an external table can't run inside BEGIN ... END.",
        GUIDE + "r_CREATE_EXTERNAL_TABLE.html",
        _external_ddl_in_transaction,
    ),
    Rule(
        "data-types",
        "Only Redshift's data types; a VARCHAR or CHAR without a length (and TEXT) is 256 or 1 bytes.",
        GUIDE + "r_Character_types.html",
        _data_types,
    ),
    Rule(
        "contract-types",
        "A contract compares the driver's type of each column: a typed null alone in a UNION branch"
        " or a CASE of string literals has no stable type (dbt-redshift #659, dbt-core #10490); cast it.",
        GUIDE + "r_UNION.html",
        _contract_types,
    ),
)
RULE_NAMES = tuple(rule.name for rule in RULES)


def check(statement: Statement, rules: tuple[Rule, ...] = RULES) -> list[Finding]:
    """What is wrong with one statement: parse errors first, then each rule's findings."""
    tree, errors = parse(statement.sql)
    found = [Finding("parse", error) for error in errors]
    if tree is None:
        return found
    for rule in rules:
        found += [Finding(rule.name, detail) for detail in rule.check(statement, tree)]
    return found
