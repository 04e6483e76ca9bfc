"""Optical-flow channels (features.motion: flow): the camera's motion removed, what moves kept, its direction
readable, and every path that builds clips (training, evaluation views, `suite label`) gives them."""
from __future__ import annotations

import json
import random

import cv2
import numpy as np
import pytest
import torch

from suite.cli import main
from video.config import VideoAugment, VideoFeatures
from video.loader import load_clip
from video.model_config import VideoModel
from video.motion import (backwards_partners, flow_clip, flow_pixels, gap_frames, scene_flow,
                          with_partners)
from video.synth import write_mp4

SIZE = 64


def textured(rng: np.random.Generator, size: int) -> np.ndarray:
    """A cluttered background: blurred colour noise with edges everywhere."""
    noise = rng.integers(0, 256, (size, size, 3)).astype(np.uint8)
    return cv2.GaussianBlur(noise, (3, 3), 0)


def camera(frame: np.ndarray, dx: float, dy: float, zoom: float) -> np.ndarray:
    """The frame seen by a camera moved by (dx, dy) pixels and zoomed about the centre."""
    h, w = frame.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 0.0, zoom)
    m[:, 2] += (dx, dy)
    return cv2.warpAffine(frame, m, (w, h), borderMode=cv2.BORDER_REFLECT)


def scene(square_x: int, square_y: int, background: np.ndarray) -> np.ndarray:
    out = background.copy()
    out[square_y:square_y + 12, square_x:square_x + 12] = (240, 240, 40)
    out[square_y + 4:square_y + 8, square_x + 4:square_x + 8] = (20, 20, 200)  # texture inside the square
    return out


def test_partners_follow_each_frame_and_turn_back_at_the_end():
    assert gap_frames(25, 0.08) == 2 and gap_frames(12, 0.08) == 1 and gap_frames(5, 0.01) == 1
    pairs = with_partners([0, 5, 9], 2, 10)
    assert pairs == [0, 2, 5, 7, 9, 7]
    assert backwards_partners(pairs) == [False, False, True]
    assert with_partners([0], 3, 1) == [0, 0] and backwards_partners([0, 0]) == [False]


def test_camera_motion_is_removed_and_what_moves_stays():
    rng = np.random.default_rng(0)
    bg = textured(rng, SIZE)
    first = scene(20, 26, bg)
    second = camera(scene(23, 26, bg), dx=2.0, dy=-1.0, zoom=1.03)  # the square moved 3 px right
    flow = scene_flow(first, second)
    square = np.zeros((SIZE, SIZE), bool)
    square[26:38, 20:35] = True
    inner = np.zeros((SIZE, SIZE), bool)
    inner[8:-8, 8:-8] = True  # borders: the zoom brings in pixels the first frame did not have
    background = np.hypot(*np.moveaxis(flow, 2, 0))[inner & ~square]
    assert np.median(background) < 0.3, "the camera's shift and zoom were not removed"
    raw = cv2.calcOpticalFlowFarneback(cv2.cvtColor(first, cv2.COLOR_RGB2GRAY),
                                       cv2.cvtColor(second, cv2.COLOR_RGB2GRAY), None, 0.5, 2, 9, 3, 5, 1.1, 0)
    assert np.median(np.hypot(*np.moveaxis(raw, 2, 0))[inner & ~square]) > 1.0  # without removal: it is there
    moved = flow[26:38, 22:32]
    assert moved[..., 0].mean() > 1.0 and abs(moved[..., 1].mean()) < 0.7, "the square's own motion is lost"


def test_flow_channels_round_trip_and_turn_with_time():
    rng = np.random.default_rng(1)
    bg = textured(rng, SIZE)
    a, b = scene(20, 26, bg), scene(23, 26, bg)
    pairs = torch.from_numpy(np.stack([a, b, b, a])).permute(0, 3, 1, 2)
    out = flow_clip(pairs, [False, True])
    assert out.dtype == torch.uint8 and out.shape == (2, 5, SIZE, SIZE)
    assert torch.equal(out[0, :3], pairs[0]) and torch.equal(out[1, :3], pairs[2])
    fx = flow_pixels(out[:, 3])[:, 26:38, 22:32].mean(dim=(1, 2))
    assert fx[0] > 1.0 and fx[1] > 1.0  # the second pair's partner came first: its flow is turned around
    np.testing.assert_allclose(flow_pixels(out[0, 3:]).permute(1, 2, 0).numpy(),
                               np.clip(scene_flow(a, b), -8, 7.9), atol=1 / 32)


