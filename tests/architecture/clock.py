"""An import-linter contract type: no module under ``source_modules`` reads the clock.

Imports alone cannot tell that ``policy`` calls ``datetime.now()`` (``datetime`` is
imported everywhere for its types), so this contract reads each module's syntax tree.
``now`` is an argument of the pure core; only ``ghostwatch.app`` and ``ghostwatch.cli``
read it, and hand it down. Run by ``lint-imports`` from ``scripts/test``.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from importlinter import Contract, ContractCheck, fields, output

#: (object, attribute) pairs that read a clock or a timer.
CLOCK_CALLS = frozenset(
    {
        ("datetime", "now"),
        ("datetime", "utcnow"),
        ("datetime", "today"),
        ("date", "today"),
        ("time", "time"),
        ("time", "time_ns"),
        ("time", "monotonic"),
        ("time", "perf_counter"),
        ("time", "localtime"),
        ("time", "gmtime"),
    }
)
#: names that, imported from ``time``, read the clock when called.
CLOCK_NAMES = frozenset({"time", "time_ns", "monotonic", "perf_counter", "localtime", "gmtime"})


def clock_reads(source: str) -> list[tuple[int, str]]:
    """Return (line, what) for every clock read in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if (node.value.id, node.attr) in CLOCK_CALLS:
                found.append((node.lineno, f"{node.value.id}.{node.attr}"))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
            # datetime.datetime.now / time.time via a module attribute
            inner = node.value
            if (inner.attr, node.attr) in CLOCK_CALLS:
                found.append((node.lineno, f"{inner.attr}.{node.attr}"))
        elif isinstance(node, ast.ImportFrom) and node.module == "time":
            found += [
                (node.lineno, f"from time import {a.name}")
                for a in node.names
                if a.name in CLOCK_NAMES
            ]
    return sorted(found)


class NoClockContract(Contract):
    """Fails when a module in ``source_modules`` (or below) reads the clock."""

    type_name = "no_clock"
    source_modules = fields.ListField(subfield=fields.ModuleField())

    def check(self, graph, verbose: bool) -> ContractCheck:  # type: ignore[no-untyped-def]
        offences = []
        for source in self.source_modules:  # type: ignore[attr-defined]
            names = {source.name} | set(graph.find_descendants(source.name))
            for name in sorted(names):
                spec = importlib.util.find_spec(name)
                if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
                    continue
                text = Path(spec.origin).read_text(encoding="utf-8")
                offences += [f"{name}:{line}: {what}" for line, what in clock_reads(text)]
        return ContractCheck(kept=not offences, metadata={"offences": offences})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for offence in check.metadata["offences"]:
            output.print_error(f"{offence} reads the clock; take `now` as an argument")
            output.new_line()
