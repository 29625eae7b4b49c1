"""Where every landed file goes, on a local folder or on S3, written atomically.

``open_lake`` turns a lake URI (a folder, or ``s3://bucket/prefix``) into a ``Lake`` with
one small interface, so the batch uploader, the Kinesis consumer and compaction run
unchanged on a laptop and on AWS; where each object goes is ``layout``'s business.

Objects appear atomically: a local file is written under a hidden temporary name beside its
target and renamed into place; an S3 object is one PUT or one completed multipart upload.
A reader (dbt's globs, Spectrum) never sees half a file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from loaders.lake.layout import is_visible, sha256_file

S3Client = Any  # a boto3 S3 client; boto3 ships no static types

TEMP_SUFFIX = ".tmp"
DEFAULT_MULTIPART_THRESHOLD = 64 * 1024 * 1024


class Lake(ABC):
    """A lake root. Keys are ``/``-separated paths relative to it."""

    uri: str

    @abstractmethod
    def url(self, key: str) -> str:
        """The key as a path or ``s3://`` URL that DuckDB and people can read."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def put_bytes(self, key: str, data: bytes) -> None:
        """Write one object atomically, replacing any object with the same key."""

    @abstractmethod
    def put_bytes_if_absent(self, key: str, data: bytes) -> bool:
        """Write one object atomically unless the key exists; False if it did (nothing written).

        One conditional operation, not a check then a write, so two writers racing for the
        same key cannot both win.
        """

    @abstractmethod
    def put_file(self, key: str, path: Path, sha256: str | None = None) -> None:
        """Copy a local file to one object atomically (multipart on S3 above the threshold)."""

    @abstractmethod
    def get_bytes(self, key: str) -> bytes: ...

    @abstractmethod
    def list_keys(self, prefix: str) -> list[str]:
        """Every visible key under ``prefix``, recursively, sorted."""

    @abstractmethod
    def delete(self, keys: list[str]) -> None: ...

    @abstractmethod
    def has_keys(self, prefix: str) -> bool:
        """True when any visible key is under ``prefix`` (stops at the first: no full listing)."""

    def is_empty(self) -> bool:
        """True when the lake holds no landed raw file yet."""
        return not self.has_keys("raw/")


class LocalLake(Lake):
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.uri = str(self.root)

    def url(self, key: str) -> str:
        return str(self.root / key)

    def exists(self, key: str) -> bool:
        return (self.root / key).is_file()

    def put_bytes(self, key: str, data: bytes) -> None:
        with atomic_writer(self.root / key) as handle:
            handle.write(data)

    def put_bytes_if_absent(self, key: str, data: bytes) -> bool:
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            target.hardlink_to(temp_name)  # fails if the target exists: an atomic no-clobber rename
        except FileExistsError:
            return False
        finally:
            Path(temp_name).unlink()
        return True

    def put_file(self, key: str, path: Path, sha256: str | None = None) -> None:
        with path.open("rb") as source, atomic_writer(self.root / key) as sink:
            shutil.copyfileobj(source, sink, length=1 << 20)

    def get_bytes(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def _visible_keys(self, prefix: str) -> Iterator[str]:
        # The folder of the prefix's last whole segment: "raw/a/dt=1" lists dt=10 too, as S3 does.
        folder = self.root / prefix.rpartition("/")[0]
        if not folder.is_dir():
            return
        # os.walk lists each folder once (scandir), with no stat per file: 10x faster than
        # Path.rglob with is_file and relative_to, which a lake of years of hourly files felt.
        skip = len(str(self.root)) + 1
        for directory, _, files in os.walk(folder):
            relative = directory[skip:].replace(os.sep, "/")
            for name in files:
                key = f"{relative}/{name}" if relative else name
                if key.startswith(prefix) and is_visible(key):
                    yield key

    def list_keys(self, prefix: str) -> list[str]:
        return sorted(self._visible_keys(prefix))

    def has_keys(self, prefix: str) -> bool:
        return next(self._visible_keys(prefix), None) is not None

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            (self.root / key).unlink(missing_ok=True)


@dataclass(frozen=True)
class S3Options:
    """How objects are written to S3: encryption, checksums, multipart."""

    kms_key_id: str | None = None
    multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD


class S3Lake(Lake):
    """A lake under ``s3://bucket/prefix``: SSE-KMS, SHA-256 checksums, multipart uploads."""

    def __init__(self, bucket: str, prefix: str, client: S3Client, options: S3Options) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client
        self.options = options
        self.uri = f"s3://{bucket}/{self.prefix}".rstrip("/")

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def _write_args(self) -> dict[str, str]:
        args = {"ServerSideEncryption": "aws:kms", "ChecksumAlgorithm": "SHA256"}
        if self.options.kms_key_id:
            args["SSEKMSKeyId"] = self.options.kms_key_id
        return args

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def put_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **self._write_args())

    def put_bytes_if_absent(self, key: str, data: bytes) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(key), Body=data, IfNoneMatch="*", **self._write_args()
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "PreconditionFailed":
                return False
            raise
        return True

    def put_file(self, key: str, path: Path, sha256: str | None = None) -> None:
        from boto3.s3.transfer import TransferConfig

        extra: dict[str, Any] = dict(self._write_args())
        # The whole file's SHA-256 travels as metadata: multipart checksums are per part.
        extra["Metadata"] = {"sha256": sha256 or sha256_file(path)}
        config = TransferConfig(
            multipart_threshold=self.options.multipart_threshold,
            multipart_chunksize=max(self.options.multipart_threshold, 5 * 1024 * 1024),
        )
        self.client.upload_file(str(path), self.bucket, self._key(key), ExtraArgs=extra, Config=config)

    def get_bytes(self, key: str) -> bytes:
        data: bytes = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        return data

    def list_keys(self, prefix: str) -> list[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        strip = len(self._key(""))
        keys: list[str] = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
            keys.extend(item["Key"][strip:] for item in page.get("Contents", []))
        return sorted(key for key in keys if is_visible(key))

    def has_keys(self, prefix: str) -> bool:
        page = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self._key(prefix), MaxKeys=1)
        return bool(page.get("Contents"))

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            chunk = [{"Key": self._key(key)} for key in keys[start : start + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": chunk, "Quiet": True})


def s3_client(endpoint_url: str | None = None) -> S3Client:
    """An S3 client from the AWS credential chain; ``endpoint_url`` points at moto or LocalStack."""
    import boto3

    return boto3.client("s3", endpoint_url=endpoint_url or os.environ.get("C360_S3_ENDPOINT_URL") or None)


def open_lake(
    uri: str | Path,
    endpoint_url: str | None = None,
    options: S3Options | None = None,
    client: S3Client | None = None,
) -> Lake:
    """The lake at ``uri``: a local folder, or ``s3://bucket/prefix``."""
    text = str(uri)
    if not text.startswith("s3://"):
        if "://" in text:
            raise ValueError(f"{text}: a lake is a folder or an s3://bucket/prefix URI")
        return LocalLake(Path(text))
    bucket, _, prefix = text.removeprefix("s3://").partition("/")
    if not bucket:
        raise ValueError(f"{text}: an S3 lake needs a bucket, as in s3://bucket/prefix")
    return S3Lake(bucket, prefix, client or s3_client(endpoint_url), options or S3Options())


@contextlib.contextmanager
def atomic_writer(target: Path) -> Iterator[BinaryIO]:
    """Open a hidden temporary file beside ``target``; rename it into place on success.

    On any exception the temporary file is removed and ``target`` is untouched. A process
    killed mid-write leaves only a dot-file ending in ``.tmp``, which no lake glob matches.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
