"""The official recipe as the ``dcase`` config: separate tagger and separator runs on the official dev set layout.

The bundled ``dcase.yaml`` is shrunk (a 3-block ViT instead of ViT-B, 0.5-s mixtures) and trained a few
steps on the miniature dev set of ``test_baseline_official_devset``: the tagger's head-only run, its
resumption, the two-blocks run started from it, the separator run, validation on ``metadata/valid.json``,
a two-process DDP run with synchronised batch norm on the CPU (gloo), the official loss averaging and
clear command-line errors.
"""
from __future__ import annotations

import csv
import itertools
import os
import socket
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sofar")

from baseline.config import ConfigError, config_from_dict, load_config, read_config_values  # noqa: E402
from baseline.losses import separation_loss  # noqa: E402
from baseline.runs import TaggerRun  # noqa: E402
from baseline.stages import load_stage_state  # noqa: E402
from baseline.syncbn import CPUSyncBatchNorm, convert_cpu_sync_batchnorm  # noqa: E402
from baseline.train import load_checkpoint, train  # noqa: E402

from test_baseline_official_devset import CLASSES, make_mini_dev_set  # noqa: E402

DCASE = Path(__file__).resolve().parents[1] / "baseline" / "configs" / "dcase.yaml"


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


@pytest.fixture(scope="module")
def dev_set(tmp_path_factory) -> Path:
    return make_mini_dev_set(tmp_path_factory.mktemp("recipe") / "dev_set")


@pytest.fixture(scope="module")
def label_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("labels") / "labels.txt"
    path.write_text("\n".join(CLASSES) + "\n")
    return str(path)


def shrunk(run: str, dev_set: Path, label_file: str, **train_overrides):
    """The bundled dcase run, small enough for the CPU: same stages, losses, optimiser and data recipe."""
    small = {"label_set": label_file,
             "model": {"tagger": {"weight_file": None, "encoder": {"dim": 32, "depth": 3, "heads": 2},
                                  "head_args": {"track_input_dim": 16, "track_hidden_dim": 8}}},
             "data": {"dev_set": str(dev_set), "num_workers": 0, "recipe": {"duration": 0.5, "max_event_dur": 0.5}},
             "train": {"device": "cpu", "log_every": 1, "threads": 1}}
    values = _merge(read_config_values(DCASE), small)
    values["runs"][run] = _merge(values["runs"][run], {"data": {"train_size": 4, "num_workers": 0},
                                                       "train": {"batch_size": 2, "val_batch_size": 3, "epochs": 1,
                                                                 **train_overrides}})
    return config_from_dict(values, run)


def test_dcase_config_holds_the_official_values():
    tagger, blocks, separator = (load_config(DCASE, run) for run in ("tagger", "tagger_2blks", "separator"))
    assert load_config(DCASE).run == "tagger"  # the first run by default
    assert (tagger.stage, tagger.model["tagger"]["arch"], tagger.model["tagger"]["finetuning_layers"]) == \
        ("tagger", "m2dat_4c", "head")
    assert (tagger.train.lr_tagger, tagger.train.batch_size, tagger.data.train_size) == (1e-3, 32, 25088)
    assert (blocks.model["tagger"]["finetuning_layers"], blocks.train.lr_tagger, blocks.data.train_size) == \
        ("2_blocks", 1e-5, 640)
    assert (separator.stage, separator.model["separator"]["arch"], separator.train.lr_separator) == \
        ("separator", "resunet30", 1e-4)
    assert tagger.data.recipe["nevent_range"] == [0, 3] and separator.data.recipe["nevent_range"] == [1, 3]
    for c in (tagger, blocks, separator):
        assert c.train.grad_clip == 0.5 and c.train.sync_batchnorm and c.train.amsgrad and not c.train.amp
        assert c.loss.average == "all_slots" and c.train.monitor == "val_loss" and c.data.silence_last
        assert c.data.recipe["dupse_exclusion_folder_depth"] == 1 and c.data.recipe["snr_range"] == [5, 20]
    assert load_config(DCASE.parent / "tiny.yaml").stage == "joint"
    with pytest.raises(ConfigError, match="no run 'nope'"):
        load_config(DCASE, "nope")
    with pytest.raises(ConfigError, match="unknown recipe key"):
        config_from_dict({"data": {"recipe": {"snr": [1, 2]}}})


