"""The pure core: who is due what, and when, as a function of state, rules and ``now``.

Nothing here reads the clock, the network, the database or the config file; the
import contracts in ``pyproject.toml`` (``[tool.importlinter]``) enforce it."""
