"""Deployment packages of the loaders: the Kinesis consumer Lambda and the Glue compaction job.

Each zip holds only what its entry point imports: the ``loaders`` and ``config`` modules
reached from it (followed through their imports), the contracts' JSON Schemas they read,
and the third-party packages among those imports, installed for the AWS runtime (Linux
x86_64, CPython 3.11) at the versions this project locks. What the runtime already has is left out: boto3 and
botocore in Lambda and Glue, pyarrow in Glue. ``make lambda-zip`` builds both::

    build/lambda/c360-consumer.zip     handler loaders.streaming.kinesis_consumer.handler
    build/glue/c360-compaction.zip     --extra-py-files of the job running loaders/compaction/glue_job.py
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from c360.settings import PROJECT_ROOT

FIRST_PARTY = ("loaders", "config")
PLATFORM = "x86_64-manylinux2014"
PYTHON_VERSION = "3.11"
DATA_SUFFIXES = (".json",)  # the contracts' schemas, read at import


@dataclass(frozen=True)
class Package:
    entry: str  # the module the runtime imports first
    path: str  # where make lambda-zip writes it, relative to the project
    provided: tuple[str, ...]  # third-party packages the runtime has already


CONSUMER = Package(
    "loaders.streaming.kinesis_consumer", "build/lambda/c360-consumer.zip", ("boto3", "botocore")
)
COMPACTION = Package(
    "loaders.compaction.glue_job", "build/glue/c360-compaction.zip", ("boto3", "botocore", "pyarrow")
)
PACKAGES = (CONSUMER, COMPACTION)


def _module_file(module: str, root: Path) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imports_of(
    entry: str, root: Path = PROJECT_ROOT, first_party: tuple[str, ...] = FIRST_PARTY
) -> tuple[set[str], set[str]]:
    """The modules of ``first_party`` packages ``entry`` reaches (itself and its parent
    packages included) and the top-level names of the third-party packages they import."""
    modules: set[str] = set()
    third_party: set[str] = set()
    pending = [entry]
    while pending:
        module = pending.pop()
        if module in modules:
            continue
        source = _module_file(module, root)
        if source is None:
            continue
        modules.add(module)
        parts = module.split(".")
        pending += [".".join(parts[:depth]) for depth in range(1, len(parts))]
        for node in ast.walk(ast.parse(source.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in first_party:
                    pending.append(name)
                elif top not in sys.stdlib_module_names and top not in (
                    "__future__",
                    "c360",
                    "config",
                    "loaders",
                    "app",
                ):
                    third_party.add(top)
    return modules, third_party


def _distribution(top_level: str) -> str:
    """The installed distribution that provides an import name, pinned: ``name==version``."""
    names = metadata.packages_distributions().get(top_level)
    if not names:
        raise RuntimeError(f"{top_level}: imported by the loaders but not installed; run `make install`")
    return f"{names[0]}=={metadata.version(names[0])}"


def build(package: Package, out: Path | None = None, root: Path = PROJECT_ROOT, uv: str = "uv") -> Path:
    """Write the zip of ``package``; returns its path."""
    target = out or root / package.path
    modules, third_party = imports_of(package.entry, root)
    wanted = sorted(_distribution(name) for name in third_party - set(package.provided))
    with tempfile.TemporaryDirectory(prefix="c360-package-") as scratch:
        staging = Path(scratch)
        for module in modules:
            source = _module_file(module, root)
            assert source is not None
            copied = staging / source.relative_to(root)
            copied.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copied)
            if source.name == "__init__.py":  # a package's data files (the contracts' schemas)
                for data in source.parent.iterdir():
                    if data.suffix in DATA_SUFFIXES:
                        shutil.copy2(data, copied.parent / data.name)
        if wanted:
            subprocess.run(
                [uv, "pip", "install", "--quiet", "--target", str(staging), "--python-platform", PLATFORM,
                 "--python-version", PYTHON_VERSION, "--only-binary", ":all:", "--no-deps", *wanted],
                check=True,
            )  # fmt: skip
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(staging.rglob("*")):
                hidden = any(part.startswith(".") for part in path.relative_to(staging).parts)  # uv's .lock
                if path.is_file() and "__pycache__" not in path.parts and not hidden:
                    archive.write(path, path.relative_to(staging).as_posix())
    return target


def main() -> None:
    uv = sys.argv[1] if len(sys.argv) > 1 else "uv"
    for package in PACKAGES:
        print(build(package, uv=uv).relative_to(PROJECT_ROOT))


if __name__ == "__main__":
    main()
