"""Helpers shared by commands: turning input errors into findings and exit codes."""
from __future__ import annotations

import functools
import sys
from typing import Callable

import click

from ..findings import S5InputError
from ..report import print_findings


def exits_on_input_error(command: Callable) -> Callable:
    """Print the findings of an :class:`S5InputError` and exit with its code, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except S5InputError as exc:
            print_findings(exc.findings)
            sys.exit(exc.exit_code)

    return wrapper


def workers_option(func: Callable) -> Callable:
    return click.option("--workers", type=click.IntRange(min=1), default=None,
                        help="Worker processes (default: all cores).")(func)


def _check_subsets(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--subsets``: a preset or an existing file, checked before anything runs (a usage error, exit 2)."""
    if value is not None:
        from ..subsets import check_subsets_spec
        try:
            check_subsets_spec(value)
        except S5InputError as exc:
            print_findings(exc.findings)
            ctx.exit(exc.exit_code)
    return value


def scoring_options(func: Callable) -> Callable:
    """The options that define what a score means, shared by ``score`` and ``score-all``."""
    from ..score import METRICS

    options = [
        click.option("--metric", type=click.Choice(METRICS), default="capi-sdri", show_default=True,
                     help="Headline metric."),
        click.option("--selection", type=click.Choice(["official", "paper"]), default="official", show_default=True,
                     help="CAPI-SDRi pairing: mean SDR (official code) or summed SDRi (paper eq. 10)."),
        click.option("--penalty-fn", type=float, default=0.0, show_default=True,
                     help="Penalty in dB per missed source."),
        click.option("--penalty-fp", type=float, default=0.0, show_default=True,
                     help="Penalty in dB per false source."),
        click.option("--subsets", default=None, callback=_check_subsets,
                     help="Extra subsets: a soundscape,subset CSV file or a preset (dcase2026-eval, dcase2025-eval)."),
        click.option("--label-set", default=None,
                     help="dcase2026t4 (default), dcase2025t4 or a file with one class a line."),
        workers_option,
        click.option("--bootstrap", "n_resamples", type=click.IntRange(min=0), default=1000, show_default=True,
                     help="Bootstrap resamples for 95% intervals (0: none)."),
        click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed."),
    ]
    for option in reversed(options):
        func = option(func)
    return func
