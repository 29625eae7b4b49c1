"""dbt's output while it runs: a progress bar on a terminal, clean lines in a log."""

from __future__ import annotations

import io

from rich.console import Console

from c360.warehouse.dbt import show_progress

RED, RESET = "\x1b[31m", "\x1b[0m"
LINES = [
    "03:06:10  Running with dbt=1.11.2\n",
    "03:06:10  1 of 1 OK hook: c360.on-run-start.0 ................ [OK in 0.02s]\n",
    "03:06:10  1 of 3 START sql view model staging.stg_shop__products .... [RUN]\n",
    "03:06:11  1 of 3 OK created sql view model staging.stg_shop__products ....... [OK in 0.15s]\n",
    f"03:06:11  2 of 3 {RED}FAIL 2{RESET} unique_stg_shop__products_product_id ..... "
    f"[{RED}FAIL 2{RESET} in 0.05s]\n",
    "03:06:11  3 of 3 PASS base_shop__products::rejects_bad_prices  [PASS in 0.16s]\n",
]


def test_in_a_log_dbt_lines_pass_through_without_escape_codes() -> None:
    log = io.StringIO()
    done = show_progress(LINES, Console(file=log, force_terminal=False))
    assert done == 3  # the hook's "1 of 1" is not a node of the build
    assert "\x1b" not in log.getvalue()
    assert log.getvalue().splitlines()[4] == (
        "03:06:11  2 of 3 FAIL 2 unique_stg_shop__products_product_id ..... [FAIL 2 in 0.05s]"
    )


def test_on_a_terminal_a_bar_counts_the_nodes_done_under_dbt_s_lines() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=160, color_system="standard")
    assert show_progress(LINES, console, title="dbt build") == 3
    shown = screen.getvalue()
    assert "dbt build" in shown and "3/3" in shown  # the bar, at its last update
    assert "unique_stg_shop__products_product_id" in shown  # dbt's own lines, kept
    assert "\x1b[31m" in shown  # with their colours
