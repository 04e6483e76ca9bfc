"""The speech explanation picture: a log-mel spectrogram with the relevance of each frame under it."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from suite.io import atomic_path


def spectrogram(wave: np.ndarray, sample_rate: int, hop_seconds: float, n_mels: int = 64) -> np.ndarray:
    """A log-mel spectrogram for people to look at, [mels, frames], one frame per model frame (same hop)."""
    import torch
    import torchaudio

    hop = max(1, round(hop_seconds * sample_rate))
    mel = torchaudio.transforms.MelSpectrogram(sample_rate, n_fft=max(256, 4 * hop), hop_length=hop, n_mels=n_mels)
    with torch.no_grad():
        spec = mel(torch.as_tensor(wave, dtype=torch.float32))
    return (10 * torch.log10(spec + 1e-10)).numpy()


def draw_explanation(path: str, wave: np.ndarray, relevance: np.ndarray, result: dict, out_png: str | Path, *,
                     sample_rate: int, seconds_per_step: float, note: str = "") -> Path:
    """Write a PNG: spectrogram on top, signed relevance per frame below (red raises the transcript's
    probability, blue lowers it), the transcript as the title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    duration = len(wave) / sample_rate
    spec = spectrogram(wave, sample_rate, seconds_per_step)
    t = np.arange(len(relevance)) * seconds_per_step
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(max(8.0, min(30.0, duration * 2.5)), 5), sharex=True,
                                      gridspec_kw={"height_ratios": [2, 1]})
    lo = np.percentile(spec, 5)
    top.imshow(spec, origin="lower", aspect="auto", cmap="magma", vmin=lo, vmax=spec.max(),
               extent=(0, spec.shape[1] * seconds_per_step, 0, spec.shape[0]))
    top.set_ylabel("mel band")
    text = result.get("text", "")
    title = f"{Path(path).name}: \u201c{text if len(text) < 120 else text[:117] + '...'}\u201d"
    if "confidence" in result:
        title += f"  (confidence {result['confidence']:.2f})"
    top.set_title(title + (f"  [{note}]" if note else ""), fontsize=10)
    # the most relevant 10% of the frames, marked on the spectrogram itself
    k = max(1, int(np.ceil(0.1 * len(relevance))))
    for i in np.argsort(-relevance)[:k]:
        top.axvspan(t[i], t[i] + seconds_per_step, ymin=0.0, ymax=0.04, color="#2ca02c", linewidth=0)
    bottom.bar(t, np.clip(relevance, 0, None), width=seconds_per_step, align="edge", color="#d62728")
    bottom.bar(t, np.clip(relevance, None, 0), width=seconds_per_step, align="edge", color="#1f77b4")
    bottom.axhline(0, color="black", linewidth=0.5)
    bottom.set_ylabel("relevance")
    bottom.set_xlabel("time (s)   (green ticks above: the most relevant 10% of the frames)")
    bottom.set_xlim(0, duration)
    fig.tight_layout()
    out = Path(out_png)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=90)
    plt.close(fig)
    return out
