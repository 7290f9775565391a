"""The ``ghostwatch`` command line: parse, run one command's handler, map errors to
the exit status. The ``cli`` package is the only one that prints.

Exit status (docs/cli.md): 0 success; 1 ran but something failed (a mailbox could
not be read, a nudge failed); 2 bad usage or configuration.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ghostwatch.adapters import logs
from ghostwatch.cli import checks, clients, cycle, evidence, setup, status
from ghostwatch.cli.parser import build_parser
from ghostwatch.cli.shared import EXIT_FAILED, EXIT_USAGE, Handler
from ghostwatch.errors import ConfigError, GhostwatchError

__all__ = ["HANDLERS", "main"]

HANDLERS: dict[str, Handler] = {
    "check-config": checks.cmd_check_config,
    "once": cycle.cmd_once,
    "status": status.cmd_status,
    "snooze": clients.cmd_snooze,
    "resume": clients.cmd_resume,
    "pause": clients.cmd_pause,
    "unpause": clients.cmd_unpause,
    "paid": clients.cmd_paid,
    "expect": clients.cmd_expect,
    "hold": clients.cmd_hold,
    "skip": clients.cmd_skip,
    "send-now": clients.cmd_send_now,
    "run": cycle.cmd_run,
    "summary": cycle.cmd_summary,
    "history": evidence.cmd_history,
    "export": evidence.cmd_export,
    "demo": cycle.cmd_demo,
    "init": setup.cmd_init,
    "completion": setup.cmd_completion,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    logs.configure(level=args.log_level)
    handler = HANDLERS[args.command]
    try:
        return handler(args)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    except GhostwatchError as exc:
        print(f"ghostwatch: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
