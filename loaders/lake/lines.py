"""Lines of a byte stream, read in bounded chunks: no line is ever held whole beyond a limit.

Every reader of raw lines (``c360 land`` of CSV and events exports, ``c360 stream --from``,
compaction of raw event files) reads through ``bounded_lines``. A line longer than the
limit is cut there: its first ``limit`` bytes are kept (for the quarantine entry), the rest
is counted as it streams past and dropped, so a 1.5 GB line costs one chunk of memory, not
1.5 GB, and its true length is still known.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol, cast

from isal import isal_zlib

CHUNK_BYTES = 1 << 20

# What reading a damaged gzip stream raises: cut short (EOFError), a bad header or trailer
# (OSError), a corrupt block (zlib's error, or isal's when ISA-L decompresses; its stub
# declares it as an instance, hence the cast).
GZIP_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    zlib.error,
    cast("type[BaseException]", isal_zlib.error),
)


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


@dataclass(slots=True)
class Line:
    """One line: its number (from 1), its bytes without the line end (the first ``limit``
    bytes when it was cut), and its full length in bytes.

    Made once per line of every file read (ten million for a scale-100 events export):
    slots and no ``frozen`` make one a quarter of the cost of a frozen dataclass."""

    number: int
    data: bytes
    length: int
    ended: bool = True  # False for a last line with no line end

    @property
    def cut(self) -> bool:
        return self.length > len(self.data)

    def describe_cut(self) -> str:
        """The quarantine reason of a cut line."""
        return (
            f"oversize: line {self.number} is {self.length:,} bytes, over the {len(self.data):,}-byte"
            f" limit; its first {len(self.data):,} bytes are kept"
        )


def bounded_lines(
    handle: Readable,
    limit: int,
    chunk_bytes: int = CHUNK_BYTES,
    seen: Callable[[bytes], object] | None = None,
) -> Iterator[Line]:
    """The lines of ``handle`` (``\\n``-separated; a trailing ``\\r`` is kept), reading at
    most ``chunk_bytes`` at a time and holding at most ``limit + chunk_bytes`` bytes.

    ``seen``, if given, is called with every chunk read (a digest of the whole stream).
    """
    if limit < 1:
        raise ValueError(f"limit {limit}: a line limit is at least one byte")
    buffer = bytearray()
    number = 0
    cut_at: bytes | None = None  # the kept head of a line being skipped
    skipped = 0  # its bytes so far
    while True:
        chunk = handle.read(chunk_bytes)
        if seen is not None and chunk:
            seen(chunk)
        if chunk:
            buffer += chunk
        start = 0
        while True:
            end = buffer.find(b"\n", start)
            if end < 0:
                break
            number += 1
            if cut_at is not None:
                yield Line(number, cut_at, skipped + end - start)
                cut_at, skipped = None, 0
            elif end - start > limit:
                yield Line(number, bytes(buffer[start : start + limit]), end - start)
            else:
                yield Line(number, bytes(buffer[start:end]), end - start)
            start = end + 1
        del buffer[:start]
        if cut_at is not None:
            skipped += len(buffer)
            buffer.clear()
        elif len(buffer) > limit:
            cut_at, skipped = bytes(buffer[:limit]), len(buffer)
            buffer.clear()
        if not chunk:
            break
    if cut_at is not None:
        yield Line(number + 1, cut_at, skipped, ended=False)
    elif buffer:
        yield Line(number + 1, bytes(buffer), len(buffer), ended=False)
