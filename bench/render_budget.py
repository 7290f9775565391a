"""Templates: what the render step budget costs on a normal render.

Run: .venv/bin/python bench/render_budget.py [--renders 500] [--repeat 21]

``TemplateSet.render`` (the sandbox with the step budget: every loop iteration and
call counted) against the raw baseline: a stock Jinja2 ``SandboxedEnvironment`` with
the same loader, undefined and autoescape settings rendering the same templates with
the same context, no budget. Both run in this process: ``--repeat`` rounds, each
timing both back to back; the ratio is the median of the rounds' own ratios (the
machine's speed drifts between rounds). Two templates: the built-in English check-in
(no loop: the budget costs one context variable per render), and a reminder listing
20 invoices (20 counted iterations).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import _common  # puts the repository on sys.path
import jinja2
from _common import Row
from jinja2.sandbox import SandboxedEnvironment

from ghostwatch.core.template_sandbox import render_bounded as render_counted  # the budgeted render
from ghostwatch.core.templates import TemplateSet, sample_context

NOTES = {
    "budget only": "compiled template, budget set and counted per step",
    "TemplateSet.render": "plus the lookup of <dir>/<lang>, <dir>, built-ins per render",
}

LIST = (
    "Hi {{ client.first_name }},\n\n"
    "{% for inv in invoices %}- {{ inv.number }}: {{ inv.amount }}, due {{ inv.due }}\n"
    "{% endfor %}\nBest regards,\n{{ account.display_name }}\n"
)


def per_render(fn: Callable[[], object], renders: int) -> float:
    start = time.perf_counter()
    for _ in range(renders):
        fn()
    return (time.perf_counter() - start) / renders


def paired(
    ours: Callable[[], object], raw: Callable[[], object], renders: int, repeat: int
) -> tuple[float, float, float]:
    """(best ours s/render, best raw s/render, median of the per-round ratios): each
    round times both back to back, so the machine's drift hits both alike."""
    rounds = [(per_render(ours, renders), per_render(raw, renders)) for _ in range(repeat)]
    ratio = statistics.median(o / r for o, r in rounds)
    return min(o for o, _ in rounds), min(r for _, r in rounds), ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()

    directory = Path(tempfile.mkdtemp(prefix="gw-bench-templates-"))
    (directory / "invoice_list.txt").write_text(LIST, encoding="utf-8")
    ours = TemplateSet(directory)
    raw = SandboxedEnvironment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader(directory),
                jinja2.PackageLoader("ghostwatch.core", "builtin_templates/en"),
            ]
        ),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    invoice = sample_context()["invoice"]
    context = sample_context() | {"invoices": [invoice] * 20}
    rows = []
    for what, name in (("built-in check_in", "check_in"), ("20-invoice list", "invoice_list")):
        template = raw.get_template(f"{name}.txt")
        assert ours.render(name, "en", context)[0] == template.render(context)  # same output
        compiled = ours.get(name, "en")[0]  # compiled with the counting code generator
        paths = {
            "budget only": lambda c=compiled: render_counted(c, context),
            "TemplateSet.render": lambda n=name: ours.render(n, "en", context),
        }
        for label, path in paths.items():
            raw_path = lambda t=template: t.render(context)  # noqa: E731
            t_ours, t_raw, ratio = paired(path, raw_path, args.renders, args.repeat)
            rows.append(
                Row(
                    f"{what}: {label}",
                    f"{t_ours * 1e6:.1f} µs/render",
                    f"{t_raw * 1e6:.1f} µs/render",
                    f"{ratio:.2f}x",
                    NOTES[label],
                )
            )
    _common.print_table(
        "Template render with the step budget", rows, command=_common.command_line()
    )


if __name__ == "__main__":
    main()
