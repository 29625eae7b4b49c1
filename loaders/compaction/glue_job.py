"""AWS Glue job entry point: compact event partitions of the S3 lake.

The Glue job (Python shell, Terraform in ``terraform/modules/glue``) runs this script with
its job arguments as ``--name value`` pairs, next to Glue's own (``--JOB_ID``, ...), which
are ignored. It calls the same ``loaders.compaction.compact`` as ``c360 compact``.

    python -m loaders.glue_compaction --lake s3://bucket/lake --date 2025-12-01 [--hour 05]
    python -m loaders.glue_compaction --lake s3://bucket/lake --scope closed [--run-id ID]

Without ``--date`` it compacts yesterday (UTC), the usual nightly schedule. With ``--scope
closed`` it compacts every closed hour whose raw files changed: the pipeline's compact step
(``c360.pipeline.steps``), which the Step Functions state machine runs here.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, timedelta

from loaders.compaction.hours import DEFAULT_TARGET_BYTES, compact, compact_closed_hours
from loaders.lake.storage import open_lake


def arguments() -> argparse.ArgumentParser:
    """The job arguments this entry point reads (the state machine passes some of them)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True, help="s3://bucket/prefix of the lake")
    parser.add_argument("--date", help="partition date YYYY-MM-DD (default: yesterday, UTC)")
    parser.add_argument("--hour", help="compact only this hour (00-23)")
    parser.add_argument("--target-mb", type=int, default=DEFAULT_TARGET_BYTES // (1024 * 1024))
    parser.add_argument(
        "--scope", choices=("day", "closed"), default="day", help="a day (--date), or every closed hour"
    )
    parser.add_argument("--run-id", help="the pipeline run this job belongs to (printed, for lineage)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args, _glue_arguments = arguments().parse_known_args(argv)
    if args.scope == "closed":
        closed = compact_closed_hours(open_lake(args.lake))
        print(
            json.dumps(
                {
                    "run_id": args.run_id,
                    "hours_compacted": closed.compacted,
                    "hours_unchanged": closed.unchanged,
                    "hours_in_one_file": closed.too_few_files,
                    "hours_left_raw": closed.left_raw,
                }
            )
        )
        return 0
    day = args.date or (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    date.fromisoformat(day)  # a bad date fails here, before any S3 call
    results = compact(open_lake(args.lake), day, args.hour, args.target_mb * 1024 * 1024)
    for result in results:
        print(json.dumps({"dt": result.dt, "hr": result.hr, "status": result.status, "rows": result.rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
