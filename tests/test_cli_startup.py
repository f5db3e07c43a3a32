"""`s5eval --help` lists the commands without importing them, and a command's help imports none of its work.

Start-up times are measured by benchmarks/startup_speed.py; these tests check what makes them small: which
modules a help request imports (in a fresh interpreter), and that the static help lines of the command list
say exactly what the commands say.
"""
from __future__ import annotations

import importlib
import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from s5eval.cli import COMMANDS, cli

# What no help request may import: numpy, the terminal renderer (rich), the scoring run, the synthesizer,
# the leaderboard statistics, torch, and the modules that read audio.
HEAVY = ("numpy", "rich", "torch", "scipy", "pandas", "soundfile", "jsonschema", "yaml", "s5eval.scoring",
         "s5eval.leaderboard", "s5eval.synth", "s5eval.metrics", "s5eval.validate", "s5eval.io.audio",
         "s5eval.render", "s5eval.mixture_report", "s5eval.codabench", "baseline")

PROBE = """
import json, sys
sys.argv = ["s5eval", *{args!r}]
from s5eval.cli import main
code = None
try:
    main()
except SystemExit as exc:
    code = exc.code
print("\\n" + json.dumps([code, sorted(sys.modules)]))
"""


def run_and_list_modules(args: list[str]) -> tuple[object, list[str], subprocess.CompletedProcess]:
    """Run ``s5eval ARGS`` in a fresh interpreter: its exit code, the modules it imported, the process."""
    done = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True,
                          check=True)
    code, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    return code, loaded, done


HELP_REQUESTS = [[]] + [[name] for name in COMMANDS] + [["baseline", "train"], ["baseline", "infer"],
                                                        ["codabench", "score"], ["codabench", "bundle"]]


def _command(name: str) -> click.Command:
    module, attribute = COMMANDS[name][0].split(":")
    return getattr(importlib.import_module(module), attribute)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_static_help_line_is_the_commands_own(name):
    command = _command(name)
    assert COMMANDS[name][1] == command.get_short_help_str(10_000), name


class _InOrder(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # the order they were added, as s5eval lists them


def test_the_command_list_reads_as_click_writes_it():
    eager = _InOrder("s5eval", help=cli.help, params=cli.params, context_settings=cli.context_settings)
    for name in COMMANDS:
        eager.add_command(_command(name), name)
    lazy_text = CliRunner().invoke(cli, ["--help"], prog_name="s5eval", terminal_width=80).output
    eager_text = CliRunner().invoke(eager, ["--help"], prog_name="s5eval", terminal_width=80).output
    assert lazy_text == eager_text


@pytest.mark.parametrize("args", HELP_REQUESTS, ids=lambda a: " ".join(a) or "s5eval")
def test_help_imports_no_implementation(args):
    _, loaded, done = run_and_list_modules([*args, "--help"])
    assert "Usage:" in done.stdout
    heavy = sorted(m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert heavy == [], f"`s5eval {' '.join(args)} --help` imports {heavy}"


def test_import_s5eval_is_light_and_the_api_still_there():
    done = subprocess.run([sys.executable, "-c", "import json, sys, s5eval; print(json.dumps(sorted(sys.modules)))"],
                          capture_output=True, text=True, check=True)
    assert "numpy" not in json.loads(done.stdout)
    import s5eval

    assert s5eval.CAPISDRi.__name__ == "CAPISDRi" and callable(s5eval.sdr)
    assert set(s5eval.__all__) <= set(dir(s5eval))
    with pytest.raises(AttributeError):
        s5eval.not_a_name  # noqa: B018


def test_parsing_a_score_command_line_imports_no_terminal_renderer():
    """`score`'s options are parsed (the `--subsets` check included) without rich: the renderer is imported only
    when there is something to print."""
    probe = ("import json, sys\nfrom s5eval.commands.score import score_command\n"
             "score_command.make_context('score', ['SUB', '--ref', 'REF', '--out', 'OUT'])\n"
             "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert not [m for m in loaded if m == "rich" or m.startswith(("rich.", "s5eval.render"))]


def test_a_quiet_score_run_with_nothing_to_say_never_imports_the_terminal_renderer(tmp_path):
    """`score --quiet` of a clean submission prints nothing, so it imports no rich (about 25 ms of every scripted
    run); its output files are written all the same."""
    from s5fixtures import make_case

    ref, sub = make_case(tmp_path, {"mix_a": ["Speech", "Dishes"], "mix_b": ["Doorbell"]})
    code, loaded, done = run_and_list_modules(["score", str(sub), "--ref", str(ref), "--out", str(tmp_path / "out"),
                                               "--quiet", "--no-cache", "--workers", "1"])
    assert code in (0, None)
    assert done.stderr == ""
    assert not [m for m in loaded if m == "rich" or m.startswith(("rich.", "s5eval.render"))]
    assert (tmp_path / "out" / "scores.json").is_file() and (tmp_path / "out" / "per_source.csv").is_file()
