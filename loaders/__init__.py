"""Getting raw data into the lake and readable by the warehouse, grouped by stage.

- ``contracts``: the JSON Schemas of the four raw entities, and what is generated from them.
- ``lake``: the lake's key layout, its storage (a folder or S3) and the landing receipts.
- ``landing``: export files landed in batches; raw events decoded and written.
- ``streaming``: the Kinesis producer and consumer, and the event source mapping's stand-in.
- ``compaction``: closed hours of raw events rewritten as Parquet, locally or as a Glue job.
- ``warehouse``: the raw tables of PostgreSQL (COPY) and Redshift (Spectrum).
- ``generator``: the sample data, with dirty records on request and an answer key.
"""
