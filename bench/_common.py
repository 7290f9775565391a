"""Shared bench plumbing: child processes with their own peak RSS, a counting
mailbox, the Dovecot rig, and the side-by-side table every bench prints.

Each measured path runs in a child process of its own (``--child NAME``), so the
peak RSS it reports (``ru_maxrss`` and ``VmHWM``, the larger) is that path's alone.
The child writes one JSON object to the file named by ``--result``; nothing is read
from its stdout, so log lines cannot corrupt a result.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ghostwatch.adapters import logs  # noqa: E402
from ghostwatch.adapters.imap import ImapMailbox  # noqa: E402
from ghostwatch.adapters.imap_session import ImapEndpoint  # noqa: E402

T = TypeVar("T")

PASSWORD = "secret"  # the rig's static passdb: any user name, this password


# --- the table ------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of a bench table; ``ratio`` is already formatted ("0.83", "2.1x")."""

    what: str
    ghostwatch: str
    baseline: str
    ratio: str
    note: str = ""


def print_table(title: str, rows: Sequence[Row], *, command: str) -> None:
    """Print a Markdown table (README-ready) with the command that produced it."""
    print(f"\n## {title}\n")
    print(f"command: `{command}`\n")
    header = ("what", "ghostwatch", "raw baseline", "ratio", "note")
    lines = [header, *((r.what, r.ghostwatch, r.baseline, r.ratio, r.note) for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def fmt(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    print(fmt(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in lines[1:]:
        print(fmt(line))
    sys.stdout.flush()


def command_line() -> str:
    """The command as a user would type it, relative to the repository."""
    script = Path(sys.argv[0]).resolve()
    with contextlib.suppress(ValueError):
        script = script.relative_to(REPO)
    return " ".join([".venv/bin/python", str(script), *sys.argv[1:]])


# --- child processes ----------------------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (max of ru_maxrss and VmHWM)."""
    peak_kb = float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KB on Linux
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                peak_kb = max(peak_kb, float(line.split()[1]))
    return peak_kb / 1024


def run_child(script: str, name: str, args: Sequence[str], *, timeout_s: float) -> dict[str, Any]:
    """Run ``script --child name args...`` in a fresh interpreter; return its JSON result.

    Raise RuntimeError with the child's stderr if it fails or writes no result.
    """
    with tempfile.TemporaryDirectory(prefix="gw-bench-") as tmp:
        result = Path(tmp) / "result.json"
        argv = [sys.executable, script, "--child", name, "--result", str(result), *args]
        done = subprocess.run(
            argv, cwd=REPO, capture_output=True, text=True, timeout=timeout_s, check=False
        )
        if done.returncode != 0 or not result.exists():
            raise RuntimeError(
                f"child {name!r} failed (exit {done.returncode}):\n{done.stderr[-4000:]}"
            )
        data: dict[str, Any] = json.loads(result.read_text())
        if done.stderr.strip():
            data["stderr"] = done.stderr
        return data


def write_result(path: str, data: dict[str, Any]) -> None:
    """Child side: add the peak RSS and write the result JSON."""
    data["peak_rss_mb"] = round(peak_rss_mb(), 1)
    Path(path).write_text(json.dumps(data))


def quiet_logs() -> None:
    """Production logging (JSON renderer, info level) into /dev/null: the bench pays
    for rendering log lines as the daemon does, without printing them."""
    sink = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    logs.configure(level="info", stream=sink, json=True)


# --- IMAP -------------------------------------------------------------------------------------


class CountingMailbox(ImapMailbox):
    """ImapMailbox that counts the IMAP commands it sends, by operation.

    Every public method reaches the server through ``_call`` (one IMAP command per
    call: a FETCH batch, a STATUS, an EXAMINE...), so counting there is exact.
    Measuring only; the tests never do this.
    """

    def __init__(self, endpoint: ImapEndpoint) -> None:
        super().__init__(endpoint)
        self.commands: Counter[str] = Counter()

    async def _call(self, op: str, fn: Callable[..., T], *args: Any) -> T:
        self.commands[op] += 1
        return await super()._call(op, fn, *args)


def endpoint(host: str, port: int, user: str) -> ImapEndpoint:
    return ImapEndpoint(
        host=host, port=port, security="none", username=user, password=lambda: PASSWORD,
        timeout_s=120.0,
    )  # fmt: skip


@contextlib.contextmanager
def dovecot() -> Iterator[Any]:
    """A fresh Dovecot from the test rig (tests/support/dovecot.py), destroyed after."""
    from tests.support.dovecot import DovecotServer

    server = DovecotServer.launch()
    try:
        yield server
    finally:
        server.destroy()


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")
