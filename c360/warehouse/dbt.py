"""Run dbt with the project's profile and target, so nobody copies a profile file."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from c360.settings import DBT_PROJECT_DIR, Settings

FAILED_STATUSES = ("error", "fail", "runtime error")
# dbt's node lines: "12:00:01  3 of 106 START sql table model main.stg_x ..... [RUN]" and
# "12:00:02  3 of 106 OK created sql table model main.stg_x ..... [OK in 0.51s]".
NODE_LINE = re.compile(
    r"\b(\d+) of (\d+) (START|OK|PASS|WARN|FAIL|ERROR|SKIP|NO-OP)\b(?!.* hook: ).*? (\S+)\s+(?:\.+\s+)?\["
)
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
LOG_TIME = re.compile(r"^\d\d:\d\d:\d\d\s+")  # dbt's "12:00:01  " before each line


class BuildFailedError(RuntimeError):
    """A dbt call of a build failed (a model, an error-severity test, freshness or the
    accounts); nothing was published."""


@dataclass
class DbtResult:
    command: list[str]
    exit_code: int
    statuses: dict[str, int]  # e.g. {"success": 5, "pass": 15, "fail": 1}
    failures: list[str] = field(default_factory=list)  # "model stg_x: first line of the error"
    built: list[str] = field(default_factory=list)  # unique ids of the nodes that succeeded

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def describe_failure(self, limit: int = 3) -> str:
        """The failed nodes with their first error line, in one line."""
        if not self.failures:
            return f"dbt exited with code {self.exit_code} ({_describe(self.statuses)}); see its output above"
        shown = "; ".join(self.failures[:limit])
        more = len(self.failures) - limit
        return shown + (f"; and {more} more" if more > 0 else "")


def _describe(statuses: dict[str, int]) -> str:
    return ", ".join(f"{count} {status}" for status, count in sorted(statuses.items())) or "no results"


AUDIT_VARS = ["--vars", json.dumps({"c360_audit": True})]


def run_vars(settings: Settings, args: list[str]) -> list[str]:
    """The dbt arguments of a call of a build or run: on PostgreSQL and Redshift every dbt
    call gets var c360_audit (into the audit schemas), merged into any --vars given, whether
    the call needs it or not, so dbt parses the project once per run (partial parsing starts
    over whenever the vars change: about 12 s a call)."""
    if settings.target == "local":
        return args
    if "--vars" not in args:
        return [*args, *AUDIT_VARS]
    at = args.index("--vars")
    given = yaml.safe_load(args[at + 1]) or {}
    return [*args[: at + 1], json.dumps({**given, "c360_audit": True}), *args[at + 2 :]]


def dbt_executable() -> str:
    """The dbt of this interpreter's environment, whether or not it is on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def check_buildable(settings: Settings) -> None:
    """Refuse, in one line, a combination dbt cannot build from."""
    if settings.target == "local" and settings.lake.startswith("s3://"):
        raise ValueError(
            f"{settings.lake}: the local target builds from a lake folder; land to S3 with"
            " `c360 land --lake s3://...`, but build from a folder (or with --target redshift)"
        )


