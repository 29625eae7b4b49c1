"""terraform/ without a terraform binary: checkov, the module wiring, and least privilege.

- checkov (its own environment, ``--skip-download``) finds no failed check, and every
  skip says why;
- every module call passes only variables the module declares, and every variable the
  module requires; every file the configuration reads exists;
- no statement allows a wildcard action;
- each role allows exactly the AWS API calls its code makes, derived from the code here,
  plus a documented list of what AWS itself needs from the role.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import hcl2
import pytest

from c360 import packaging
from c360.pipeline.steps import STEPS
from c360.settings import PROJECT_ROOT

TERRAFORM = PROJECT_ROOT / "terraform"
MODULES = TERRAFORM / "modules"
CHECKOV = PROJECT_ROOT / ".tools" / "checkov" / "bin" / "checkov"
META_ARGUMENTS = {"source", "count", "for_each", "depends_on", "providers", "version"}


def _text(value: Any) -> Any:
    """python-hcl2 keeps string quotes: "\\"x\\"" -> "x"."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _load(path: Path) -> dict[str, Any]:
    with path.open("r", encoding="utf-8") as handle:
        return hcl2.load(handle)  # type: ignore[no-any-return]


def _blocks(parsed: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """``module "x" {...}`` blocks (or variables, outputs) by name."""
    found: dict[str, dict[str, Any]] = {}
    for block in parsed.get(kind, []):
        for name, body in block.items():
            found[_text(name)] = body
    return found


def _module_variables(directory: Path) -> dict[str, dict[str, Any]]:
    declared: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.tf")):
        declared |= _blocks(_load(path), "variable")
    return declared


# --- checkov -----------------------------------------------------------------------------------


def test_checkov_finds_no_failed_check_and_every_skip_says_why() -> None:
    completed = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(TERRAFORM),
            "--framework",
            "terraform",
            "--skip-download",
            "-o",
            "json",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(completed.stdout)
    summary = report["summary"]
    failed = [f"{check['check_id']} {check['resource']}" for check in report["results"]["failed_checks"]]
    assert summary["failed"] == 0, failed
    assert summary["passed"] > 200 and summary["parsing_errors"] == 0  # it read every module
    for path in TERRAFORM.rglob("*.tf"):
        for line in path.read_text("utf-8").splitlines():
            if "checkov:skip=" in line:
                assert re.search(r"checkov:skip=CKV2?_AWS_\d+:\S.{20,}", line), (
                    f"{path}: a skip without a reason: {line}"
                )


# --- wiring ----------------------------------------------------------------------------------


def _module_calls() -> list[tuple[Path, str, dict[str, Any]]]:
    calls = []
    for path in sorted(TERRAFORM.rglob("*.tf")):
        for name, body in _blocks(_load(path), "module").items():
            calls.append((path, name, body))
    return calls


def test_every_module_call_passes_exactly_what_the_module_declares() -> None:
    calls = _module_calls()
    assert {name for _path, name, _body in calls} == {
        "kms", "s3", "kinesis", "lambda", "glue", "redshift", "step_functions", "monitoring", "iam",
    }  # fmt: skip
    for path, name, body in calls:
        directory = (path.parent / _text(body["source"])).resolve()
        assert directory.is_dir(), f"module {name}: no {directory}"
        declared = _module_variables(directory)
        passed = {key for key in body if key not in META_ARGUMENTS and not key.startswith("__")}
        assert passed <= set(declared), f"module {name} is given undeclared {passed - set(declared)}"
        required = {key for key, variable in declared.items() if "default" not in variable}
        assert required <= passed, f"module {name} misses {required - passed}"
        for key, variable in declared.items():
            assert variable.get("description"), f"module {name}: variable {key} has no description"
        outputs: dict[str, Any] = {}
        for tf in directory.glob("*.tf"):
            outputs |= _blocks(_load(tf), "output")
        assert outputs and all(output.get("description") for output in outputs.values()), name


def test_every_module_has_its_readme_line() -> None:
    readme = (TERRAFORM / "README.md").read_text("utf-8")
    for directory in sorted(path for path in MODULES.iterdir() if path.is_dir()):
        assert re.search(rf"^\| `{directory.name}` \|", readme, re.M), (
            f"terraform/README.md: no line for {directory.name}"
        )


FILE_FUNCTIONS = re.compile(r"(?:file|filemd5|filebase64sha256|templatefile)\(\"([^\"]+)\"")


def test_every_file_the_configuration_reads_exists() -> None:
    for path in sorted(TERRAFORM.rglob("*.tf")):
        for reference in FILE_FUNCTIONS.findall(path.read_text("utf-8")):
            resolved = reference.replace("${path.module}", str(path.parent)).replace(
                "${path.root}", str(TERRAFORM)
            )
            assert Path(resolved).is_file(), f"{path}: reads {reference}, which does not exist"
    root = {name: _text(v.get("default")) for name, v in _module_variables(TERRAFORM).items()}
    glue_script = _load(TERRAFORM / "main.tf")
    script = _text(_blocks(glue_script, "module")["glue"]["script_path"]).replace(
        "${path.root}", str(TERRAFORM)
    )
    assert Path(script).resolve() == PROJECT_ROOT / "loaders" / "compaction" / "glue_job.py"
    # The packages are build output: their default paths are where make lambda-zip writes them.
    assert (TERRAFORM / root["lambda_package_path"]).resolve() == PROJECT_ROOT / packaging.CONSUMER.path
    assert (TERRAFORM / root["glue_package_path"]).resolve() == PROJECT_ROOT / packaging.COMPACTION.path
    lambda_source = (MODULES / "lambda" / "main.tf").read_text("utf-8")
    module, attribute = re.search(r'handler\s*=\s*"([\w.]+)\.(\w+)"', lambda_source).groups()  # type: ignore[union-attr]
    assert module == packaging.CONSUMER.entry
    assert f"def {attribute}(" in (PROJECT_ROOT / Path(*module.split("."))).with_suffix(".py").read_text(
        "utf-8"
    )


# --- the Lambda package -------------------------------------------------------------------------


def test_the_consumer_zip_holds_only_what_its_handler_imports(tmp_path: Path) -> None:
    out = packaging.build(
        packaging.CONSUMER, tmp_path / "consumer.zip", uv=str(PROJECT_ROOT / ".tools" / "bin" / "uv")
    )
    names = zipfile.ZipFile(out).namelist()
    first_party = {name for name in names if name.startswith("loaders/") and name.endswith(".py")}
    assert first_party == {
        "loaders/__init__.py", "loaders/contracts/__init__.py",
        "loaders/landing/__init__.py", "loaders/landing/events_writer.py",
        "loaders/streaming/__init__.py", "loaders/streaming/kinesis_consumer.py",
        "loaders/lake/__init__.py", "loaders/lake/layout.py", "loaders/lake/storage.py",
        "loaders/lake/receipts.py", "loaders/lake/indexes.py",
    }  # fmt: skip
    assert "loaders/contracts/events.schema.json" in names
    tops = {name.split("/")[0] for name in names}
    assert {"msgspec", "isal", "fastjsonschema"} <= tops
    assert not tops & {"c360", "tests", "boto3", "botocore", "pyarrow", "duckdb", "dbt"}
    # The handler imports from the unpacked zip alone (boto3 is the runtime's).
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(out).extractall(unpacked)
    here = repr(str(unpacked))
    code = (
        f"import sys; sys.path.insert(0, {here});"
        "import loaders.streaming.kinesis_consumer as handler, msgspec;"
        f"assert handler.__file__.startswith({here}) and msgspec.__file__.startswith({here})"
    )
    subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "python"), "-c", code], check=True, cwd=tmp_path)


