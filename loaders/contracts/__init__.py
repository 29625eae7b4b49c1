"""Raw data contracts: one JSON Schema per raw entity, the single source of truth.

Header checks, record validation, Spectrum DDL, the dbt sources and the vocabularies
staging applies all derive from the ``*.schema.json`` files beside this module (``c360
contracts`` writes the dbt side; ``--check`` fails on drift). Property order in a schema
is the column order of the entity.

Vocabularies, in proportion to the harm of a value outside them:

- ``enum``: a closed vocabulary the value must be in. The loader quarantines an event
  outside it (``event_type``); staging rejects a CSV row outside it (``status``, which the
  revenue logic must classify).
- ``x-vocabulary``: the expected values of an optional, descriptive attribute (``gender``,
  ``channel``, ``device_type``, the true/false flags). Nothing refuses a value outside it:
  staging keeps the row, sets the attribute to null and names it in the row's
  ``data_quality_issues``.
- ``x-synonyms`` (with either): obvious spellings mapped to a vocabulary value after
  trimming and lower-casing, e.g. ``{"f": "female", "refunded": "returned"}``.

``x-pii: true`` marks personal data (name, e-mail, phone, birth date): the dbt sources tag
the column ``meta: {pii: true}``, and a test holds every model to the same tag.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

import fastjsonschema
import msgspec
from fastjsonschema.draft04 import DOLLAR_FINDER
from fastjsonschema.draft07 import CodeGeneratorDraft07

ENTITIES = ("customers", "products", "transactions", "events")
# The lineage the consumer adds to every event it lands (not part of the producer's contract).
LINEAGE_STRINGS = ("_kinesis_shard_id", "_kinesis_sequence_number")
LINEAGE_TIMESTAMPS = ("_kinesis_arrival_at", "_landed_at")


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

    @property
    def pii_columns(self) -> list[str]:
        """The columns that hold personal data (``x-pii``), in column order."""
        return [name for name, spec in self.schema["properties"].items() if spec.get("x-pii")]

    def vocabularies(self) -> dict[str, Vocabulary]:
        """The columns with a vocabulary (``enum`` or ``x-vocabulary``), in column order."""
        found = {}
        for name, spec in self.schema["properties"].items():
            values = spec.get("enum", spec.get("x-vocabulary"))
            if values is not None:
                found[name] = Vocabulary(
                    values=list(values),
                    synonyms=dict(spec.get("x-synonyms", {})),
                    closed="enum" in spec,
                )
        return found


@dataclass(frozen=True)
class Vocabulary:
    """The values a column should hold, obvious spellings of them, and what an outsider costs."""

    values: list[str]
    synonyms: dict[str, str]
    closed: bool  # True: a value outside it is rejected; False: kept as null and flagged


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


# --- a fast decoder derived from the same schema ----------------------------------------
#
# Validating a record with the JSON Schema costs tens of microseconds in Python. For the hot
# path (the Kinesis consumer) ``fast_decoder`` builds a msgspec decoder from the same schema
# that parses and checks a record in one pass. It is deliberately one-sided: a record it
# accepts conforms to the schema (same types, enums, lengths, and the same Python regexes
# as fastjsonschema compiles, format regexes included); a record it refuses is checked with
# ``violation``, which decides and gives the reason. Keywords it does not model make
# ``fast_decoder`` return None, and callers use ``violation`` alone.

_MODELLED = {"type", "description", "enum", "pattern", "minLength", "format"}


def _field_type(name: str, spec: dict[str, Any], required: bool) -> tuple[Any, Any] | None:
    types = spec.get("type")
    allowed = {types} if isinstance(types, str) else set(types or [])
    keywords = {key for key in spec if not key.startswith("x-")}  # x- keywords never constrain
    if keywords - _MODELLED or not allowed <= {"string", "null"} or "string" not in allowed:
        return None
    # fastjsonschema reads ``$`` as end of string (``\Z``); Python's ``$`` also matches before
    # a final newline, so the pattern is rewritten the same way.
    patterns = [DOLLAR_FINDER.sub(r"\\Z", spec["pattern"])] if "pattern" in spec else []
    if "format" in spec:
        if spec["format"] not in CodeGeneratorDraft07.FORMAT_REGEXS:
            return None
        patterns.append(CodeGeneratorDraft07.FORMAT_REGEXS[spec["format"]])
    if len(patterns) > 1:
        return None
    value: Any = str
    if "enum" in spec:
        if patterns or "minLength" in spec or not all(isinstance(option, str) for option in spec["enum"]):
            return None
        value = Literal[tuple(spec["enum"])]  # type: ignore[valid-type]
    elif patterns or "minLength" in spec:
        meta = msgspec.Meta(pattern=patterns[0] if patterns else None, min_length=spec.get("minLength"))
        value = Annotated[str, meta]
    if "null" in allowed:
        value = value | None
    if required:
        return value, msgspec.NODEFAULT
    # An absent key stays UNSET (an explicit null is None), so callers can count the keys.
    return value | msgspec.UnsetType, msgspec.UNSET


@cache
def fast_decoder(entity: str) -> msgspec.json.Decoder[Any] | None:
    """A msgspec decoder accepting only records that conform to the entity's contract."""
    schema = contract(entity).schema
    if schema.get("additionalProperties") is not False:
        return None
    fields = []
    for name, spec in schema["properties"].items():
        typed = _field_type(name, spec, name in schema["required"])
        if typed is None:
            return None
        fields.append((name, typed[0], typed[1]))
    struct = msgspec.defstruct(f"{entity.title()}Record", fields, forbid_unknown_fields=True)
    return msgspec.json.Decoder(struct)
