"""Landing: export files read, checked against their contracts and written to the lake
(``batch_upload``), raw events decoded and written in hourly files (``events_writer``),
gzip NDJSON read in bounded chunks (``ndjson``)."""
