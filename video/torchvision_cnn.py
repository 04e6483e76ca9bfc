"""A torchvision classification network as the per-frame CNN, with the user's own weights file.

``model.cnn: resnet18`` (any name of ``torchvision.models.list_models(module=torchvision.models)``) builds
the architecture without weights (nothing is ever downloaded) and cuts it at ``model.cnn_layer`` (a module
name such as ``layer3`` or ``features.6``; default the last feature map before the classifier's pooling)
with torchvision's FX feature extractor, so parameter names stay those of the full model and a state dict
saved from it loads as it is. ``model.cnn_weights`` is a local ``torch.save``'d state dict, read with
``weights_only=True`` (a file that holds code is refused) and checked against ``model.cnn_weights_sha256``
when given. Every tensor the cut network uses must be in the file with its shape; the classifier's tensors
may be missing or of another class count (they are not used).
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from suite.errors import SuiteError
from suite.io import sha256_of

# top-level children that pool, flatten or classify: the default cut is the last child before them
HEAD_NAMES = {"avgpool", "fc", "classifier", "head", "heads", "dropout", "flatten", "norm", "permute",
              "aux1", "aux2", "AuxLogits"}


def architectures() -> list[str]:
    """Classification models of torchvision (detection/segmentation builders would fetch backbone weights)."""
    import torchvision

    return torchvision.models.list_models(module=torchvision.models)


def default_layer(model: nn.Module) -> str:
    body = [n for n, _ in model.named_children() if n not in HEAD_NAMES]
    return body[-1]


def layer_names(model: nn.Module) -> list[str]:
    """Names a user can cut at: top-level children and the children of a Sequential among them."""
    names = []
    for name, child in model.named_children():
        if name in HEAD_NAMES:
            continue
        names.append(name)
        if isinstance(child, nn.Sequential):
            names += [f"{name}.{sub}" for sub, _ in child.named_children()]
    return names


def read_weights(path: Path, sha256: str | None) -> dict[str, torch.Tensor]:
    """A state dict from a local file: plain, or under "state_dict"/"model" (training checkpoints), with a
    "module." prefix (DataParallel) removed."""
    if not path.is_file():
        raise SuiteError("CNN weights file not found (model.cnn_weights)", path)
    if sha256:
        got = sha256_of(path)
        if got != sha256.strip().lower():
            raise SuiteError(f"CNN weights checksum mismatch: sha256 {got[:16]}..., model.cnn_weights_sha256 "
                             f"expects {sha256.strip()[:16]}...", path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unreadable weights file is a user error
        kind = ("holds objects other than tensors (refused)" if "weights_only" in str(err)
                else f"not a torch.save file ({type(err).__name__})")
        raise SuiteError(f"cannot read CNN weights: {kind}", path) from None
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise SuiteError("CNN weights file is not a state dict (a dict of tensors from torch.save(model.state_dict()))",
                         path)
    if all(k.startswith("module.") for k in state):
        state = {k.removeprefix("module."): v for k, v in state.items()}
    return state


def check_fits(state: dict[str, torch.Tensor], trunk: nn.Module, full_keys: set[str], name: str, path: Path) -> dict:
    """The subset of ``state`` the trunk uses, after checking every trunk tensor is there with its shape."""
    want = trunk.state_dict()
    # BatchNorm's step counter is not a weight: files converted from elsewhere often lack it
    missing = [k for k in want if k not in state and not k.endswith("num_batches_tracked")]
    foreign = [k for k in state if k not in full_keys]
    wrong = [k for k in want if k in state and tuple(state[k].shape) != tuple(want[k].shape)]
    if missing or foreign or wrong:
        parts = []
        if missing:
            parts.append(f"{len(missing)} of {len(want)} tensors missing (first: {missing[0]})")
        if foreign:
            parts.append(f"{len(foreign)} keys {name} does not have (first: {foreign[0]})")
        if wrong:
            k = wrong[0]
            parts.append(f"{len(wrong)} shapes differ (first: {k} {tuple(state[k].shape)} vs {tuple(want[k].shape)})")
        raise SuiteError(f"CNN weights do not fit model.cnn {name}: " + "; ".join(parts), path)
    return {k: state[k] for k in want if k in state}


class _Map(nn.Module):
    """The FX extractor returns a dict: this gives its one tensor."""

    def __init__(self, extractor: nn.Module):
        super().__init__()
        self.body = extractor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)["map"]


def torchvision_trunk(name: str, weights: str | None, layer: str | None = None,
                      sha256: str | None = None) -> tuple[nn.Module, int]:
    """(trunk: images [N, 3, H, W] -> feature map [N, C, h, w], C)."""
    import torchvision
    from torchvision.models.feature_extraction import create_feature_extractor

    known = architectures()
    if name not in known:
        close = [k for k in known if k.split("_")[0] == name.split("_")[0]][:6] or ["resnet18", "mobilenet_v3_small"]
        raise SuiteError(f"model.cnn: unknown CNN architecture '{name}' (use 'small', 'efficientnet_lite0' or a "
                         f"torchvision classification model, e.g. {', '.join(close)})")
    if sha256 and not weights:
        raise SuiteError("model.cnn_weights_sha256 is set but model.cnn_weights (the file) is not")
    model = torchvision.models.get_model(name, weights=None)
    layer = layer or default_layer(model)
    try:
        extractor = create_feature_extractor(model.eval(), return_nodes={layer: "map"})
    except ValueError:
        raise SuiteError(f"model.cnn_layer: {name} has no layer '{layer}' (e.g. "
                         f"{', '.join(layer_names(model)[-12:])})") from None
    trunk = _Map(extractor)
    if weights:
        path = Path(weights)
        state = check_fits(read_weights(path, sha256), extractor, set(model.state_dict()), name, path)
        extractor.load_state_dict(state, strict=False)  # strict on every weight: check_fits
    try:
        with torch.no_grad():
            out = trunk.eval()(torch.zeros(1, 3, 96, 96))  # 96: inception_v3 needs >= 75
    except Exception as err:  # noqa: BLE001 - e.g. vision transformers assert a fixed 224 input
        raise SuiteError(f"model.cnn: {name} does not run on a 96x96 frame ({type(err).__name__}); "
                         "use a convolutional network") from None
    if out.dim() != 4:
        raise SuiteError(f"model.cnn_layer: layer '{layer}' of {name} gives a {tuple(out.shape)} output, not a "
                         "feature map [N, C, H, W] (convolutional networks only; pick another cnn_layer)")
    return trunk, out.shape[1]


def upgrade_keys(name: str, state: dict) -> dict:
    """Bundles from before the FX cut held the trunk as ``cnn.<index>.``: a Sequential of the kept children
    (or the model's ``features``). Their keys under this module's names (``cnn.body.<child>.``)."""
    import re

    import torchvision

    prefix = "frontend.frames.cnn."
    old = re.compile(re.escape(prefix) + r"(\d+)\.")
    if not any(old.match(k) for k in state):
        return state
    with torch.device("meta"):  # names only
        model = torchvision.models.get_model(name, weights=None)
    children = [n for n, _ in model.named_children() if n not in ("avgpool", "fc", "classifier", "head")]

    def new_key(k: str) -> str:
        m = old.match(k)
        if not m:
            return k
        if hasattr(model, "features"):
            return f"{prefix}body.features.{k[len(prefix):]}"
        return f"{prefix}body.{children[int(m.group(1))]}.{k[m.end():]}"

    return {new_key(k): v for k, v in state.items()}
