"""Shared fixtures: one small generated dataset and one warehouse built from it by the real pipeline."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from c360 import pipeline
from c360.settings import Settings
from loaders.generator import generate

SCALE = 0.05
SEED = 7


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    generate(out, scale=SCALE, seed=SEED)
    return out


@pytest.fixture(scope="session")
def answer_key(sample_dir: Path) -> dict[str, Any]:
    return json.loads((sample_dir / "answer_key.json").read_text())


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@dataclass
class Built:
    settings: Settings
    report: pipeline.RunReport
    sample_dir: Path


@pytest.fixture(scope="session")
def built(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Land the sample, build with dbt on DuckDB and publish, exactly as `c360 run --input` does."""
    root = tmp_path_factory.mktemp("pipeline")
    settings = Settings.resolve(
        lake=root / "lake",
        warehouse=root / "warehouse" / "c360.duckdb",
        published=root / "warehouse" / "published.duckdb",
        target="local",
    )
    report = pipeline.run(settings, input_dir=sample_dir, say=lambda _message: None)
    return Built(settings, report, sample_dir)
