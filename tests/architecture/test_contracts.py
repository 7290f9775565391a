"""The layout's contracts bite: each rule breaks when a copy of the package breaks it.

``scripts/test`` runs ``lint-imports`` on the real tree (every contract kept). Here a
copy of ``ghostwatch/`` gets one bad line at a time, and ``lint-imports`` must fail
naming the contract that line breaks — so a contract that silently checks nothing
(a typo in a module name, a layer left out) fails this test.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package, the contracts and the custom contract type."""
    root = tmp_path_factory.mktemp("layout")
    shutil.copytree(
        ROOT / "ghostwatch", root / "ghostwatch", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(
        ROOT / "tests" / "architecture",
        root / "tests" / "architecture",
        ignore=shutil.ignore_patterns("__pycache__", "test_*.py"),
    )
    (root / "tests" / "__init__.py").write_text("")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    # cwd first on sys.path (lint-imports puts it there), so the copy is the one analysed
    return subprocess.run(
        [str(LINT), "--no-cache", "--config", "pyproject.toml"],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root), "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def broken(output: str) -> set[str]:
    return {line.rsplit(" BROKEN", 1)[0] for line in output.splitlines() if line.endswith("BROKEN")}


def test_the_real_tree_keeps_every_contract(pristine: Path) -> None:
    done = lint(pristine)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "BROKEN" not in done.stdout
    assert done.stdout.count("KEPT") >= 4


LAYERS = "Layers: each package imports only the ones below it"
NO_IO = "The core does no I/O: no database, network, event loop or logging"
NO_CLOCK = "The core and the store never read the clock: `now` is an argument"
ACYCLIC = "No import cycles, at any depth"


@pytest.mark.parametrize(
    ("module", "line", "contracts"),
    [
        # the issue's own examples: the policy imports the store; the core reads the clock
        ("core/policy.py", "from ghostwatch.store import database", {LAYERS}),
        ("core/calendar.py", "import datetime as _dt\nWHEN = _dt.datetime.now()", {NO_CLOCK}),
        ("core/policy.py", "from datetime import date\nTODAY = date.today()", {NO_CLOCK}),
        ("core/mail/ooo.py", "import time\nSTARTED = time.monotonic()", {NO_CLOCK}),
        ("core/names.py", "from time import perf_counter", {NO_CLOCK}),
        # the store neither: `seen_at or datetime.now(UTC)` was the example
        ("store/database.py", "from datetime import datetime\nSEEN = datetime.now()", {NO_CLOCK}),
        # I/O libraries, directly or through another package
        ("core/domain.py", "import asyncio", {NO_IO}),
        ("core/render.py", "import sqlalchemy", {NO_IO}),
        ("core/summary/words.py", "import structlog", {NO_IO}),
        ("core/payments.py", "from ghostwatch.config import models", {LAYERS, NO_IO}),
        # the adapters and the store never reach up into the app
        ("adapters/imap.py", "from ghostwatch.app import bootstrap", {LAYERS}),
        ("store/engine.py", "import ghostwatch.app.sync", {LAYERS}),
        ("store/tables.py", "from ghostwatch.config import loader", {LAYERS}),
        # a cycle inside one package: reasons is imported by policy
        ("core/reasons.py", "from ghostwatch.core import policy", {ACYCLIC}),
    ],
)
def test_a_bad_import_breaks_its_contract(
    pristine: Path, tmp_path: Path, module: str, line: str, contracts: set[str]
) -> None:
    root = tmp_path / "tree"
    shutil.copytree(pristine, root)
    path = root / "ghostwatch" / module
    text = path.read_text(encoding="utf-8")
    # after the module docstring and `from __future__`, where an import would go
    head, sep, rest = text.partition("from __future__ import annotations\n")
    assert sep, f"{module} has no `from __future__ import annotations` line to anchor on"
    path.write_text(head + sep + line + "\n" + rest, encoding="utf-8")
    done = lint(root)
    assert done.returncode == 1, done.stdout + done.stderr
    assert contracts <= broken(done.stdout), done.stdout
