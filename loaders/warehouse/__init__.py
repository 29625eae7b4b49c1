"""The raw tables of the server warehouses: PostgreSQL's, loaded with COPY
(``postgres_raw``), and Redshift Spectrum's external tables over the lake (``spectrum``)."""
