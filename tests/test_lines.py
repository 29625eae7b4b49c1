"""bounded_lines: every line as split would give it, a long one cut, memory bounded."""

from __future__ import annotations

import hashlib
import io
import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from loaders.lake.lines import Line, bounded_lines


@settings(max_examples=300, deadline=None)
@given(
    content=st.binary(max_size=400).map(lambda b: b.replace(b"\x00", b"\n")),
    limit=st.integers(min_value=1, max_value=50),
    chunk=st.integers(min_value=1, max_value=64),
)
def test_every_line_is_what_split_gives_cut_at_the_limit(content: bytes, limit: int, chunk: int) -> None:
    digest = hashlib.sha256()
    lines = list(bounded_lines(io.BytesIO(content), limit, chunk_bytes=chunk, seen=digest.update))
    expected = content.split(b"\n")
    if expected[-1] == b"":
        expected.pop()  # a final line end ends the last line, it does not start one
    assert [line.length for line in lines] == [len(text) for text in expected]
    assert [line.data for line in lines] == [text[:limit] for text in expected]
    assert [line.number for line in lines] == list(range(1, len(expected) + 1))
    assert all(line.cut == (len(text) > limit) for line, text in zip(lines, expected, strict=True))
    assert digest.hexdigest() == hashlib.sha256(content).hexdigest()  # every byte was seen


class _Endless(io.RawIOBase):
    """A stream of one huge line (``[`` repeated), made as it is read."""

    def __init__(self, size: int, tail: bytes) -> None:
        self.left = size
        self.tail = tail

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.left > 0:
            size = min(n, self.left)
            self.left -= size
            return b"[" * size
        tail, self.tail = self.tail[:n], self.tail[n:]
        return tail


def test_a_line_of_200_mb_is_cut_and_never_held() -> None:
    tracemalloc.start()
    lines = list(bounded_lines(_Endless(200 * 1024 * 1024, b'\n{"ok":1}\n'), limit=1024 * 1024))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert lines[0] == Line(1, b"[" * 1024 * 1024, 200 * 1024 * 1024)
    assert lines[0].cut and "209,715,200 bytes" in lines[0].describe_cut()
    assert lines[1] == Line(2, b'{"ok":1}', 8)
    assert peak < 8 * 1024 * 1024  # a chunk and the kept head, not the line
