"""Configuration every room reads: how to reach the warehouse servers, and the one-line error.

The loaders, the ``c360`` package and the app may all import this room; it imports nothing
of theirs, so a fact kept here (a connection setting's variable and default) is written once.
"""