def test_flow_measured_at_twice_the_size_comes_back_at_the_model_size_in_its_pixels():
    rng = np.random.default_rng(3)
    bg = textured(rng, 2 * SIZE)
    big = lambda x: cv2.resize(scene(x, 26, bg[::2, ::2]), (2 * SIZE, 2 * SIZE), interpolation=cv2.INTER_NEAREST)
    a, b = big(20), big(23)  # at twice the size the square moves 6 px: 3 px of the model's input
    pairs = torch.from_numpy(np.stack([a, b])).permute(0, 3, 1, 2)
    out = flow_clip(pairs, scale=2)
    assert out.shape == (1, 5, SIZE, SIZE)
    np.testing.assert_array_equal(out[0, :3].permute(1, 2, 0).numpy(),
                                  cv2.resize(a, (SIZE, SIZE), interpolation=cv2.INTER_AREA))
    fx = float(flow_pixels(out[0, 3])[28:36, 23:32].mean())
    assert 2.0 < fx < 4.0, fx
    assert flow_clip(pairs, rgb=False, scale=2).shape == (1, 2, SIZE, SIZE)


def test_flow_at_twice_the_size_keeps_a_thin_limbs_motion_on_the_limb():
    """A 2 px limb crossing clutter (bench/bench_flow_scale.py, 20 backgrounds: 0.21x the flow beside it)."""
    limb = np.zeros((SIZE, SIZE), np.uint8)
    cv2.line(limb, (24, 44), (40, 20), 1, 2)
    beside = (cv2.dilate(limb, np.ones((9, 9), np.uint8)) - cv2.dilate(limb, np.ones((5, 5), np.uint8))) > 0
    shift = 2 * np.array([24.0, 16.0]) / np.hypot(24.0, 16.0)  # across the limb
    leak = {}
    for scale in (1, 2):
        leaks = []
        for seed in range(3):
            bg = textured(np.random.default_rng(seed), SIZE * scale)

            def draw(d, bg=bg, scale=scale):
                img = bg.copy()
                ends = [tuple(int(round((p + dp) * scale)) for p, dp in zip(end, d)) for end in ((24, 44), (40, 20))]
                return cv2.line(img, *ends, (230, 200, 60), thickness=2 * scale)

            pairs = torch.from_numpy(np.stack([draw((0, 0)), draw(shift)])).permute(0, 3, 1, 2)
            flow = flow_pixels(flow_clip(pairs, rgb=False, scale=scale)[0]).numpy()
            assert np.hypot(*(flow[:, limb > 0].mean(axis=1) - shift)) < 1.0  # both see the limb move
            leaks.append(np.hypot(*flow[:, beside]).mean())
        leak[scale] = np.mean(leaks)
    assert leak[2] < 0.6 * leak[1], leak


def test_flow_scale_decodes_and_crops_bigger_and_needs_motion():
    from pydantic import ValidationError

    features = VideoFeatures(num_frames=4, size=SIZE, resize=SIZE, motion="flow_only", flow_scale=2)
    assert (features.crop_size, features.decode_side, features.short_side) == (2 * SIZE, 2 * SIZE, SIZE)
    with pytest.raises(ValidationError, match="features.flow_scale 2 .* needs features.motion"):
        VideoFeatures(size=SIZE, flow_scale=2)
    assert VideoFeatures(size=SIZE).crop_size == SIZE


@pytest.fixture(scope="module")
def up_and_down(tmp_path_factory):
    """The same clip forwards (square going up) and backwards (down), on a textured shaking background."""
    rng = np.random.default_rng(2)
    bg = textured(rng, SIZE)
    frames = [camera(scene(26, 44 - 2 * t, bg), *rng.normal(0, 1.0, 2), 1 + rng.normal(0, 0.01))
              for t in range(16)]
    root = tmp_path_factory.mktemp("motion")
    write_mp4(frames, root / "up.mp4", fps=12)
    write_mp4(frames[::-1], root / "down.mp4", fps=12)
    return root


def _square_dy(clip: torch.Tensor) -> float:
    """Mean vertical flow where the flow is strongest (the square)."""
    flow = flow_pixels(clip[:, 3:])
    mag = flow.norm(dim=1)
    strong = mag > mag.flatten(1).quantile(0.95, dim=1)[:, None, None]
    return float(flow[:, 1][strong].mean())


