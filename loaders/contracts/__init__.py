"""Raw data contracts: one JSON Schema per raw entity, the single source of truth.

Header checks, record validation, Spectrum DDL and the dbt source column lists all derive
from the ``*.schema.json`` files beside this module (see DESIGN.md, "Raw data contracts").
Property order in a schema is the column order of the entity.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema

ENTITIES = ("customers", "products", "transactions", "events")


@dataclass(frozen=True)
class Contract:
    """One raw entity's contract, read from its JSON Schema."""

    entity: str
    source: str
    file_format: str
    primary_key: str
    loaded_at_field: str
    schema: dict[str, Any]

    @property
    def columns(self) -> list[str]:
        return list(self.schema["properties"])

    @property
    def required(self) -> list[str]:
        return list(self.schema["required"])


@cache
def contract(entity: str) -> Contract:
    if entity not in ENTITIES:
        raise KeyError(f"unknown entity {entity!r}; known: {', '.join(ENTITIES)}")
    text = resources.files(__name__).joinpath(f"{entity}.schema.json").read_text("utf-8")
    schema = json.loads(text)
    return Contract(
        entity=entity,
        source=schema["x-source"],
        file_format=schema["x-format"],
        primary_key=schema["x-primary-key"],
        loaded_at_field=schema["x-loaded-at-field"],
        schema=schema,
    )


@cache
def _compiled(entity: str) -> Callable[[Any], Any]:
    return fastjsonschema.compile(contract(entity).schema)  # type: ignore[no-any-return]


def violation(entity: str, record: Any) -> str | None:
    """Why ``record`` breaks the entity's contract, in one line, or None if it conforms."""
    try:
        _compiled(entity)(record)
    except fastjsonschema.JsonSchemaValueException as exc:
        return str(exc.message)
    return None
