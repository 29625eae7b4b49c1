"""``python -m c360.cli``: the same as the ``c360`` command."""

from c360.cli import app

app()
