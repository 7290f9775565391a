"""The daemon: the composition root (``bootstrap``), cycles, sync, sending, the summary."""
