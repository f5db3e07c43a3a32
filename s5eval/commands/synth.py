"""``s5eval synth OUT --n N``: synthesize a reference set in the DCASE layout."""
from __future__ import annotations

import time

import click

from ..findings import EXIT_USAGE, S5InputError, error
from .common import exits_on_input_error


@click.command("synth")
@click.argument("out", type=click.Path(path_type=str, file_okay=False))
@click.option("--n", "n_mixtures", type=click.IntRange(min=1), required=True, help="Number of mixtures.")
@click.option("--seconds", type=click.FloatRange(min=0.5, max=60.0), default=10.0, show_default=True,
              help="Length of each mixture in seconds.")
@click.option("--seed", type=int, default=0, show_default=True, help="Base seed; mixture k uses [seed, k].")
@click.option("--dup-rate", type=click.FloatRange(0.0, 1.0), default=0.3, show_default=True,
              help="Share of mixtures with a repeated target class (the paper's DupSet).")
@click.option("--zero-target-rate", type=click.FloatRange(0.0, 1.0), default=0.1, show_default=True,
              help="Share of mixtures without any target.")
@click.option("--max-targets", type=click.IntRange(min=1, max=6), default=3, show_default=True,
              help="Most targets in a mixture.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: all cores). The output does not depend on it.")
@click.option("--source-dir", type=click.Path(path_type=str, file_okay=False), default=None,
              help="A DCASE dev set (sound_event/, interference/, noise/, room_ir/) to draw sources and rooms from.")
@click.option("--overwrite", is_flag=True, help="Replace a reference set already in OUT.")
@click.option("--quiet", is_flag=True, help="No progress bar and no summary.")
@exits_on_input_error
def synth_command(out, n_mixtures, seconds, seed, dup_rate, zero_target_rate, max_targets, workers, source_dir,
                  overwrite, quiet):
    """Synthesize N S5 mixtures with oracle targets into OUT (soundscape/, oracle_target/, metadata/, subsets.csv)."""
    from ..render.terminal import stderr, stdout
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from ..io.buffers import default_workers
    from ..synth.api import SynthConfig
    from ..synth.devset import DevSetError
    from ..synth.rooms import MissingSynthDependency
    from ..synth.writer import write_reference_set

    try:
        config = SynthConfig(seconds=seconds, dup_rate=dup_rate, zero_target_rate=zero_target_rate,
                             max_targets=max_targets, source_dir=source_dir)
    except ValueError as exc:
        raise S5InputError([error("E_SYNTH_OPTIONS", "", str(exc))], EXIT_USAGE) from None
    workers = workers or default_workers()
    started = time.perf_counter()
    try:
        if quiet or not stderr.is_terminal:
            written = write_reference_set(out, n_mixtures, config, seed, workers, overwrite)
        else:
            with Progress(TextColumn("synthesizing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                          console=stderr, transient=True) as bar:
                task = bar.add_task("synth", total=n_mixtures)
                written = write_reference_set(out, n_mixtures, config, seed, workers, overwrite,
                                              progress=lambda done, total: bar.update(task, completed=done))
    except FileExistsError as exc:
        raise S5InputError([error("E_SYNTH_OUTPUT_EXISTS", out, str(exc))], EXIT_USAGE) from None
    except MissingSynthDependency as exc:
        raise S5InputError([error("E_SYNTH_DEPENDENCY", "", str(exc))], EXIT_USAGE) from None
    except DevSetError as exc:
        raise S5InputError([error("E_SYNTH_SOURCE_DIR", source_dir or "", str(exc))], EXIT_USAGE) from None
    except OSError as exc:
        raise S5InputError([error("E_SYNTH_WRITE", out, f"cannot write the reference set: {exc}")], EXIT_USAGE) from None
    if not quiet:
        n_targets = sum(len(w.labels) for w in written)
        kinds = [w.kind for w in written]
        stdout.print(f"{len(written)} mixtures ({n_targets} targets; {kinds.count('dup')} dupset, "
                     f"{kinds.count('nodup')} nodupset, {kinds.count('zero')} zero-target) written to {out}/ "
                     f"in {time.perf_counter() - started:.1f} s")
