"""Reading audio files: any format soundfile (libsndfile) or librosa can decode, any rate, any channels.

Everything comes out as float32 mono at the requested rate. Unreadable input (missing, empty,
truncated, not audio) raises one ``SuiteError`` (``CorruptSample`` in training) naming the file.
"""
from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torchaudio.functional as AF

from suite.errors import CorruptSample, SuiteError

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".au", ".m4a")

# libsndfile notes a WAV/AIFF whose header claims more data than the file holds as "(should be N)"
_SHOULD_BE = re.compile(r"^(data|SSND)\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)
# an MP3 frame holds 1152 samples; decoders may legitimately return up to about one frame less
MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 1000, 768_000  # Hz: telephone speech to the highest studio rates
_FRAME_SLACK = 2304


def _check_file(path: Path, error: type[SuiteError]) -> None:
    if not path.exists():
        raise error("file not found", path)
    if path.is_dir():
        raise error("is a directory, not an audio file", path)
    if path.stat().st_size == 0:
        raise error("empty file (0 bytes)", path)


def _read_soundfile(path: Path, error: type[SuiteError]) -> tuple[np.ndarray, int]:
    """Decode with libsndfile, refusing files whose header promises more audio than they contain."""
    with sf.SoundFile(str(path)) as f:  # raises LibsndfileError when the format is not recognised
        declared = f.frames
        sr = f.samplerate
        info = f.extra_info
        m = _SHOULD_BE.search(info)
        if m and int(m.group(3)) < int(m.group(2)):
            raise error(f"truncated file (header declares {m.group(2)} bytes of audio, only {m.group(3)} present)", path)
        if "File ended unexpectedly" in info:
            raise error("truncated file (stream ends before its end-of-stream mark)", path)
        try:
            data = f.read(dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as err:
            raise error(f"corrupt or truncated audio ({str(err).split(':')[-1].strip().rstrip('.')})", path) from None
    if declared > 0 and len(data) < declared - _FRAME_SLACK:
        raise error(f"truncated file (header declares {declared} samples, only {len(data)} decoded)", path)
    return data, sr


def _read_librosa(path: Path) -> tuple[np.ndarray, int]:
    """Fallback for formats libsndfile lacks (decoded by audioread/ffmpeg when installed)."""
    import librosa  # slow import; only needed for the rare formats soundfile cannot read

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y, sr = librosa.load(str(path), sr=None, mono=False)
    y = np.asarray(y, dtype=np.float32)
    return (y[:, None] if y.ndim == 1 else y.T), int(sr)


def read_audio(path: str | os.PathLike, sample_rate: int, error: type[SuiteError] = SuiteError) -> np.ndarray:
    """Return the file as float32 mono samples at ``sample_rate``.

    ``error`` is the exception class raised for unreadable input (``CorruptSample`` in training).
    """
    path = Path(path)
    _check_file(path, error)
    try:
        data, sr = _read_soundfile(path, error)
    except SuiteError:
        raise
    except (sf.LibsndfileError, RuntimeError, ValueError) as first:
        try:
            data, sr = _read_librosa(path)
        except Exception:
            reason = str(first).split(":")[-1].strip().rstrip(".") or "decoder error"
            raise error(f"not a readable audio file ({reason})", path) from None
    if data.shape[0] == 0:
        raise error("contains no audio samples", path)
    if not MIN_SAMPLE_RATE <= sr <= MAX_SAMPLE_RATE:
        # a damaged header's rate (a WAV with one flipped byte declared 3.2 GHz) would make resampling take minutes
        raise error(f"sample rate {sr} Hz is outside {MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz (damaged header?)", path)
    mono = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if not np.isfinite(mono).all():
        raise error("contains non-finite samples (NaN/inf)", path)
    return resample(mono, sr, sample_rate)


def resample(wave: np.ndarray, orig_sr: int, new_sr: int) -> np.ndarray:
    """Band-limited (sinc) resampling; a no-op when the rates match."""
    if orig_sr == new_sr:
        return np.ascontiguousarray(wave, dtype=np.float32)
    out = AF.resample(torch.from_numpy(np.ascontiguousarray(wave, dtype=np.float32)), int(orig_sr), int(new_sr))
    return out.numpy()


def audio_duration(path: str | os.PathLike) -> float:
    """Duration in seconds from the header only (cheap; for bucketing). 0.0 if the header is unreadable."""
    try:
        info = sf.info(str(path))
        return info.frames / float(info.samplerate)
    except Exception:
        return 0.0


def write_audio(path: str | os.PathLike, wave: np.ndarray, sample_rate: int) -> None:
    """Write 16-bit PCM WAV (or the format of the extension) atomically."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    fmt = {".flac": "FLAC", ".ogg": "OGG", ".mp3": "MP3"}.get(path.suffix.lower(), "WAV")
    subtype = "PCM_16" if fmt in ("WAV", "FLAC") else None
    with open(tmp, "wb") as fh:
        sf.write(fh, np.clip(wave, -1.0, 1.0), sample_rate, format=fmt, subtype=subtype)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
