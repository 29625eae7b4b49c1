"""The one-line error: how every c360 failure is said (the CLI, a run document, Step Functions)."""

from __future__ import annotations


def first_line(error: BaseException | str | None) -> str:
    """The first non-blank line of an error's message, or its type's name when it has none."""
    text = str(error) if error is not None else ""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if lines:
        return lines[0]
    return type(error).__name__ if isinstance(error, BaseException) else ""
