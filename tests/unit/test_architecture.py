"""The pure core stays pure: no I/O libraries, no clock (STYLE: h11's rule)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "ghostwatch"
PURE = [
    "policy",
    "classify",
    "bounce_signs",
    "headers",
    "ooo",
    "dsn",
    "render",
    "summary",
    "summary_facts",
    "summary_words",
    "i18n",
    "payments",
    "addresses",
    "calendar",
    "reasons",
    "names",
    "promises",
    "promise_dates",
    "promise_words",
    "promise_verbs",
    "commands",
    "command_words",
]
FORBIDDEN = ["asyncio", "sqlmodel", "sqlalchemy", "imapclient", "aiosmtplib", "structlog"]
CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "monotonic"),
}


def pure_modules() -> list[str]:
    return [m for m in PURE if (PACKAGE / f"{m}.py").exists()]


@pytest.mark.parametrize("module", pure_modules())
def test_pure_module_imports_no_io_library(module: str) -> None:
    # A fresh interpreter, so modules imported by other tests do not hide anything.
    code = (
        f"import sys, ghostwatch.{module}\n"
        f"print(','.join(m for m in {FORBIDDEN!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


@pytest.mark.parametrize("module", pure_modules())
def test_pure_module_never_reads_the_clock(module: str) -> None:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    calls = [
        (node.func.value.id, node.func.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
    ]
    assert [c for c in calls if c in CLOCK_CALLS] == []


def test_only_the_store_imports_the_orm() -> None:
    offenders = []
    for path in PACKAGE.glob("*.py"):
        if path.name.startswith("store") or path.parent.name == "migrations":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.name}: {n}"
                for n in names
                if n.split(".")[0] in ("sqlmodel", "sqlalchemy", "alembic")
            ]
    assert offenders == []
