"""The layout's rules, as import-linter contracts (``[tool.importlinter]`` in pyproject.toml)."""
