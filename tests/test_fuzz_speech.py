"""Fuzz the audio reader: random bytes and mutated valid files give audio or a one-line SuiteError naming the file."""
import io
import struct

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from speech import audio
from suite.errors import SuiteError



def valid(fmt: str) -> bytes:
    buf = io.BytesIO()
    t = np.arange(1600) / 8000
    sf.write(buf, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 8000, format=fmt)
    return buf.getvalue()


SEEDS = {fmt: valid(fmt) for fmt in ("WAV", "FLAC", "OGG")}


@pytest.fixture(scope="module", autouse=True)
def warm_up(tmp_path_factory):
    """The librosa fallback compiles with numba on first use: keep that one-off cost out of the per-file bound."""
    p = tmp_path_factory.mktemp("warm") / "junk.mp3"
    p.write_bytes(b"\xff\xfb" + bytes(200))
    try:
        audio.read_audio(p, 8000)
    except SuiteError:
        pass


def read(tmp_path, data: bytes, suffix: str):
    p = tmp_path / f"x{suffix}"
    p.write_bytes(data)
    try:
        wave = audio.read_audio(p, 16000)
        assert wave.ndim == 1 and np.isfinite(wave).all()
    except SuiteError as err:
        assert str(p) in str(err) and "\n" not in str(err)


@settings()
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".wav", ".flac", ".ogg", ".mp3"]))
def test_random_bytes(tmp_path, data, suffix):
    read(tmp_path, data, suffix)


@settings()
@given(fmt=st.sampled_from(sorted(SEEDS)), cut=st.integers(0, 4000),
       flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=6))
def test_mutated_valid_files(tmp_path, fmt, cut, flips):
    data = bytearray(SEEDS[fmt])
    for pos, val in flips:
        data[pos % len(data)] = val
    read(tmp_path, bytes(data[: max(len(data) - cut, 0)]), "." + fmt.lower())


def test_wav_header_claiming_4_gb_is_refused_quickly(tmp_path):
    data = bytearray(SEEDS["WAV"])
    riff = data.index(b"data")
    data[4:8] = struct.pack("<I", 0xFFFFFFF0)  # RIFF size
    data[riff + 4: riff + 8] = struct.pack("<I", 0xFFFFFFF0)  # data chunk size: ~4 GB
    p = tmp_path / "huge.wav"
    p.write_bytes(bytes(data))
    try:
        wave = audio.read_audio(p, 8000)
        assert len(wave) <= 1600 * 2  # only what is really there was read
    except SuiteError as err:
        assert str(p) in str(err)


def test_a_header_with_an_absurd_sample_rate_is_refused(tmp_path):
    """Found by the fuzzer: one flipped byte made a WAV declare 3.2 GHz, and resampling it took 45 s."""
    data = bytearray(SEEDS["WAV"])
    data[27] = 190  # the high byte of the sample-rate field
    p = tmp_path / "rate.wav"
    p.write_bytes(bytes(data))
    with pytest.raises(SuiteError, match=r"sample rate 3187\d+ Hz is outside"):
        audio.read_audio(p, 16000)