def test_loaded_clips_carry_flow_that_tells_up_from_down(up_and_down):
    features = VideoFeatures(num_frames=4, size=SIZE, resize=SIZE, motion="flow")
    augment = VideoAugment(crop_scale=(0.8, 1.0), jitter=1.0, erase=0.0)
    for name, sign in (("up.mp4", -1), ("down.mp4", 1)):
        train = load_clip(up_and_down / name, features, augment, random.Random(0))
        view = load_clip(up_and_down / name, features, None, view=1, views=2)
        assert train.shape == view.shape == (4, 5, SIZE, SIZE) and train.dtype == torch.uint8
        assert sign * _square_dy(train) > 0.8 and sign * _square_dy(view) > 0.8, name
    scaled = VideoFeatures(num_frames=4, size=SIZE // 2, resize=SIZE // 2, motion="flow", flow_scale=2)
    for name, sign in (("up.mp4", -1), ("down.mp4", 1)):
        clip = load_clip(up_and_down / name, scaled, augment, random.Random(0))
        assert clip.shape == (4, 5, SIZE // 2, SIZE // 2)
        assert sign * _square_dy(clip) > 0.4, name  # measured at SIZE, in pixels of SIZE // 2
    plain = load_clip(up_and_down / "up.mp4", VideoFeatures(num_frames=4, size=SIZE, resize=SIZE), None)
    assert plain.shape == (4, 3, SIZE, SIZE)


def test_model_takes_the_flow_channels_and_pretrained_cnns_refuse_them():
    from video.frontend import build_frontend

    features = VideoFeatures(num_frames=4, size=32, resize=32, motion="flow")
    frontend, dim = build_frontend(features, None, VideoModel(cnn_channels=4, spatial_grid=2, feature_dim=8))
    clips = torch.randint(0, 256, (2, 4, 5, 32, 32), dtype=torch.uint8)
    out, _ = frontend(clips, torch.tensor([4, 3]))
    assert out.shape == (2, 4, dim)
    x, _ = frontend.normalize(clips, torch.tensor([4, 3]))
    assert torch.allclose(x[:, :, 3:][0], flow_pixels(clips[0, :, 3:]))
    from suite.errors import SuiteError

    with pytest.raises(SuiteError, match="features.motion flow .* model.cnn small, not resnet18"):
        build_frontend(features, None, VideoModel(cnn="resnet18"))


def test_flow_only_gives_the_model_the_flow_alone(up_and_down):
    from video.frontend import build_frontend

    features = VideoFeatures(num_frames=4, size=SIZE, resize=SIZE, motion="flow_only")
    clip = load_clip(up_and_down / "down.mp4", features, None)
    both = load_clip(up_and_down / "down.mp4", VideoFeatures(num_frames=4, size=SIZE, resize=SIZE, motion="flow"), None)
    assert clip.shape == (4, 2, SIZE, SIZE) and torch.equal(clip, both[:, 3:])
    frontend, dim = build_frontend(features, None, VideoModel(cnn_channels=4, spatial_grid=2, feature_dim=8))
    x, _ = frontend.normalize(clip[None], torch.tensor([4]))
    assert torch.allclose(x[0], flow_pixels(clip))
    assert frontend(clip[None], torch.tensor([4]))[0].shape == (1, 4, dim)


@pytest.mark.slow
@pytest.mark.parametrize("motion", ["flow", "flow_only"])
def test_train_evaluate_and_label_with_flow(up_and_down, tmp_path, capsys, motion):
    rows = [{"video": str(up_and_down / f"{d}.mp4"), "label": d} for d in ("up", "down")] * 4
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg = tmp_path / "flow.yaml"
    cfg.write_text(f"""
task: video
data: {{train: {manifest}, valid: {manifest}, num_workers: 0}}
features: {{num_frames: 4, size: 32, resize: 32, motion: {motion}, window_seconds: 0.5, test_clips: 2}}
model: {{cnn: small, cnn_channels: 4, spatial_grid: 2, feature_dim: 16, hidden: 16}}
train: {{max_steps: 12, min_steps: 12, batch_size: 4, checkpoint_every_steps: null, early_stop_patience: null}}
""")
    torch.set_num_threads(1)
    assert main(["train", str(cfg), "--out", str(tmp_path / "run")]) in (0, 3)  # 12 steps may learn nothing
    model = str(tmp_path / "run" / "model.pt")
    capsys.readouterr()
    assert main(["evaluate", model, "--manifest", str(manifest), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["samples"] == 8
    assert main(["label", "--model", model, str(up_and_down / "up.mp4"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["label"] in ("up", "down")
    assert main(["label", "--model", model, str(up_and_down / "down.mp4"), "--timeline", "--json",
                 "--explain", str(tmp_path / "why.png")]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["segments"]
    assert (tmp_path / "why.png").read_bytes()[:4] == b"\x89PNG"  # the frames drawn without their flow
