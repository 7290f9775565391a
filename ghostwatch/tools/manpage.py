"""ghostwatch(1), generated from the argument parser by argparse-manpage.

The page is shipped, not built at install time: ``docs/ghostwatch.1`` is in the
repository, the wheel installs it as ``share/man/man1/ghostwatch.1`` (hatchling
``shared-data``), so ``Documentation=man:ghostwatch(1)`` in the units resolves.
Regenerate it after changing an option (a test compares it with the parser)::

    python -m ghostwatch.tools.manpage docs/ghostwatch.1

argparse-manpage is a development dependency: nothing at run time imports this module.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ghostwatch import __version__

SEE_ALSO = (
    "config.example.toml (shipped in the ghostwatch package, and in the source) "
    "documents every configuration key; docs/setup.md the setup, status --check and "
    "the logs; docs/behaviour.md every rule."
)


def render() -> str:
    """Return the roff text of ghostwatch(1) for the current parser. The date field
    carries the version, not today: the page is reproducible."""
    from argparse_manpage.manpage import Manpage

    from ghostwatch.cli.parser import build_parser

    # argparse wraps to the terminal's width: pin it, so the page is the same everywhere
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "80"
    try:
        text = _page(Manpage, build_parser())
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved
    return text.rstrip("\n") + "\n.SH SEE ALSO\n" + SEE_ALSO + "\n"


def _page(manpage: Any, parser: argparse.ArgumentParser) -> str:
    page = manpage(
        parser,
        _data={
            "project_name": "ghostwatch",
            "version": __version__,
            "date": f"ghostwatch {__version__}",
            "manual_title": "ghostwatch manual",
            "description": "polite, exactly-once follow-up for clients who went silent",
        },
    )
    return str(page)


def main(argv: list[str]) -> int:
    """``python -m ghostwatch.tools.manpage FILE``: write the page to FILE."""
    if len(argv) != 1:
        sys.stderr.write("usage: python -m ghostwatch.tools.manpage FILE\n")
        return 2
    Path(argv[0]).write_text(render(), encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
