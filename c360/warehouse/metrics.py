"""The semantic layer's SQL for the app: metric queries compiled by MetricFlow.

The metrics are defined once, in ``dbt/models/semantic/`` (MetricFlow semantic models and
metrics over the marts). Analysts query them with ``mf query`` from ``dbt/``; the app reads
the same definitions through ``app/metric_queries.py``, which this module generates: each
query of ``APP_QUERIES`` compiled by MetricFlow's own engine, with the marts named as the
app names them (``{core}.fct_order_lines``) and the filters as bound parameters
(``:from_date``). The SQL is MetricFlow's PostgreSQL rendering, which is also its Redshift
rendering (checked here) and which DuckDB reads (the app's tests run it on DuckDB and
PostgreSQL and parse it as Redshift). The app then needs neither MetricFlow nor dbt to run,
and ``c360 metrics --check`` (in ``make lint``) fails when a metric changed and the
generated file did not.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from c360.settings import DBT_PROJECT_DIR, PROJECT_ROOT
from c360.warehouse.dbt import dbt_error_line, dbt_executable

OUTPUT_FILE = PROJECT_ROOT / "app" / "metric_queries.py"
# The schemas of the marts, as the app's queries name them (app.warehouse.RELATION).
PUBLIC_SCHEMAS = ("core", "analytics", "customer")


@dataclass(frozen=True)
class MetricQuery:
    """One read of the app from the semantic layer: metrics, grouped and filtered."""

    name: str
    metrics: tuple[str, ...]
    group_by: tuple[str, ...] = ()
    where: tuple[str, ...] = ()
    order_by: tuple[str, ...] = ()


# The overview's tiles: the chosen days (:from_date to :to_date), one country and one
# channel or all (''). The page asks for the chosen period and the one before it.
APP_QUERIES = (
    MetricQuery(
        "KPIS",
        metrics=("net_revenue", "orders", "customers", "average_order_value"),
        where=(
            "{{ TimeDimension('metric_time', 'day') }} between :from_date and :to_date",
            "(:country = '' or {{ Dimension('order_line__country_code') }} = :country)",
            "(:channel = '' or {{ Dimension('order_line__channel') }} = :channel)",
        ),
    ),
)


class MetricsError(RuntimeError):
    """The semantic layer could not be read or compiled."""


def semantic_manifest(project_dir: Path = DBT_PROJECT_DIR) -> dict[str, Any]:
    """dbt's semantic manifest of the project, from ``dbt parse`` for the local target into
    a scratch target folder (nothing else of dbt's is touched)."""
    with tempfile.TemporaryDirectory(prefix="c360-metrics-") as scratch:
        command = [
            dbt_executable(),
            "parse",
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(project_dir),
            "--target",
            "local",
            "--target-path",
            scratch,
            "--log-path",
            scratch,
            "--quiet",
        ]
        env = {"C360_PII_SALT": "parse-only", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        parsed = subprocess.run(
            command, capture_output=True, text=True, check=False, env={**os.environ, **env}
        )
        path = Path(scratch) / "semantic_manifest.json"
        if parsed.returncode or not path.exists():
            raise MetricsError(f"dbt parse failed: {dbt_error_line(parsed.stdout + parsed.stderr)}")
        loaded: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return loaded


def with_app_relations(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest with each semantic model's table named as the app names it,
    ``{core}.fct_orders``: the app puts the published schema in (a prefix on a server)."""
    models = []
    for model in manifest["semantic_models"]:
        relation = dict(model["node_relation"])
        schema = str(relation["schema_name"])
        if schema not in PUBLIC_SCHEMAS:
            read = f"{schema}.{relation['alias']}"
            raise MetricsError(f"semantic model {model['name']} reads {read}, not a mart")
        relation.update(database=None, relation_name=f"{{{schema}}}.{relation['alias']}")
        models.append({**model, "node_relation": relation})
    return {**manifest, "semantic_models": models}


def compile_queries(
    manifest: dict[str, Any], queries: tuple[MetricQuery, ...] = APP_QUERIES
) -> dict[str, str]:
    """Each query's SQL, as MetricFlow renders it for PostgreSQL and Redshift alike."""
    from metricflow.engine.metricflow_engine import MetricFlowEngine, MetricFlowQueryRequest
    from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
    from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

    parsed = parse_manifest_from_dbt_generated_manifest(json.dumps(with_app_relations(manifest)))
    lookup = SemanticManifestLookup(parsed)
    rendered: dict[str, dict[str, str]] = {"postgres": {}, "redshift": {}}
    for dialect, by_name in rendered.items():
        engine = MetricFlowEngine(lookup, _RenderOnly(dialect))
        for query in queries:
            request = MetricFlowQueryRequest.create(
                metric_names=list(query.metrics),
                group_by_names=list(query.group_by) or None,
                where_constraints=list(query.where) or None,
                order_by_names=list(query.order_by) or None,
            )
            statement = engine.explain(request).sql_statement.without_descriptions
            by_name[query.name] = statement.sql.strip() + "\n"
    for name, sql in rendered["postgres"].items():
        if rendered["redshift"][name] != sql:
            raise MetricsError(f"{name}: MetricFlow writes it differently for Redshift; keep both renderings")
    return rendered["postgres"]


class _RenderOnly:
    """A MetricFlow SQL client that only renders: its dialect, never a connection (the app
    runs the SQL with its own, parameters bound)."""

    def __init__(self, dialect: str) -> None:
        from metricflow.protocols.sql_client import SqlEngine
        from metricflow.sql.render.postgres import PostgresSQLSqlPlanRenderer
        from metricflow.sql.render.redshift import RedshiftSqlPlanRenderer

        engines = {
            "postgres": (SqlEngine.POSTGRES, PostgresSQLSqlPlanRenderer),
            "redshift": (SqlEngine.REDSHIFT, RedshiftSqlPlanRenderer),
        }
        engine, renderer = engines[dialect]
        self.sql_engine_type = engine
        self.sql_plan_renderer = renderer()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f":{bind_parameter_key}"

    def query(self, stmt: str, sql_bind_parameter_set: Any = None) -> Any:
        raise MetricsError("the semantic layer's SQL is compiled here, and run by the app")

    execute = dry_run = query

    def close(self) -> None:
        return None


def render(manifest: dict[str, Any]) -> str:
    """The source of ``app/metric_queries.py``."""
    compiled = compile_queries(manifest)
    lines = [
        '"""The app\'s reads of the semantic layer, compiled by MetricFlow: do not edit.',
        "",
        "Generated by `c360 metrics` from dbt/models/semantic/ (c360.warehouse.metrics);",
        "`c360 metrics --check` fails when it is out of date.",
        '"""',
        "",
        "# ruff: noqa: E501",
        "",
    ]
    for query in APP_QUERIES:
        lines += [f"{query.name} = {_literal(compiled[query.name])}", ""]
    return "\n".join(lines)


def _literal(sql: str) -> str:
    """A triple-quoted Python string holding ``sql`` exactly."""
    if '"""' in sql or "\\" in sql:
        return repr(sql)
    return '"""\\\n' + sql + '"""'


def write(manifest: dict[str, Any], path: Path = OUTPUT_FILE) -> Path:
    path.write_text(render(manifest), encoding="utf-8")
    return path


def stale(manifest: dict[str, Any], path: Path = OUTPUT_FILE) -> bool:
    """Whether the generated file is missing or differs from what the metrics give."""
    return not path.exists() or path.read_text(encoding="utf-8") != render(manifest)
