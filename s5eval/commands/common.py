"""Helpers shared by commands: turning input errors into findings and exit codes."""
from __future__ import annotations

import errno
import functools
import os
import sys
from typing import Callable, Iterable

import click

from ..findings import EXIT_USAGE, S5InputError, error


def exits_on_input_error(command: Callable) -> Callable:
    """Print the findings of an :class:`S5InputError` and exit with its code, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except S5InputError as exc:
            from ..render.terminal import print_findings  # rich: only when there is something to print

            print_findings(exc.findings)
            sys.exit(exc.exit_code)

    return wrapper


def _missing(path: str) -> bool:
    """True when nothing is at ``path`` (or its name is too long to exist); other errors are left to the command."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError as exc:
        return exc.errno == errno.ENAMETOOLONG
    except ValueError:  # a NUL in the path: the command reports it
        return False
    return False


def check_paths_exist(paths: Iterable[tuple[str | None, str, str]]) -> None:
    """Paths given on the command line, ``(path, finding code, what)``: a missing one is a usage error (exit 2).

    Every missing path is reported at once, under its finding code (``E_SUB_MISSING``, ``E_REF_MISSING``);
    ``None`` (an option not given) is skipped.
    """
    problems = [error(code, path, f"{what} does not exist") for path, code, what in paths
                if path is not None and _missing(path)]
    if problems:
        raise S5InputError(problems, exit_code=EXIT_USAGE)


def workers_option(func: Callable) -> Callable:
    return click.option("--workers", type=click.IntRange(min=1), default=None,
                        help="Worker processes (default: all cores).")(func)


def _check_subsets(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--subsets``: a preset or an existing file, checked before anything runs (a usage error, exit 2)."""
    if value is not None:
        from ..results.subsets import check_subsets_spec
        try:
            check_subsets_spec(value)
        except S5InputError as exc:
            from ..render.terminal import print_findings  # rich: only when there is something to print

            print_findings(exc.findings)
            ctx.exit(exc.exit_code)
    return value


def scoring_options(func: Callable) -> Callable:
    """The options that define what a score means, shared by ``score`` and ``score-all``."""
    from ..results.figures import METRICS

    options: list[Callable[[Callable], Callable]] = [
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
