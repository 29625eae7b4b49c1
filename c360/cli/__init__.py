"""The ``c360`` command line: a command for every step of the pipeline, and ``run`` for all.

Commands are grouped as a user thinks of them (``c360 --help`` shows the groups): ``ingest``
(generate, land, unland, stream, consume, compact), ``pipeline`` (build, publish, run,
step), ``setup`` (contracts, statemachine, spectrum, postgres init, redshift check) and
``explore`` (app, docs, clv validate). A command only parses its options, delegates, and
renders the result; ``options`` declares the options they share, turns them into settings
(flags, then ``C360_*`` variables, then defaults) and says an expected failure in one line
on stderr with exit code 1.
"""

from __future__ import annotations

import typer

from c360.cli import explore, ingest, pipeline, setup

app = typer.Typer(
    name="c360",
    help=(
        "Customer 360 analytics: land raw data in a lake, build the warehouse with dbt,"
        " explore it in Streamlit."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for group in (ingest, pipeline, setup, explore):
    app.add_typer(group.app)