# --- IAM --------------------------------------------------------------------------------------


def _policy_documents(path: Path) -> dict[str, list[dict[str, Any]]]:
    """The aws_iam_policy_document blocks of a file by name: their statements, strings unquoted."""
    documents: dict[str, list[dict[str, Any]]] = {}
    for block in _load(path).get("data", []):
        for kind, named in block.items():
            if _text(kind) != "aws_iam_policy_document":
                continue
            for name, body in named.items():
                documents[_text(name)] = [
                    {
                        key: ([_text(v) for v in value] if isinstance(value, list) else _text(value))
                        for key, value in s.items()
                    }
                    for s in body.get("statement", [])
                ]
    return documents


def test_no_statement_allows_a_wildcard_action() -> None:
    statements = [
        (path, statement)
        for path in sorted(MODULES.rglob("*.tf"))
        for document in _policy_documents(path).values()
        for statement in document
    ]
    assert len(statements) > 30
    for path, statement in statements:
        if statement.get("effect", "Allow") == "Allow":
            for action in statement.get("actions", []):
                assert "*" not in action, f"{path}: {statement.get('sid')} allows {action}"


# What each role needs beyond the calls of its code: AWS services acting with the role.
DOCUMENTED = {
    "consumer": {
        "kms:GenerateDataKey": "S3 encrypts what the consumer writes with the CMK (SSE-KMS)",
        "kinesis:GetRecords": "the event source mapping reads the stream as the function's role",
        "kinesis:GetShardIterator": "the event source mapping",
        "kinesis:DescribeStream": "the event source mapping",
        "kinesis:DescribeStreamSummary": "the event source mapping",
        "kinesis:ListShards": "the event source mapping",
        "sqs:SendMessage": "the event source mapping's on-failure destination",
        "logs:CreateLogStream": "Lambda writes the function's logs",
        "logs:PutLogEvents": "Lambda writes the function's logs",
        "xray:PutTraceSegments": "active tracing",
        "xray:PutTelemetryRecords": "active tracing",
    },
    "compaction": {
        "kms:GenerateDataKey": "SSE-KMS of the written Parquet",
        "kms:Decrypt": "reading the raw events",
        "logs:CreateLogGroup": "Glue's continuous logging",
        "logs:CreateLogStream": "Glue's continuous logging",
        "logs:PutLogEvents": "Glue's continuous logging",
        "logs:AssociateKmsKey": "the security configuration encrypts the job's logs",
    },
    "pipeline": {
        "kms:GenerateDataKey": "SSE-KMS of what the steps write",
        "kms:Decrypt": "reading the lake",
        "logs:CreateLogStream": "the tasks' and the steps Lambda's logs",
        "logs:PutLogEvents": "the tasks' and the steps Lambda's logs",
        "xray:PutTraceSegments": "active tracing of the steps Lambda",
        "xray:PutTelemetryRecords": "active tracing of the steps Lambda",
        "s3:AbortMultipartUpload": "a failed multipart upload (upload_file) is aborted",
    },
}
ROLE_ENTRIES = {
    # role: the functions its code runs from (module:function)
    "consumer": ("loaders.streaming.kinesis_consumer:handler",),
    "compaction": ("loaders.compaction.glue_job:main",),
    # every step of the pipeline, and the task-token reply of `c360 step`
    "pipeline": (
        *(f"c360.pipeline.steps:{step.run.__name__}" for step in STEPS),
        "c360.pipeline.runner:run_task",
    ),
}
# Calls the code can make that never run under the role, and why.
NEVER_RUN = {
    "pipeline": {
        "kinesis:GetRecords": "the stream step is a Pass state in AWS: the consumer Lambda drains the stream",
        "kinesis:GetShardIterator": "the stream step (a Pass state in AWS)",
        "kinesis:ListShards": "the stream step (a Pass state in AWS)",
        "kinesis:DescribeStreamSummary": "the stream step (a Pass state in AWS)",
        "kinesis:PutRecords": "`c360 stream` sends events from a laptop, not from the pipeline",
    },
}
CLIENT_CALLS = {
    "put_object": "s3:PutObject",
    "upload_file": "s3:PutObject",
    "get_object": "s3:GetObject",
    "head_object": "s3:GetObject",
    "list_objects_v2": "s3:ListBucket",
    "delete_objects": "s3:DeleteObject",
    "put_records": "kinesis:PutRecords",
    "get_records": "kinesis:GetRecords",
    "get_shard_iterator": "kinesis:GetShardIterator",
    "list_shards": "kinesis:ListShards",
    "describe_stream_summary": "kinesis:DescribeStreamSummary",
    "publish": "sns:Publish",
    "send_task_success": "states:SendTaskSuccess",
    "send_task_failure": "states:SendTaskFailure",
    "put_metric_data": "cloudwatch:PutMetricData",
}
PAGINATORS = {"list_objects_v2": "s3:ListBucket"}


