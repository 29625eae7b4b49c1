"""What a selective build runs, read from dbt's graph (the ``manifest.json`` of the last dbt
call: its ``child_map`` and each node's parents and config).

A run on DuckDB rebuilds only what reads the sources that changed: ``source:NAME+`` terms
(``c360.pipeline.changes``). Two questions about such a selection are answered here:

- ``selection_reaches_fit``: can it make the CLV fit's inputs again? If not, the build
  builds what reads the fit in the same dbt call (``c360.warehouse.build``).
- ``stop_plan``: which models does it reach only through a model marked
  ``meta: {c360_stop_if_unchanged: true}`` (the conformed dimensions)? Those are held back:
  the first dbt call builds everything else, and the held models are built, in a second
  call, only below a marked model whose rows came out different. A new hour of clickstream
  rarely changes dim_customers or dim_products (only an id the exports never described
  does), so the order facts and the marts over them are left as the last green build made
  them, which is what a full refresh would make of them.

A wrong answer about the graph costs time, never numbers: with no manifest, or any term
that is not ``source:NAME+``, the answer is "build it all in one call".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from c360.warehouse import clv_fit
from c360.warehouse.access import Query
from c360.warehouse.dbt import target_dir

STOP_KEY = "c360_stop_if_unchanged"
SELECT = ("--select", "-s")


def _manifest() -> dict[str, Any] | None:
    manifest_file = target_dir() / "manifest.json"
    if not manifest_file.exists():
        return None
    return json.loads(manifest_file.read_text("utf-8"))  # type: ignore[no-any-return]


def _sources(children: dict[str, list[str]], terms: Iterable[str]) -> list[str] | None:
    """The source nodes of ``source:NAME+`` terms; None for any other term, or a source
    the graph does not have."""
    found: list[str] = []
    for term in terms:
        if not (term.startswith("source:") and term.endswith("+")):
            return None
        nodes = [node for node in children if node.startswith("source.") and node.endswith("." + term[7:-1])]
        if not nodes:
            return None
        found += nodes
    return found


def _below(
    children: dict[str, list[str]], start: Iterable[str], stops: frozenset[str] = frozenset()
) -> set[str]:
    """Every node reachable from ``start`` (itself included), not going on past ``stops``."""
    reached: set[str] = set()
    todo = list(start)
    while todo:
        node = todo.pop()
        if node not in reached:
            reached.add(node)
            if node not in stops:
                todo += children.get(node, [])
    return reached


def selection_reaches_fit(selection: list[str] | None) -> bool:
    """Whether building ``selection`` (the run's ``source:NAME+`` terms) can make the fit's
    inputs again; True for no selection (everything), any other term, or no manifest. A
    wrong answer costs time, not numbers: the fit step fits again whenever the first part
    did make its inputs."""
    manifest = _manifest()
    if not selection or manifest is None:
        return True
    children: dict[str, list[str]] = manifest.get("child_map") or {}
    sources = _sources(children, selection)
    if sources is None:
        return True
    return any(
        node.startswith("model.") and node.endswith(f".{clv_fit.INPUTS}")
        for node in _below(children, sources)
    )


@dataclass(frozen=True)
class StopPlan:
    """A selective build in up to two dbt calls: ``first`` (names of the models and data
    tests to build first), then, below each stop whose rows changed, the held models."""

    first: list[str]
    stops: dict[str, str]  # stop model name -> its table, "schema"."alias"
    held: frozenset[str]  # unique ids of the models the first call leaves out
    children: dict[str, list[str]]
    names: dict[str, str]  # unique id -> name, of every model selected

    def below_changed(self, changed: Iterable[str]) -> list[str]:
        """The models to build because the stops ``changed`` did: the held models below
        them and every model below those (a model of the first call that reads one is built
        again), by name."""
        ids = {unique_id for unique_id, name in self.names.items() if name in set(changed)}
        held = [node for node in _below(self.children, ids) if node in self.held]
        return sorted(self.names[node] for node in _below(self.children, held) if node in self.names)

    def first_args(self, args: list[str]) -> list[str]:
        """``args`` selecting the first call's nodes, each named: its data tests are listed
        (a test of a held model is left to the second call), so nothing is added to them."""
        return [*split_selection(args, SELECT)[1], "--select", *self.first, "--indirect-selection", "empty"]

    def second_args(self, args: list[str], models: list[str]) -> list[str]:
        """``args`` selecting ``models``, with every data test that reads one of them."""
        return [*split_selection(args, SELECT)[1], "--select", *models]


def stop_plan(args: list[str]) -> StopPlan | None:
    """The plan of a build of ``args`` (dbt build arguments) that holds back what it reaches
    only through a stop; None when it holds nothing back, or when its ``--select`` and
    ``--exclude`` are not all ``source:NAME+`` terms (a user's own selection is built as
    given)."""
    manifest = _manifest()
    selected, excluded = split_selection(args, SELECT)[0], split_selection(args, ("--exclude",))[0]
    if manifest is None or not selected:
        return None
    children: dict[str, list[str]] = manifest.get("child_map") or {}
    nodes: dict[str, dict[str, Any]] = manifest.get("nodes") or {}
    starts, left_out = _sources(children, selected), _sources(children, excluded)
    if starts is None or left_out is None:
        return None
    excluded_ids = _below(children, left_out)
    models = {
        node for node in _below(children, starts) if node.startswith("model.") and node not in excluded_ids
    }
    stops = {
        node
        for node in models
        if ((nodes.get(node) or {}).get("config") or {}).get("meta", {}).get(STOP_KEY) is True
    }
    free = {node for node in _below(children, starts, frozenset(stops)) if node in models}
    held = frozenset(models - free)
    if not held:
        return None
    tests: list[str] = []
    built = free | set(starts)  # a test of a selected source is selected too
    for node in nodes.values():
        if node.get("resource_type") != "test":
            continue
        parents = set((node.get("depends_on") or {}).get("nodes") or [])
        # dbt's eager selection: a test of a selected model, unless it reads an excluded
        # one. A test that also reads a held model reads it as the last green build left
        # it, which stands unless the second call builds it (and runs the test again);
        # one that reads nothing built but stops and held models waits for that call.
        waits = bool(parents & held) and parents & built <= stops
        if parents & built and not parents & excluded_ids and not waits:
            tests.append(node["name"])
    return StopPlan(  # in a stable order: two parses of one project give equal plans
        first=sorted(nodes[node]["name"] for node in free) + sorted(tests),
        stops={
            nodes[node]["name"]: f'"{nodes[node]["schema"]}"."{nodes[node]["alias"]}"'
            for node in sorted(stops)
        },
        held=held,
        children={node: sorted(below) for node, below in children.items()},
        names={node: nodes[node]["name"] for node in models},
    )


def table_digests(query: Query, relations: dict[str, str]) -> dict[str, str]:
    """A digest of each relation's rows (their count and the sum of a hash of each row), to
    tell whether a build changed it; DuckDB's hash of the row."""
    digests = {}
    for name, relation in relations.items():
        [row] = query(f"select count(*) as found, sum(hash(t)) as digest from {relation} as t")
        digests[name] = f"{row['found']}:{row['digest']}"
    return digests


def split_selection(args: list[str], flags: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(the values of the flags, the arguments without them): dbt's ``--select a b c``."""
    values, rest, taking = [], [], False
    for arg in args:
        if arg in flags:
            taking = True
        elif taking and not arg.startswith("-"):
            values.append(arg)
        else:
            taking = False
            rest.append(arg)
    return values, rest
