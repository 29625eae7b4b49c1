"""The pipeline: the run, its steps and its report.

``steps`` holds the table of steps, the single description that ``c360 run`` (``runner``),
``c360 step``, the steps Lambda and the Step Functions definition (``statemachine``) all
follow. A step reads and extends the run document (``document``); ``changes`` finds a run
with nothing new, ``accounts`` checks every received row is accounted for, ``alerts``
reports a failed run. ``redshift_check`` drives the same steps against a real cluster.

Imports nothing itself, so reading a run document (the app does) loads only ``document``.
"""