def target_dir(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """Where dbt writes its artefacts: ``DBT_TARGET_PATH`` (dbt's own variable) or dbt/target."""
    configured = os.environ.get("DBT_TARGET_PATH")
    if not configured:
        return project_dir / "target"
    return Path(configured) if Path(configured).is_absolute() else project_dir / configured


def dbt_vars(args: list[str], project_dir: Path = DBT_PROJECT_DIR) -> dict[str, Any]:
    """The vars a dbt call with ``args`` sees: the project's (``dbt_project.yml``), with those
    of ``--vars`` over them (assumed checked: see ``c360.warehouse.build.checked_vars``)."""
    project = yaml.safe_load((project_dir / "dbt_project.yml").read_text("utf-8"))
    found: dict[str, Any] = dict(project.get("vars") or {})
    if "--vars" in args and args.index("--vars") + 1 < len(args):
        found.update(yaml.safe_load(args[args.index("--vars") + 1]) or {})
    return found


def run_dbt(
    settings: Settings, args: list[str], project_dir: Path = DBT_PROJECT_DIR, target_path: Path | None = None
) -> DbtResult:
    """Run ``dbt <args>`` for the settings' target; its output streams to stderr.

    The structured log (``<target>/logs/dbt.log``, JSON lines) is where dbt reports every
    failed node with its error, including sources whose freshness query failed, which
    ``sources.json`` leaves out; the result names them from it. ``target_path``: dbt's
    artefacts there instead of the project's target (``target_dir``).
    """
    check_buildable(settings)
    if settings.target == "local":
        settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    target = target_path or target_dir(project_dir)
    log_dir = target / "logs"
    command, env = _command(settings, args, project_dir, target)
    if not sys.stderr.isatty():  # a log file or CI: dbt's lines without colour escape codes
        env.setdefault("DBT_USE_COLORS", "false")
    # dbt writes run_results.json, or sources.json for `source freshness`, and appends to
    # its log. Remove them first, so a previous run's outcome is never reported as this one's.
    results = [target / name for name in ("run_results.json", "sources.json")]
    for path in [*results, log_dir / "dbt.log"]:
        path.unlink(missing_ok=True)
    # dbt's progress is a log: it goes to stderr, so stdout stays for results (``--json``).
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, text=True, encoding="utf-8", errors="replace"
    ) as process:
        assert process.stdout is not None
        show_progress(process.stdout, Console(stderr=True), title=f"dbt {args[0] if args else ''}".strip())
    return DbtResult(
        command, process.returncode, _statuses(results), _failures(log_dir / "dbt.log"), _built(results[0])
    )


def _command(
    settings: Settings, args: list[str], project_dir: Path, target: Path
) -> tuple[list[str], dict[str, str]]:
    """The dbt command line and environment of a call with ``args`` for the settings, with
    its artefacts and log in ``target``."""
    command = [
        dbt_executable(),
        *args,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target",
        settings.target,
        "--target-path",
        str(target),
        "--log-format-file",
        "json",
        "--log-path",
        str(target / "logs"),
    ]
    return command, {**os.environ, **settings.environment(), "C360_PII_SALT": settings.pii_salt()}


def list_nodes(
    settings: Settings, args: list[str], project_dir: Path = DBT_PROJECT_DIR, target_path: Path | None = None
) -> list[str]:
    """The unique ids ``dbt ls <args>`` selects (e.g. ``--select state:modified``); raises
    ``BuildFailedError`` with dbt's line that says why when it cannot list them."""
    command, env = _command(
        settings,
        ["ls", *args, "--output", "json", "--output-keys", "unique_id", "--quiet"],
        project_dir,
        target_path or target_dir(project_dir),
    )
    listed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if listed.returncode:
        raise BuildFailedError(f"dbt ls failed: {dbt_error_line(listed.stdout + listed.stderr)}")
    return [json.loads(line)["unique_id"] for line in listed.stdout.splitlines() if line.startswith("{")]


def dbt_error_line(output: str) -> str:
    """dbt's error in one line: what follows "Encountered an error:" (e.g. "Compilation Error
    in model x (path): unexpected '}'"), else its last line."""
    lines = [LOG_TIME.sub("", ANSI_ESCAPE.sub("", line)).strip() for line in output.splitlines()]
    lines = [line for line in lines if line]
    if "Encountered an error:" in lines:
        after = lines[lines.index("Encountered an error:") + 1 :]
        return ": ".join(after[:2]) or "no message"
    return lines[-1] if lines else "no output"


def show_progress(lines: Iterable[str], console: Console, title: str = "dbt") -> int:
    """Show dbt's output: on a terminal, its lines (colours kept) above a bar of the nodes
    done; anywhere else (a log file, CI), its lines as they come, with any escape code
    removed. Returns the nodes done."""
    done = 0
    if not console.is_terminal:
        for line in lines:
            console.file.write(ANSI_ESCAPE.sub("", line))
            console.file.flush()
            done += _finished(line) is not None
        return done
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[node]}"),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(title, total=None, node="")
        for line in lines:
            progress.console.print(Text.from_ansi(line.rstrip("\n")), highlight=False, soft_wrap=True)
            finished = _finished(line)
            if finished is not None:
                done += 1
                total, node = finished
                progress.update(task, total=total, completed=done, node=node)
    return done


