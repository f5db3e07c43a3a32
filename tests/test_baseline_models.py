"""Shapes and gradient flow of the tagger and the separator (tiny sizes, short clips)."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from baseline.models import ResUNetK, S5System, TrackTagger, build_system  # noqa: E402
from baseline.models.m2d import M2DBackbone, M2DWeightsError  # noqa: E402

N_CLASSES, K = 18, 3
TINY_TAGGER = dict(n_fft=256, hop=128, n_mels=16, widths=(4, 8), head_hidden=16)
TINY_SEP = dict(n_fft=128, hop=64, widths=(4, 8, 8), cond_hidden=8)


def _grads_reach_every_parameter(module: torch.nn.Module) -> None:
    missing = [name for name, p in module.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not missing, f"no finite gradient for {missing[:5]}"
    assert any(p.grad.abs().sum() > 0 for p in module.parameters())


@pytest.mark.parametrize("backbone", ["cnn", "spectral"])
def test_tagger_shapes_and_gradients(backbone):
    torch.manual_seed(0)
    tagger = TrackTagger(N_CLASSES, K, 4, 32000, backbone=backbone, **TINY_TAGGER)
    logits = tagger(torch.randn(2, 4, 4000))
    assert logits.shape == (2, K, N_CLASSES + 1)
    logits.logsumexp(-1).sum().backward()
    _grads_reach_every_parameter(tagger)


@pytest.mark.parametrize("backbone", ["cnn", "spectral"])
def test_tagger_uses_every_channel(backbone):
    torch.manual_seed(0)
    tagger = TrackTagger(N_CLASSES, K, 4, 32000, backbone=backbone, **TINY_TAGGER).eval()
    x = torch.randn(1, 4, 4000)
    y = x.clone()
    y[:, 3] = torch.randn(4000)
    assert not torch.allclose(tagger(x), tagger(y))
    with pytest.raises(ValueError, match="4 channels"):
        tagger(torch.randn(1, 2, 4000))


@pytest.mark.parametrize("options", [dict(), dict(bottleneck="dprnn", rnn_hidden=4), dict(patch=2)])
def test_separator_shapes_and_gradients(options):
    torch.manual_seed(0)
    sep = ResUNetK(N_CLASSES, K, 4, **TINY_SEP, **options)
    mixture = torch.randn(2, 4, 3001)  # a length that is not a multiple of the hop
    queries = torch.tensor([[0, 0, N_CLASSES], [N_CLASSES] * 3])
    out = sep(mixture, queries)
    assert out.shape == (2, K, 3001) and out.dtype == torch.float32
    out.pow(2).mean().backward()
    # FiLM starts as identity (zero init), so its gradient is what must flow
    _grads_reach_every_parameter(sep)


def test_separator_output_depends_on_query():
    torch.manual_seed(0)
    sep = ResUNetK(N_CLASSES, K, 4, **TINY_SEP)
    for film in [m for m in sep.modules() if m.__class__.__name__ == "FiLM"]:
        torch.nn.init.normal_(film.proj.weight, std=0.5)
    sep.eval()
    mixture = torch.randn(1, 4, 2000)
    a = sep(mixture, torch.tensor([[1, 2, 3]]))
    b = sep(mixture, torch.tensor([[4, 2, 3]]))
    assert not torch.allclose(a[:, 0], b[:, 0])
    q = sep.queries_to_condition(torch.tensor([[1, N_CLASSES, 1]]))
    assert q.shape == (1, K * N_CLASSES)
    assert q[0, 1] == 1 and q[0, N_CLASSES:2 * N_CLASSES].sum() == 0 and q[0, 2 * N_CLASSES + 1] == 1


def test_system_returns_labels_probabilities_and_waveforms():
    system = build_system([f"c{i}" for i in range(N_CLASSES)], {"tagger": TINY_TAGGER, "separator": TINY_SEP})
    assert isinstance(system, S5System)
    out = system.eval()(torch.randn(2, 4, 2500))
    assert out.labels.shape == (2, K) and out.waveforms.shape == (2, K, 2500)
    assert ((out.probabilities > 0) & (out.probabilities <= 1)).all()
    assert torch.allclose(out.class_probabilities.sum(-1), torch.ones(2, K))
    assert system.label_names(torch.tensor([[0, N_CLASSES, 1]])) == [["c0", "silence", "c1"]]


def test_m2d_backbone_says_what_is_missing(tmp_path):
    with pytest.raises(M2DWeightsError, match="m2d_as_vit_base"):
        M2DBackbone(weights=None, depth=1, embed_dim=32, heads=2)
    with pytest.raises(M2DWeightsError, match="does not exist"):
        M2DBackbone(weights=tmp_path / "nothing.pth", depth=1, embed_dim=32, heads=2)
    with pytest.raises(M2DWeightsError, match="no .pth file"):
        M2DBackbone(weights=tmp_path, depth=1, embed_dim=32, heads=2)


def test_m2d_backbone_loads_a_matching_file(tmp_path, monkeypatch):
    import baseline.models.m2d as m2d

    small = dict(depth=1, embed_dim=32, heads=2, max_frames=160)
    # an encoder of the same structure, saved with the prefixed keys of a training checkpoint
    with monkeypatch.context() as patch:
        patch.setattr(m2d, "load_m2d_weights", lambda module, path: None)
        source = M2DBackbone(weights="unused", **small)
    torch.nn.init.normal_(source.pos_embed)
    torch.save({"module.encoder." + k: v for k, v in source.state_dict().items()}, tmp_path / "w.pth")
    loaded = M2DBackbone(weights=tmp_path, **small)
    assert torch.equal(loaded.pos_embed, source.pos_embed)
    assert loaded(torch.randn(2, 32000)).shape == (2, 32)
    torch.save({"blocks.0.norm1.weight": torch.ones(5)}, tmp_path / "w.pth")
    with pytest.raises(M2DWeightsError, match="does not fit"):
        M2DBackbone(weights=tmp_path / "w.pth", **small)
