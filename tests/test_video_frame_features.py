"""The per-frame projection of the from-scratch CNN cannot die whole (model.feature_norm)."""
from pathlib import Path

import torch

from video.frames import FrameEncoder
from video.model_config import VideoModel, upgrade_bundle


def _pushed_negative(feature_norm: bool) -> FrameEncoder:
    """An encoder whose projection has every unit below zero for all (>= 0) inputs: where Adam took a
    32-channel scratch run at lr 3e-3 within its first few hundred updates (validation at chance)."""
    torch.manual_seed(0)
    enc = FrameEncoder("small", cnn_channels=8, spatial_grid=2, feature_dim=16, feature_norm=feature_norm).eval()
    linear = enc.proj[1]
    with torch.no_grad():
        linear.weight.abs_().neg_()  # inputs are pooled ReLU maps, >= 0: every pre-activation is negative
        linear.bias.fill_(-1.0)
    return enc


def test_frame_features_stay_alive_when_the_projection_goes_negative():
    frames = torch.rand(6, 3, 32, 32)
    with torch.no_grad():
        dead = _pushed_negative(feature_norm=False)(frames)
        alive = _pushed_negative(feature_norm=True)(frames)
    assert torch.count_nonzero(dead) == 0  # without the LayerNorm: constant features, nothing to learn from
    assert (alive > 0).sum(1).min() >= 4  # with it: every frame keeps a good part of its 16 features


def test_bundles_from_before_the_layernorm_keep_their_projection():
    old = upgrade_bundle({"config": {"model": {"cnn": "small", "feature_dim": 128}}, "state_dict": {}})
    assert old["config"]["model"]["feature_norm"] is False
    new = upgrade_bundle({"config": {"model": {"cnn": "small", "feature_norm": True}}, "state_dict": {}})
    assert new["config"]["model"]["feature_norm"] is True
    assert VideoModel().feature_norm  # new models get it


def test_the_alive_count_script_reports_each_projection(tmp_path, capsys, monkeypatch):
    """scripts/frame_features_alive.py, which measured the dead features of the shipped demo model."""
    import runpy
    import sys

    from suite.cli import main

    assert main(["synth", "video", "--out", str(tmp_path), "--per-class", "1", "--seed", "3"]) == 0
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["frame_features_alive.py", "video-actions-demo", str(tmp_path / "manifest.jsonl"),
                                      "--every", "1"])
    runpy.run_path(str(Path(__file__).parents[1] / "scripts" / "frame_features_alive.py"), run_name="__main__")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("frontend.frames.proj: ") and "x 128 features" in line and "units ever positive" in line


def test_feature_dropout_acts_in_training_only():
    import pytest
    from pydantic import ValidationError

    torch.manual_seed(0)
    enc = FrameEncoder("small", cnn_channels=8, spatial_grid=2, feature_dim=64, feature_dropout=0.5)
    frames = torch.rand(4, 3, 32, 32)
    enc.eval()
    with torch.no_grad():
        assert torch.equal(enc(frames), enc(frames))
        kept = (enc(frames) > 0).sum()
        enc.train()
        dropped = (enc(frames) > 0).sum()
    assert dropped < 0.75 * kept  # about half the active features are zeroed in training
    with pytest.raises(ValidationError, match="feature_dropout"):
        VideoModel(feature_dim=None, feature_dropout=0.3)
    with pytest.raises(ValidationError, match="frozen whole"):
        VideoModel(freeze_cnn=True, feature_dropout=0.3)
