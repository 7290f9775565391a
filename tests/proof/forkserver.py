"""A fork server for crash tests: ``ghostwatch once`` processes without the import cost.

Importing ghostwatch takes ~1.2 s (SQLAlchemy, pydantic, Jinja2); a crash test runs
hundreds of processes. This server imports the command line once, then forks one
child per request; each child is a real, separate process running ``cli.main(argv)``
that the test kills with SIGKILL, exactly as it would kill ``python -m ghostwatch``.
The server itself is single-threaded (safe to fork) and never touches a database.

Protocol, one JSON object per line on stdin, one reply per line on stdout:
- ``{"argv": [...], "out": PATH, "crash_at_tx": N | null}`` -> ``{"pid": PID}``.
  The child's stdout and stderr go to PATH. With ``crash_at_tx`` the child SIGKILLs
  itself when its N-th database transaction begins (so transactions 1..N-1 are
  committed): a crash placed exactly between two commits.
- ``{"wait": PID}`` -> ``{"status": EXIT CODE, or -SIGNAL}``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ghostwatch.app import bootstrap as daemon  # noqa: F401  (preloaded for the children)
from ghostwatch.cli import entry as cli


def _crash_at(n: int) -> None:
    seen = 0

    def before_begin(_conn: Connection) -> None:
        nonlocal seen
        seen += 1
        if seen >= n:
            os.kill(os.getpid(), signal.SIGKILL)

    sa.event.listen(Engine, "begin", before_begin)


def _child(request: dict[str, Any]) -> None:
    fd = os.open(request["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdin.close()
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)
    if request.get("crash_at_tx"):
        _crash_at(int(request["crash_at_tx"]))
    code = cli.main(request["argv"])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def serve() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        if "wait" in request:
            _, status = os.waitpid(int(request["wait"]), 0)
            code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            reply: dict[str, Any] = {"status": code}
        else:
            pid = os.fork()
            if pid == 0:
                try:
                    _child(request)
                finally:
                    os._exit(99)
            reply = {"pid": pid}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