def _s3_lake_methods() -> dict[str, set[str]]:
    """S3Lake's methods and the IAM actions each one's client calls need (following self calls)."""
    tree = ast.parse((PROJECT_ROOT / "loaders" / "lake" / "storage.py").read_text("utf-8"))
    [s3_lake] = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "S3Lake"]
    direct: dict[str, set[str]] = {}
    calls_self: dict[str, set[str]] = {}
    for method in s3_lake.body:
        if not isinstance(method, ast.FunctionDef):
            continue
        direct[method.name], calls_self[method.name] = set(), set()
        for node in ast.walk(method):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                name, owner = node.func.attr, node.func.value
                if name == "get_paginator" and node.args and isinstance(node.args[0], ast.Constant):
                    direct[method.name].add(PAGINATORS[node.args[0].value])
                elif name in CLIENT_CALLS and not (isinstance(owner, ast.Name) and owner.id == "self"):
                    direct[method.name].add(CLIENT_CALLS[name])
                elif isinstance(owner, ast.Name) and owner.id == "self":
                    calls_self[method.name].add(name)
    resolved: dict[str, set[str]] = {}
    for name in direct:
        seen, pending, actions = set(), [name], set()
        while pending:
            current = pending.pop()
            if current in seen or current not in direct:
                continue
            seen.add(current)
            actions |= direct[current]
            pending += calls_self[current]
        resolved[name] = actions
    return resolved


