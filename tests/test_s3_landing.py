"""`c360 land` to an S3 lake: SSE-KMS, SHA-256 checksums, multipart, content-addressed no-ops."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import boto3
from typer.testing import CliRunner

from c360.cli import app
from loaders.contracts import contract


def _big_transactions(path: Path, rows: int) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(contract("transactions").columns)
        for n in range(rows):
            writer.writerow(
                [
                    f"T{n:08d}",
                    f"O{n:08d}",
                    "C000001",
                    "P00001",
                    "1",
                    "9.99",
                    "0.00",
                    "web",
                    "card",
                    "completed",
                    "2025-12-01T10:00:00Z",
                    "2025-12-01T10:00:00Z",
                ]
            )
    return path


def test_land_to_s3_encrypts_checksums_and_is_idempotent(
    s3_bucket: str, sample_dir: Path, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"  # the shop CSVs; events on S3 are covered by the consumer tests
    exports.mkdir()
    for csv_file in sample_dir.glob("*.csv"):
        shutil.copy(csv_file, exports)
    kms = boto3.client("kms")
    key_id = kms.create_key(Description="c360 lake")["KeyMetadata"]["KeyId"]
    runner = CliRunner()
    args = ["land", str(exports), "--lake", f"s3://{s3_bucket}/lake", "--kms-key-id", key_id, "--json"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert {r["status"] for r in json.loads(first.stdout)} == {"landed"}
    s3 = boto3.client("s3")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket)["Contents"])
    csv_key = next(k for k in keys if k.startswith("lake/raw/shop/products/"))
    head = s3.head_object(Bucket=s3_bucket, Key=csv_key, ChecksumMode="ENABLED")
    assert head["ServerSideEncryption"] == "aws:kms" and key_id in head["SSEKMSKeyId"]
    digest = hashlib.sha256((sample_dir / "products.csv").read_bytes())
    assert head["Metadata"]["sha256"] == digest.hexdigest()
    assert head["ChecksumSHA256"]
    body = s3.get_object(Bucket=s3_bucket, Key=csv_key)["Body"].read()
    assert body == (sample_dir / "products.csv").read_bytes()

    second = runner.invoke(app, args)
    assert {r["status"] for r in json.loads(second.stdout)} == {"already landed"}
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket)["Contents"]) == keys


def test_large_files_go_up_in_parts(s3_bucket: str, tmp_path: Path) -> None:
    source = _big_transactions(tmp_path / "transactions.csv", rows=110_000)
    parts = -(-source.stat().st_size // (5 * 1024 * 1024))
    assert parts >= 2
    result = CliRunner().invoke(
        app, ["land", str(source), "--lake", f"s3://{s3_bucket}/lake", "--multipart-threshold-mb", "5"]
    )
    assert result.exit_code == 0, result.output
    s3 = boto3.client("s3")
    [item] = s3.list_objects_v2(Bucket=s3_bucket, Prefix="lake/raw/shop/transactions/")["Contents"]
    assert item["ETag"].strip('"').endswith(f"-{parts}"), "a multipart ETag ends in its part count"
    assert s3.get_object(Bucket=s3_bucket, Key=item["Key"])["Body"].read() == source.read_bytes()


def test_a_bad_lake_uri_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "products.csv").write_text(",".join(contract("products").columns) + "\n")
    result = CliRunner().invoke(app, ["land", str(tmp_path / "products.csv"), "--lake", "gs://bucket/x"])
    assert result.exit_code == 1 and "a lake is a folder or an s3://bucket/prefix URI" in result.stderr
