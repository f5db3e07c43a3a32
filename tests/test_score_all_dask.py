"""score-all with the Dask backend on a local cluster over loopback TCP."""
from __future__ import annotations

import json

import pytest

from s5eval.scoring.config import ScoreConfig
from s5eval.scoring.batch import score_all
from s5fixtures import make_case

distributed = pytest.importorskip("distributed")

MIXTURES = {"m_0": ["Speech"], "m_1": ["Cough", "Cough"], "m_2": [], "m_3": ["Dishes", "Pour"]}


def test_dask_backend_gives_the_local_numbers(tmp_path):
    ref, sub = make_case(tmp_path / "case", MIXTURES, seed=5)
    subs = tmp_path / "subs"
    subs.mkdir()
    sub.rename(subs / "Team_A_task4_1")
    config = ScoreConfig(workers=1, n_resamples=30)
    local = score_all(subs, ref, tmp_path / "local", config)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        remote = score_all(subs, ref, tmp_path / "dask", config, scheduler=cluster.scheduler_address)
    assert [o.status for o in remote] == ["ok"]
    assert remote[0].computed == len(MIXTURES) and local[0].computed == len(MIXTURES)
    a = json.loads((tmp_path / "local" / "Team_A_task4_1" / "results.json").read_text())
    b = json.loads((tmp_path / "dask" / "Team_A_task4_1" / "results.json").read_text())
    assert a["subsets"] == b["subsets"]


def test_unreachable_scheduler_is_a_usage_error(tmp_path, monkeypatch):
    import s5eval.scoring.backends
    from s5eval.findings import S5InputError
    monkeypatch.setattr(s5eval.scoring.backends, "DASK_CONNECT_TIMEOUT", "1s")
    ref, sub = make_case(tmp_path / "case", MIXTURES, seed=5)
    with pytest.raises(S5InputError) as info:
        score_all(sub.parent, ref, tmp_path / "out", ScoreConfig(workers=1), scheduler="tcp://127.0.0.1:9")
    assert info.value.exit_code == 2 and info.value.findings[0].code == "E_DASK_CONNECT"