def _official_loss(est, ref, labels, silence):
    """The official class_aware_pit.py, written out: per mixture the best same-class permutation of the mean over
    all S slots (silence slots 0), then the mean over the batch; SNR as torchmetrics computes it."""
    b, s, _ = est.shape
    eps = torch.finfo(torch.float32).eps
    out = []
    for i in range(b):
        best = -float("inf")
        for perm in itertools.permutations(range(s)):
            if any(labels[i, k] != labels[i, perm[k]] for k in range(s)):
                continue
            total = 0.0
            for k in range(s):
                if labels[i, k] != silence:
                    noise = ref[i, k] - est[i, perm[k]]
                    total += float(10 * torch.log10((ref[i, k].pow(2).sum() + eps) / (noise.pow(2).sum() + eps)))
            best = max(best, total / s)
        out.append(-best)
    return float(np.mean(out))


def test_all_slots_average_is_the_official_loss_and_active_stays_available():
    g = torch.Generator().manual_seed(3)
    ref, est = torch.randn(4, 3, 200, generator=g), torch.randn(4, 3, 200, generator=g)
    labels = torch.tensor([[0, 0, 5], [1, 5, 5], [2, 3, 2], [5, 5, 5]])  # 5 = silence
    official = separation_loss(est, ref, labels, 5, average="all_slots")
    assert float(official) == pytest.approx(_official_loss(est, ref, labels, 5), abs=1e-4)
    active = separation_loss(est, ref, labels, 5, average="active")
    by_hand = np.mean([_official_loss(est[i:i + 1], ref[i:i + 1], labels[i:i + 1], 5) * 3 / n
                       for i, n in enumerate([2, 1, 3])])
    assert float(active) == pytest.approx(by_hand, abs=1e-4)


def _rows(path: Path) -> list[dict]:
    return list(csv.DictReader(path.open()))


def test_tagger_head_run_resumes_and_the_two_blocks_run_starts_from_it(tmp_path, dev_set, label_file):
    config = shrunk("tagger", dev_set, label_file)
    torch.manual_seed(0)
    initial = {k: v.clone() for k, v in TaggerRun(config, pretrained=False).module.net.state_dict().items()}
    result = train(config, tmp_path / "tagger")
    assert result.steps == 2 and result.epochs == 1
    rows = _rows(tmp_path / "tagger" / "log.csv")
    assert list(rows[0])[3:] == ["train_loss", "val_loss", "val_accuracy_src", "val_accuracy_mix"]
    assert np.isfinite(float(rows[0]["val_loss"]))
    state = load_checkpoint(tmp_path / "tagger" / "best.pt")
    assert state["stage"] == "tagger" and all(k.startswith("model.") for k in state["state_dict"])
    head = {k[len("model."):]: v for k, v in state["state_dict"].items()}
    changed = {k for k, v in head.items() if v.is_floating_point() and not torch.equal(v, initial[k])}
    assert changed and all(k.startswith("head.") for k in changed)  # the backbone is frozen
    # resume: one more epoch continues at step 2
    resumed = train(shrunk("tagger", dev_set, label_file, epochs=2), tmp_path / "tagger")
    assert resumed.steps == 4 and [r["epoch"] for r in _rows(tmp_path / "tagger" / "log.csv")] == ["1", "2"]
    # the second run: the last two of the three blocks unfrozen, at the official 1e-5, from the first run's weights
    blocks = shrunk("tagger_2blks", dev_set, label_file, init_from=str(tmp_path / "tagger" / "best.pt"))
    train(blocks, tmp_path / "blocks")
    after = load_checkpoint(tmp_path / "blocks" / "last.pt")
    assert after["optimizer"]["param_groups"][0]["lr"] == pytest.approx(1e-5)
    first = {k[len("model."):]: v for k, v in load_checkpoint(tmp_path / "tagger" / "best.pt")["state_dict"].items()}
    moved = {k.split(".blocks.")[1].split(".")[0] for k, v in after["state_dict"].items() if v.is_floating_point()
             and ".blocks." in k and not torch.equal(v, first[k[len("model."):]])}
    assert moved == {"1", "2"}
    with pytest.raises(ConfigError, match="--init-from"):
        train(shrunk("tagger_2blks", dev_set, label_file), tmp_path / "no_init")


