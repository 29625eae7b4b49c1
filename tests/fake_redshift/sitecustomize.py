"""Run at the start of every Python process that has this folder on PYTHONPATH.

The Redshift tests put it there for the c360 and dbt processes they start: with
C360_FAKE_REDSHIFT set, those processes connect to the fake Redshift (fake_redshift.py)
instead of a cluster. Nothing else changes in them.
"""

import os

if os.environ.get("C360_FAKE_REDSHIFT"):
    import fake_redshift

    fake_redshift.install()
