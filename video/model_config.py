"""The video domain's fields of the `model:` section: the per-frame CNN (the frontend's), beside the task's."""
from __future__ import annotations

from suite.domain import StrictModel


class VideoModel(StrictModel):
    cnn: str = "small"  # "small" (built-in) or a torchvision architecture name, e.g. resnet18
    cnn_weights: str | None = None  # local file with pretrained CNN weights (never downloaded)
    cnn_channels: int = 32  # width of the built-in small CNN
    spatial_grid: int = 4  # keep a grid x grid spatial layout of the last feature map (1 = global pooling)
    feature_dim: int = 256  # per-frame feature size fed to the LSTM
    freeze_cnn: bool = False
    cache_features: bool = False  # with freeze_cnn: per-frame features computed once (no augmentation), cached on disk


def upgrade_bundle(bundle: dict) -> dict:
    """Bundles written before the per-frame CNN moved into the video frontend: rename its weights."""
    renames = {"backbone.frames.": "frontend.frames.", "frontend.mean": "frontend.normalize.mean",
               "frontend.std": "frontend.normalize.std"}

    def new_key(k: str) -> str:
        for old, new in renames.items():
            if k.startswith(old):
                return new + k[len(old):]
        return k

    bundle["state_dict"] = {new_key(k): v for k, v in bundle["state_dict"].items()}
    return bundle
