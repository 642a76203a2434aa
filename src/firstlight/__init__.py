"""Firstlight: an open-source engine that protects children from online sexual exploitation.

A platform runs Firstlight beside itself and sends it events; Firstlight derives signals, decides, acts
through the platform's webhooks, queues cases for shielded human review, preserves evidence, files reports
and keeps the records the UK Online Safety Act asks for. See ``docs/design.md`` for the map.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