def _finished(line: str) -> tuple[int, str] | None:
    """(total nodes, node name) when ``line`` reports a node finished; None otherwise."""
    match = NODE_LINE.search(ANSI_ESCAPE.sub("", line))
    if match is None or match.group(3) == "START":
        return None
    return int(match.group(2)), match.group(4)


def _first_line(message: str | None) -> str:
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    useful = [
        line
        for line in lines
        if not line.startswith(
            ("Runtime Error in", "Database Error in", "Failure in", "Compilation Error in")
        )
    ]
    return (useful or lines or ["no message"])[0]


def _node_name(unique_id: str) -> str:
    """``model.c360.stg_x`` -> "model stg_x"; ``test.c360.name.hash`` -> "test name";
    ``source.c360.web.events`` -> "source web.events"."""
    kind, _package, *rest = unique_id.split(".")
    if kind == "test":
        rest = rest[:1]
    return f"{kind.replace('_', ' ')} {'.'.join(rest)}"


def _statuses(results: list[Path]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in results:
        if path.exists():
            for result in json.loads(path.read_text("utf-8")).get("results", []):
                counts[result["status"]] = counts.get(result["status"], 0) + 1
    return counts


def _built(run_results: Path) -> list[str]:
    if not run_results.exists():
        return []
    results = json.loads(run_results.read_text("utf-8")).get("results", [])
    return [result["unique_id"] for result in results if result["status"] == "success"]


def run_results(project_dir: Path = DBT_PROJECT_DIR) -> dict[str, Any]:
    """The last dbt call's ``run_results.json`` ({} when there is none)."""
    path = target_dir(project_dir) / "run_results.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else {}  # type: ignore[no-any-return]


def merge_run_results(earlier: dict[str, Any], project_dir: Path = DBT_PROJECT_DIR) -> None:
    """Put the results of an earlier dbt call of the same build (``run_results()`` as it
    was) before the last call's, so ``run_results.json`` describes the whole build."""
    path = target_dir(project_dir) / "run_results.json"
    if not path.exists() or not earlier:
        return
    last = json.loads(path.read_text("utf-8"))
    last["results"] = [*earlier.get("results", []), *last.get("results", [])]
    path.write_text(json.dumps(last), encoding="utf-8")


def _failures(log: Path) -> list[str]:
    """Each node dbt reported as failed, as "<type> <name>: <first line of its error>"."""
    failures: list[str] = []
    if not log.exists():
        return failures
    for line in log.read_text("utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("info", {}).get("name") != "RunResultError":
            continue
        data = event.get("data", {})
        unique_id = data.get("node_info", {}).get("unique_id")
        name = _node_name(unique_id) if unique_id else "dbt"
        mismatches = _contract_mismatches(data.get("msg"))
        first = _first_line(data.get("msg"))
        failures.append(f"{name}: {first.rstrip('.') + mismatches if mismatches else first}")
    return failures


def _contract_mismatches(message: str | None) -> str:
    """A broken contract's mismatches in words, from the table dbt's error holds
    (``| column_name | definition_type | contract_type | mismatch_reason |``): ": latitude
    is DOUBLE, the contract says NUMERIC (data type mismatch)"; "" for any other error."""
    if "enforced contract" not in (message or ""):
        return ""
    said = []
    for line in (message or "").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("column_name", "") or set(cells[0]) <= {"-"}:
            continue
        column, built, contracted, reason = cells
        built_as = f"is {built}" if built else "is missing from the model"
        contract = f"the contract says {contracted}" if contracted else "the contract does not name it"
        said.append(f"{column} {built_as}, {contract} ({reason})")
    return f": {'; '.join(said)}" if said else ""
