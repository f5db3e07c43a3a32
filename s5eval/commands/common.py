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
