"""The alignment picture: the model's input spectrogram over its per-frame character posteriors."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from suite.io import atomic_path


def _features(predictor, wave: np.ndarray) -> np.ndarray:
    """The frontend's (normalized) features of the whole file, [F, T]."""
    x = torch.from_numpy(wave)[None].to(predictor.device)
    with torch.inference_mode():
        feats, n = predictor.model.frontend(x, torch.tensor([len(wave)], device=predictor.device))
    return feats[0, : int(n[0])].float().cpu().numpy().T


def plot_alignment(predictor, wave: np.ndarray, posteriors: list[tuple[float, np.ndarray]], text: str,
                   path: str | Path) -> Path:
    """Write a PNG: spectrogram on top, posteriors (blank + characters) below, on one time axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cfg = predictor.config.features
    sr = cfg.sample_rate
    duration = len(wave) / sr
    spf = predictor.seconds_per_frame()
    feats = _features(predictor, wave)
    labels = ["·"] + ["␣" if c == " " else c for c in predictor.vocab]  # · is the CTC blank
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(max(8.0, min(40.0, duration * 2.5)), 7), sharex=True,
                                      gridspec_kw={"height_ratios": [1, 1.4]})
    top.imshow(feats, origin="lower", aspect="auto", cmap="magma", extent=(0, duration, 0, feats.shape[0]))
    top.set_ylabel("mel bin" if cfg.kind == "logmel" else "MFCC")
    top.set_title(text if len(text) < 160 else text[:157] + "...", fontsize=10)
    for start, probs in posteriors:
        if len(probs):
            bottom.imshow(probs.T, origin="lower", aspect="auto", cmap="Greys", vmin=0, vmax=1,
                          extent=(start, start + len(probs) * spf, -0.5, len(labels) - 0.5))
    bottom.set_xlim(0, duration)
    bottom.set_ylim(-0.5, len(labels) - 0.5)
    bottom.set_yticks(range(len(labels)))
    bottom.set_yticklabels(labels, fontsize=7)
    bottom.set_ylabel("token posterior")
    bottom.set_xlabel("time (s)")
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".").lower() or "png", dpi=100)
    plt.close(fig)
    return path
