"""Compaction: closed hours of small raw event files rewritten as Parquet (``hours``), and
the Glue job that runs the same code in AWS (``glue_job``)."""
