"""The clickstream: the Kinesis producer, the consumer Lambda, and the event source
mapping's stand-in that feeds the consumer from a stream (or in-process)."""
