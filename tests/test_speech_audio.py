"""Reading audio: formats, sample rates, channel counts, and one-line errors for bad files."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from speech.audio import audio_duration, read_audio, resample, write_audio
from suite.errors import CorruptSample, SuiteError
from tests.speech_toy import tone


@pytest.mark.parametrize("fmt,ext", [("WAV", "wav"), ("FLAC", "flac"), ("OGG", "ogg"), ("MP3", "mp3")])
def test_formats_read_as_mono_float(tmp_path, fmt, ext):
    path = tmp_path / f"a.{ext}"
    sf.write(path, tone(1.0, 16000), 16000, format=fmt)
    wave = read_audio(path, 16000)
    assert wave.dtype == np.float32 and wave.ndim == 1
    assert abs(len(wave) - 16000) <= 1200  # lossy codecs may pad by a frame
    assert 0.15 < np.sqrt(np.mean(wave**2)) < 0.3  # a 0.3-amplitude sine has RMS 0.21


@pytest.mark.parametrize("rate,channels", [(8000, 1), (48000, 2), (44100, 2), (22050, 6)])
def test_rates_and_channels_resampled_to_model_rate(tmp_path, rate, channels):
    path = tmp_path / "x.wav"
    sf.write(path, tone(0.5, rate, 440.0, channels), rate)
    wave = read_audio(path, 16000)
    assert wave.ndim == 1 and abs(len(wave) - 8000) <= 1
    # the 440 Hz tone survives resampling: the spectrum peaks there
    spec = np.abs(np.fft.rfft(wave))
    assert abs(np.argmax(spec) * 16000 / len(wave) - 440) < 5


def test_stereo_is_mixed_down(tmp_path):
    left = tone(0.25, 8000)
    stereo = np.stack([left, -left], axis=1)  # opposite phases cancel in the mix
    sf.write(tmp_path / "s.wav", stereo, 8000)
    assert np.abs(read_audio(tmp_path / "s.wav", 8000)).max() < 1e-3


def test_resample_identity_and_length():
    x = tone(1.0, 8000)
    assert resample(x, 8000, 8000) is not None and len(resample(x, 8000, 8000)) == 8000
    assert len(resample(x, 8000, 16000)) == 16000


def _truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


@pytest.mark.parametrize("fmt,ext", [("WAV", "wav"), ("FLAC", "flac"), ("OGG", "ogg"), ("MP3", "mp3")])
def test_truncated_files_are_refused(tmp_path, fmt, ext):
    path = tmp_path / f"cut.{ext}"
    sf.write(path, tone(1.0, 16000), 16000, format=fmt)
    _truncate(path)
    with pytest.raises(SuiteError, match="truncated") as err:
        read_audio(path, 16000)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("content,match", [(b"", "empty file"), (b"hello, I am text\n" * 20, "not a readable audio file"),
                                           (b"RIFF\x00\x00", "not a readable audio file")])
def test_bad_files_give_one_line_errors(tmp_path, content, match):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(SuiteError, match=match) as err:
        read_audio(path, 16000)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(SuiteError, match="file not found"):
        read_audio(tmp_path / "nope.wav", 16000)
    with pytest.raises(SuiteError, match="directory"):
        read_audio(tmp_path, 16000)


def test_error_class_is_selectable_for_training(tmp_path):
    (tmp_path / "e.wav").write_bytes(b"")
    with pytest.raises(CorruptSample):
        read_audio(tmp_path / "e.wav", 16000, error=CorruptSample)


def test_zero_length_audio_is_refused(tmp_path):
    sf.write(tmp_path / "z.wav", np.zeros(0, np.float32), 8000)
    with pytest.raises(SuiteError, match="no audio samples"):
        read_audio(tmp_path / "z.wav", 8000)


def test_write_audio_round_trip_and_duration(tmp_path):
    write_audio(tmp_path / "w.wav", tone(0.5, 8000), 8000)
    assert audio_duration(tmp_path / "w.wav") == pytest.approx(0.5)
    assert audio_duration(tmp_path / "missing.wav") == 0.0
    assert not list(tmp_path.glob(".*tmp"))  # no temp file left behind