def _code_actions(entries: tuple[str, ...]) -> set[str]:
    """The IAM actions of the AWS calls reachable from ``entries`` (``module:function``):
    the functions they call or refer to, by name, across the modules they import, and in
    those the client calls and the S3 calls of the Lake methods used."""
    lake_methods = _s3_lake_methods()
    definitions: dict[str, list[ast.AST]] = {}
    for entry in entries:
        modules, _third_party = packaging.imports_of(
            entry.split(":")[0], first_party=("loaders", "c360", "config")
        )
        for module in modules - {"loaders.lake.storage"}:  # the Lake's own calls: _s3_lake_methods
            path = PROJECT_ROOT / Path(*module.split(".")).with_suffix(".py")
            if not path.exists():
                path = PROJECT_ROOT / Path(*module.split(".")) / "__init__.py"
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    definitions.setdefault(node.name, []).append(node)
    actions: set[str] = set()
    seen: set[str] = set()
    pending = [entry.split(":")[1] for entry in entries]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for definition in definitions.get(name, []):
            for node in ast.walk(definition):
                if isinstance(node, ast.Name) and node.id in definitions:
                    pending.append(node.id)
                elif isinstance(node, ast.Attribute):
                    if node.attr in lake_methods:
                        actions |= lake_methods[node.attr]
                    elif node.attr in CLIENT_CALLS:
                        actions.add(CLIENT_CALLS[node.attr])
                    elif node.attr in definitions:
                        pending.append(node.attr)
    return actions


@pytest.mark.parametrize("role", sorted(ROLE_ENTRIES))
def test_each_role_allows_exactly_the_calls_of_its_code_and_the_documented_rest(role: str) -> None:
    policy = _policy_documents(MODULES / "iam" / "main.tf")[role]
    allowed = {action for statement in policy for action in statement.get("actions", [])}
    needed = _code_actions(ROLE_ENTRIES[role]) - set(NEVER_RUN.get(role, {}))
    assert needed, role
    assert needed <= allowed, (
        f"{role}: the code calls {sorted(needed - allowed)}, which its policy does not allow"
    )
    beyond = allowed - needed
    assert beyond <= set(DOCUMENTED[role]), (
        f"{role}: allows {sorted(beyond - set(DOCUMENTED[role]))}, undocumented"
    )


# --- what the modules promise ----------------------------------------------------------------


