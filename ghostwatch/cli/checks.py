"""``ghostwatch check-config``: every problem of the configuration and templates at
once, warnings, and with ``--show-templates`` / ``--online`` the rendered templates and
the live logins (nothing is sent)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import TYPE_CHECKING

from ghostwatch.cli.shared import EXIT_FAILED, EXIT_OK
from ghostwatch.errors import ConfigError

if TYPE_CHECKING:
    from ghostwatch.config.loader import Config
    from ghostwatch.core.templates import TemplateSet

__all__ = ["cmd_check_config"]


def cmd_check_config(args: argparse.Namespace) -> int:
    from ghostwatch.app.check import check_config
    from ghostwatch.app.online_check import secret_source_problems
    from ghostwatch.config.loader import find_config_path, template_names
    from ghostwatch.config.types import format_loc
    from ghostwatch.config.warnings import config_warnings
    from ghostwatch.core.templates import TemplateSet

    path = find_config_path(args.config, os.environ)
    config = check_config(path)  # values and templates: every problem at once
    problems = [f"{path.name}: {p}" for p in secret_source_problems(config, os.environ)]
    if problems:
        raise ConfigError(problems)
    templates = TemplateSet(config.templates.dir or None)
    for loc, message in config_warnings(config, templates, os.environ):
        print(f"{path}: {format_loc(loc)}: warning: {message}", file=sys.stderr)
    print(f"{path}: OK ({len(config.accounts)} account(s), {len(config.clients)} client(s))")
    if getattr(args, "show_templates", False):
        _show_templates(templates, sorted(template_names(config)))
    if getattr(args, "online", False):
        return _check_online(config)
    return EXIT_OK


def _check_online(config: Config) -> int:
    """Print one line per online check (``ghostwatch.app.online_check``); 1 if one failed."""
    from ghostwatch.app.bootstrap import check_online

    checks = asyncio.run(check_online(config))
    for check in checks:
        print(check.line())
    failed = sum(1 for c in checks if not c.ok)
    print(f"online: {len(checks) - failed} check(s) OK, {failed} failed")
    return EXIT_FAILED if failed else EXIT_OK


def _show_templates(templates: TemplateSet, names: list[tuple[str, str]], lines: int = 6) -> None:
    """Print the first ``lines`` non-blank lines of each template, rendered with sample
    values (``templates.sample_context``), one block per (template, language)."""
    from ghostwatch.core.templates import sample_context

    for name, language in names:
        text, _html = templates.render(name, language, sample_context(language))
        shown = [line for line in text.splitlines() if line.strip()][:lines]
        print(f"\n{name} ({language}):")
        for line in shown:
            print(f"  | {line}")
