"""Files shipped with ghostwatch: the example config, the systemd units, the man page.

The repository keeps them at its top level (``config.example.toml``, ``systemd/``,
``docs/ghostwatch.1``); the wheel carries copies under ``ghostwatch/_shipped/`` with the
same relative names (``[tool.hatch.build.targets.wheel.force-include]``), so a pipx
user has them too. A source checkout or an editable install reads the top-level files.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SHIPPED = "_shipped"
EXAMPLE_CONFIG = "config.example.toml"
SYSTEM_UNIT = "systemd/ghostwatch.service"
USER_UNIT = "systemd/ghostwatch-user.service"
MAN_PAGE = "docs/ghostwatch.1"


def shipped_text(name: str) -> str:
    """Return the text of the shipped file ``name`` (one of the names above).

    Raise ``FileNotFoundError`` if neither the wheel's copy nor the checkout's file exists.
    """
    packaged = resources.files("ghostwatch").joinpath(SHIPPED, *name.split("/"))
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).parents[1] / name).read_text(encoding="utf-8")