def test_the_state_machine_is_the_generated_definition_with_every_placeholder_filled() -> None:
    source = (MODULES / "step_functions" / "main.tf").read_text("utf-8")
    assert 'templatefile("${path.module}/c360_pipeline.asl.json"' in source
    definition = (MODULES / "step_functions" / "c360_pipeline.asl.json").read_text("utf-8")
    placeholders = set(re.findall(r"\$\{(\w+)\}", definition))
    block = source[source.index("templatefile(") : source.index("})", source.index("templatefile("))]
    filled = set(re.findall(r"^\s*(\w+)\s*=", block, re.M))
    assert placeholders and placeholders == filled
    schedules = json.loads((MODULES / "step_functions" / "schedules.json").read_text("utf-8"))
    assert 'jsondecode(file("${path.module}/schedules.json"))' in source and len(schedules) == 2


def test_the_alarms_the_design_asks_for_exist() -> None:
    monitoring = (MODULES / "monitoring" / "main.tf").read_text("utf-8")
    for metric in (
        "GetRecords.IteratorAgeMilliseconds",  # Kinesis iterator age
        '"Errors"',  # consumer errors
        '"Throttles"',  # consumer throttles
        "ApproximateNumberOfMessagesVisible",  # on-failure destination depth
        "ExecutionsFailed",  # Step Functions failures
        "TriggeredRules",  # Glue job failures (an EventBridge rule on its failed runs)
        "CPUUtilization",  # Redshift CPU
        "PercentageDiskSpaceUsed",  # Redshift disk
        '"FailedTests"',  # dbt test failures, published by the report step
    ):
        assert metric in monitoring, metric
    assert 'protocol  = "email"' in monitoring and "aws_cloudwatch_dashboard" in monitoring
    # The metric the alarm watches is the one the report step publishes.
    assert "FailedTests" in (PROJECT_ROOT / "c360" / "pipeline" / "alerts.py").read_text("utf-8")


def test_every_reference_names_something_declared() -> None:
    """What `terraform validate` would catch first, without the binary: in each module,
    every var.X is a declared variable, every local.X a defined local, every data.T.N and
    resource T.N a declared block, and every module.M.O an output of module M."""
    directories = [TERRAFORM, *sorted(path for path in MODULES.iterdir() if path.is_dir())]
    outputs_of: dict[Path, set[str]] = {}
    for directory in directories:
        outputs_of[directory] = set()
        for path in directory.glob("*.tf"):
            outputs_of[directory] |= set(_blocks(_load(path), "output"))
    for directory in directories:
        text = "\n".join(path.read_text("utf-8") for path in sorted(directory.glob("*.tf")))
        code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())  # no comments
        parsed = [_load(path) for path in sorted(directory.glob("*.tf"))]
        variables = {name for p in parsed for name in _blocks(p, "variable")}
        locals_ = {_text(key) for p in parsed for block in p.get("locals", []) for key in block}
        declared = {
            (kind, _text(type_), _text(name))
            for p in parsed
            for kind in ("resource", "data")
            for block in p.get(kind, [])
            for type_, named in block.items()
            for name in named
        }
        modules = {name: body for p in parsed for name, body in _blocks(p, "module").items()}
        for name in set(re.findall(r"\bvar\.(\w+)", code)):
            assert name in variables, f"{directory.name}: var.{name} is not declared"
        for name in set(re.findall(r"\blocal\.(\w+)", code)):
            assert name in locals_, f"{directory.name}: local.{name} is not defined"
        for type_, name in set(re.findall(r"\bdata\.(\w+)\.(\w+)", code)):
            assert ("data", type_, name) in declared, f"{directory.name}: data.{type_}.{name}"
        for type_, name in set(re.findall(r"(?<![\w.])(aws_\w+)\.(\w+)", code)):
            assert ("resource", type_, name) in declared, f"{directory.name}: {type_}.{name} is not declared"
        for module, output in set(re.findall(r"\bmodule\.(\w+)\.(\w+)", code)):
            assert module in modules, f"{directory.name}: module.{module} is not called"
            source = (directory / _text(modules[module]["source"])).resolve()
            assert output in outputs_of[source], f"{directory.name}: module.{module} has no output {output}"
