"""Version of the herbx distribution."""

__version__ = "0.1.0"