def test_separator_run_trains_resumes_and_validates_on_the_valid_list(tmp_path, dev_set, label_file):
    config = shrunk("separator", dev_set, label_file)
    result = train(config, tmp_path / "sep")
    assert result.steps == 2
    rows = _rows(tmp_path / "sep" / "log.csv")
    assert list(rows[0])[3:] == ["train_loss", "val_loss", "val_oracle_capi_sdri"]
    assert np.isfinite(float(rows[0]["val_oracle_capi_sdri"]))  # the 3 listed mixtures all have targets
    state = load_checkpoint(tmp_path / "sep" / "last.pt")
    assert state["stage"] == "separator" and state["validation"]["val_loss"] == pytest.approx(float(rows[0]["val_loss"]),
                                                                                             abs=1e-3)
    from baseline.models.resunet30 import ResUNet30

    net = ResUNet30(4, 1, 3, 3 * len(CLASSES))
    load_stage_state(net, state["state_dict"])  # the official names, under the Lightning prefix
    resumed = train(shrunk("separator", dev_set, label_file, epochs=2), tmp_path / "sep")
    assert resumed.steps == 4 and resumed.epochs == 2


def _ddp_worker(rank: int, world: int, port: int, workdir: str, dev_set: str, label_file: str, out: str) -> None:
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    import torch.distributed as dist

    # the synchronised batch norm against a plain one on the concatenated batch, in the group train() then uses
    dist.init_process_group("gloo", rank=rank, world_size=world)
    x = torch.randn(8, 3, 5, generator=torch.Generator().manual_seed(1), requires_grad=True)
    sync = convert_cpu_sync_batchnorm(torch.nn.BatchNorm1d(3))
    part = x[rank * 4:(rank + 1) * 4]
    y = sync(part)
    y.pow(3).sum().backward()
    config = shrunk("separator", Path(dev_set), label_file)
    config.model["separator"] = {"arch": "resunetk", "n_fft": 256, "hop": 128, "widths": [4, 8], "cond_hidden": 8}
    config.data.train_size = 8  # 4 per process, 2 steps of 2
    result = train(config, workdir, resume=False)
    weights = {k: v.clone() for k, v in result.system.state_dict().items()}
    torch.save({"step": result.steps, "weights": weights, "y": y.detach(), "grad": x.grad[rank * 4:(rank + 1) * 4],
                "sync": isinstance(sync, CPUSyncBatchNorm), "running": sync.running_var.clone()},
               Path(out) / f"rank{rank}.pt")


def test_ddp_two_processes_with_synchronised_batch_norm_on_cpu(tmp_path, dev_set, label_file):
    import torch.multiprocessing as mp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_ddp_worker, args=(2, port, str(tmp_path / "run"), str(dev_set), label_file, str(tmp_path)), nprocs=2,
             join=True)
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]
    assert [r["step"] for r in ranks] == [2, 2] and load_checkpoint(tmp_path / "run" / "last.pt")["step"] == 2
    # the processes saw different mixtures, yet their batch-norm running statistics agree: they were synchronised
    stats = [k for k in ranks[0]["weights"] if k.endswith("running_var")]
    assert stats and all(torch.allclose(ranks[0]["weights"][k], ranks[1]["weights"][k]) for k in stats)
    for name, value in ranks[0]["weights"].items():
        if value.is_floating_point():
            assert torch.allclose(value, ranks[1]["weights"][name], atol=1e-6), name
    # numerics: two halves normalised together = one batch normalised by a plain BatchNorm1d
    x = torch.randn(8, 3, 5, generator=torch.Generator().manual_seed(1), requires_grad=True)
    plain = torch.nn.BatchNorm1d(3)
    y = plain(x)
    y.pow(3).sum().backward()
    assert all(r["sync"] for r in ranks)
    assert torch.allclose(torch.cat([r["y"] for r in ranks]), y.detach(), atol=1e-5)
    assert torch.allclose(torch.cat([r["grad"] for r in ranks]), x.grad, atol=1e-4)
    assert torch.allclose(ranks[0]["running"], plain.running_var, atol=1e-6)


def test_command_line_errors_are_one_sentence(tmp_path):
    from click.testing import CliRunner

    from s5eval.cli import cli

    result = CliRunner().invoke(cli, ["baseline", "train", "dcase", "--run", "separator",
                                      "--dev-set", str(tmp_path / "missing"), "--workdir", str(tmp_path / "w")])
    assert result.exit_code == 2 and "is not a folder" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["baseline", "train", "dcase", "--run", "nope", "--workdir", str(tmp_path)])
    assert result.exit_code == 2 and "no run 'nope'" in result.output
