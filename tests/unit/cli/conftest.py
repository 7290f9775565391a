"""Fixtures of the command-line tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The shipped example config, its database moved into ``tmp_path``."""
    text = (ROOT / "config.example.toml").read_text()
    default = 'url = "sqlite:///~/.local/state/ghostwatch/ghostwatch.db"'
    assert default in text
    path = tmp_path / "config.toml"
    path.write_text(text.replace(default, f'url = "sqlite:///{tmp_path / "gw.db"}"'))
    return path
