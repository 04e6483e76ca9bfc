"""Decoding: frame indices, seeking, on-the-fly resizing, frame counts and one-line errors for bad files."""
from __future__ import annotations

import random

import numpy as np
import pytest
import soundfile as sf

from suite.errors import CorruptSample, SuiteError
from video.config import VideoFeatures
from video.decode import SEEK_GAP, VideoReader, probe, read_sampled
from video.loader import load_clip
from video.sampling import segment_indices
from video.synth import write_mp4


def _numbered_clip(path, n, w=48, h=32):
    """Frame i: left half grey (i // 11) * 22, right half grey (i % 11) * 22 (levels far apart, so the
    index survives lossy compression)."""
    frames = []
    for i in range(n):
        f = np.empty((h, w, 3), np.uint8)
        f[:, : w // 2] = (i // 11) * 22
        f[:, w // 2:] = (i % 11) * 22
        frames.append(f)
    write_mp4(frames, path, fps=10)
    return path


def _index_of(frame) -> int:
    frame = np.asarray(frame)
    if frame.shape[0] == 3:  # C, H, W tensor
        frame = frame.transpose(1, 2, 0)
    h, w = frame.shape[:2]
    left = float(frame[h // 4: 3 * h // 4, w // 8: 3 * w // 8].mean())
    right = float(frame[h // 4: 3 * h // 4, 5 * w // 8: 7 * w // 8].mean())
    return int(round(left / 22)) * 11 + int(round(right / 22))


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory):
    return _numbered_clip(tmp_path_factory.mktemp("v") / "long.mp4", 120)


def test_probe_reads_metadata(long_clip):
    info = probe(long_clip)
    assert (info.frame_count, info.width, info.height) == (120, 48, 32)
    assert info.fps == pytest.approx(10)
    assert info.duration == pytest.approx(12)


def test_read_returns_requested_frames_in_requested_order(long_clip):
    wanted = [3, 100, 3, 0, 119, 60, 61]  # repeats, backwards jumps, gaps larger than SEEK_GAP
    assert max(wanted) - min(wanted) > SEEK_GAP
    with VideoReader(long_clip) as reader:
        frames = reader.read(wanted)
    assert frames.shape == (len(wanted), 32, 48, 3) and frames.dtype == np.uint8
    assert [_index_of(f) for f in frames] == wanted


def test_read_resizes_short_side_on_the_fly(long_clip):
    with VideoReader(long_clip) as reader:
        frames = reader.read([0, 1], short_side=16)
    assert frames.shape == (2, 16, 24, 3)


def test_over_declared_count_is_recounted(long_clip):
    with VideoReader(long_clip) as reader:
        reader.info.frame_count = 130  # metadata claims 10 frames that are not there
        frames = read_sampled(reader, lambda n: [n - 1], None)
        assert reader.info.frame_count == 120
    assert _index_of(frames[0]) == 119


def test_declared_frame_limit(long_clip):
    with pytest.raises(SuiteError, match="over the limit of 50"):
        VideoReader(long_clip, max_frames=50)


def test_load_clip_shapes_and_short_clip(tmp_path):
    clip = _numbered_clip(tmp_path / "short.mp4", 3)
    feats = VideoFeatures(num_frames=8, size=32, resize=32)
    x = load_clip(clip, feats, None, random.Random(0))
    assert x.shape == (8, 3, 32, 32) and x.dtype.is_floating_point is False
    levels = [_index_of(f) for f in x]
    assert levels == sorted(levels) and set(levels) == {0, 1, 2}  # every frame, in order, repeated


def test_eval_load_is_centred_and_deterministic(long_clip):
    feats = VideoFeatures(num_frames=4, size=32, resize=32)
    a = load_clip(long_clip, feats, None, random.Random(1))
    b = load_clip(long_clip, feats, None, random.Random(2))
    assert (a == b).all()
    assert [_index_of(f) for f in a] == segment_indices(120, 4)


@pytest.mark.parametrize("name,content,message", [
    ("text.mp4", b"this is not a video\n", "not a video file"),
    ("empty.mp4", b"", "empty file"),
])
def test_bad_files_one_line_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SuiteError, match=message) as err:
        VideoReader(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(SuiteError, match="file not found"):
        VideoReader(tmp_path / "nope.mp4")


def test_truncated_mp4(long_clip, tmp_path):
    data = long_clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(SuiteError, match="truncated"):
        VideoReader(cut)


def test_audio_only_file(tmp_path):
    path = tmp_path / "speech.mp4"
    sf.write(path, np.zeros(4000), 8000, format="WAV")
    with pytest.raises(SuiteError, match="audio-only"):
        VideoReader(path)


def test_zero_frame_video(tmp_path):
    import cv2

    path = tmp_path / "zero.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (32, 32))
    writer.release()
    if not path.exists():
        path.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2")  # header only, no index
    with pytest.raises(SuiteError):
        load_clip(path, VideoFeatures(num_frames=2, size=16), None)


def test_training_load_raises_corrupt_sample(tmp_path):
    path = tmp_path / "bad.avi"
    path.write_text("nope")
    with pytest.raises(CorruptSample):
        load_clip(path, VideoFeatures(), None)


def test_manifest_start_end_limit_sampling(long_clip):
    """`prepare csv` start/end (seconds) reach the loader: every sampled frame lies inside the span."""
    from suite.data import ManifestDataset
    from suite.manifest import read_manifest
    from video.domain import DOMAIN

    manifest = long_clip.parent / "span.jsonl"
    manifest.write_text(f'{{"video": "{long_clip.name}", "label": "a", "start": 3.0, "end": 6.0}}\n'
                        f'{{"video": "{long_clip.name}", "label": "a"}}\n'
                        f'{{"video": "{long_clip.name}", "label": "a", "start": 50.0, "end": 60.0}}\n')
    rows = read_manifest(manifest, "video", "label", allow_outside=False)
    feats = VideoFeatures(num_frames=6, size=32, resize=32)
    for augment in (None, DOMAIN.augment_config(flip=0.0, jitter=0.0, crop_scale=[1.0, 1.0])):
        ds = ManifestDataset(rows, DOMAIN, feats, augment)
        inside = [_index_of(f) for f in ds[0][1]]
        assert all(30 <= i < 60 for i in inside), inside
        whole = [_index_of(f) for f in ds[1][1]]
        assert whole[0] < 20 and whole[-1] >= 100
        sid, reason = ds[2]  # a span past the end is a corrupt sample, named and skipped
        assert "past the end" in reason and long_clip.name in reason
