"""Sequence Suite: sequences to labels (speech, video, online handwriting) on one core."""
from __future__ import annotations

__version__ = "0.1.0"


def load(name_or_path: str, device: str = "auto"):
    """Load a bundled model by name or a bundle file; returns a Predictor with ``.predict(files)``."""
    from .inference import load_predictor

    return load_predictor(name_or_path, device=device)


__all__ = ["load", "__version__"]
