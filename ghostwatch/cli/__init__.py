"""The ``ghostwatch`` command line (entry point ``ghostwatch.cli:main``)."""

from ghostwatch.cli.entry import main

__all__ = ["main"]
