"""Renderings of dbt's cross-database macros for sqlfluff's jinja templater.

Linting does not need a warehouse connection: these return the DuckDB forms of the
`dbt.*` macros the models call, so sqlfluff can parse and lint the SQL around them.
"""


def type_string():
    return "varchar"


def type_timestamp():
    return "timestamp"


def type_int():
    return "integer"


def type_numeric():
    return "numeric(28, 6)"


def safe_cast(field, type_):
    return f"try_cast({field} as {type_})"


def date_trunc(datepart, date):
    return f"date_trunc('{datepart}', {date})"


def dateadd(datepart, interval, from_date_or_timestamp):
    return f"({from_date_or_timestamp} + interval '{interval} {datepart}')"


def datediff(first_date, second_date, datepart):
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def concat(fields):
    return " || ".join(fields)


def hash(field):  # the name dbt uses
    return f"md5(cast({field} as varchar))"


def current_timestamp():
    return "current_timestamp"


def type_boolean():
    return "boolean"


def type_float():
    return "double"
