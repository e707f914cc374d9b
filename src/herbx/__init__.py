"""herbx: Darwin Core extraction from herbarium specimen images, watched by an event bus.

The library never imports the command-line layer; ``herbx.events`` can be used on its own
in any script::

    from herbx.events import HybridEventBus, ExtractionEvent, ValidationConsumer
"""

from herbx.__about__ import __version__

__all__ = ["__version__"]
