"""Helpers for testing code that uses herbx, shipped for users' own test suites.

Example::

    from herbx.events import HybridEventBus
    from herbx.testing import capture_events

    with capture_events() as (bus, recorder):
        my_extraction_loop(bus)
    assert recorder.types().count("specimen.failed") == 0
"""

from herbx.testing.recording import RecordingConsumer, capture_events

__all__ = ["RecordingConsumer", "capture_events"]
