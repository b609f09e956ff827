"""The version of tunesmith (``tunesmith.__version__``)."""

__version__ = "0.1.0"
