"""Fuzz the video loader: random bytes and mutated valid clips give frames or a one-line SuiteError."""
import os

import cv2
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from suite.errors import SuiteError
from video import config, loader

LONG = os.environ.get("SUITE_FUZZ") == "long"  # video decoding is slow: fewer examples than other fuzzers


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    d = tmp_path_factory.mktemp("seed")
    out = {}
    for suffix, fourcc in ((".mp4", "mp4v"), (".avi", "MJPG")):
        path = d / f"clip{suffix}"
        w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 12, (48, 32))
        for t in range(12):
            frame = np.full((32, 48, 3), 20 * t % 255, np.uint8)
            cv2.rectangle(frame, (t * 3, 5), (t * 3 + 8, 20), (0, 255, 0), -1)
            w.write(frame)
        w.release()
        out[suffix] = path.read_bytes()
    return out


def load(tmp_path, data: bytes, suffix: str):
    p = tmp_path / f"x{suffix}"
    p.write_bytes(data)
    try:
        clip = loader.load_clip(str(p), config.VideoFeatures(), None)
        assert isinstance(clip, torch.Tensor) and clip.dim() == 4 and clip.shape[0] > 0
    except SuiteError as err:
        assert str(p) in str(err) and "\n" not in str(err)


@settings(max_examples=LONG and 600 or 30)
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".mp4", ".avi", ".mkv", ".webm"]))
def test_random_bytes(tmp_path, data, suffix):
    load(tmp_path, data, suffix)


@settings(max_examples=LONG and 600 or 30)
@given(suffix=st.sampled_from([".mp4", ".avi"]), cut=st.integers(0, 5000),
       flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8))
def test_mutated_valid_clips(tmp_path, seeds, suffix, cut, flips):
    data = bytearray(seeds[suffix])
    for pos, val in flips:
        data[pos % len(data)] = val
    load(tmp_path, bytes(data[: max(len(data) - cut, 0)]), suffix)
