"""The configuration file: loading, models, types, cross-checks, secrets, presets."""
