"""Typed recipe configs: YAML in, validated pydantic objects out; errors name the bad key."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, create_model

from .domain import Domain, StrictModel
from .errors import SuiteError


class DataConfig(StrictModel):
    train: str | None = None
    valid: str | None = None
    test: str | None = None
    num_workers: int = 2
    allow_outside_paths: bool = False  # manifest paths may leave the manifest's folder only if set
    max_file_mb: float = 2048.0  # inputs larger than this are refused
    feature_cache: str | None = None  # folder for cached frozen-CNN features (default RUN/feature_cache)


class CTCModelConfig(StrictModel):
    """BiLSTM-CTC encoder (see suite.models.ctc_encoder)."""

    input_proj: int | None = None  # linear projection of input features before the front end
    subsample: Literal[1, 2, 4, 8] = 1  # time subsampling by strided 1-D convolutions
    subsample_channels: int = 256
    rnn: Literal["lstm", "gru"] = "lstm"
    layers: int = 3
    hidden: int = 256
    bidirectional: bool = True
    dropout: float = 0.1
    pack: Literal["auto", "packed", "padded"] = "auto"  # auto: packed on CUDA, padded(+exact reversal) on CPU


class ClassifierModelConfig(StrictModel):
    """CNN-LSTM classifier (see suite.models.cnn_lstm)."""

    cnn: str = "small"  # "small" (built-in) or a torchvision architecture name, e.g. resnet18
    cnn_weights: str | None = None  # local file with pretrained CNN weights (never downloaded)
    cnn_channels: int = 32  # width of the built-in small CNN
    spatial_grid: int = 4  # keep a grid x grid spatial layout of the last feature map (1 = global pooling)
    feature_dim: int = 256  # per-frame feature size fed to the LSTM
    freeze_cnn: bool = False
    cache_features: bool = False  # with freeze_cnn: per-frame features computed once (no augmentation), cached on disk
    rnn: Literal["lstm", "gru", "none"] = "lstm"  # "none": order-free baseline over frame features
    layers: int = 1
    hidden: int = 256
    bidirectional: bool = False
    dropout: float = 0.2
    pooling: Literal["last", "mean", "attention"] = "last"


class OptimConfig(StrictModel):
    lr: float = 1e-3
    weight_decay: float = 1e-2
    schedule: Literal["cosine", "onecycle", "constant"] = "cosine"
    warmup_steps: int = 100
    betas: tuple[float, float] = (0.9, 0.98)


class TrainConfig(StrictModel):
    max_epochs: int = 30
    max_steps: int = -1
    max_minutes: float | None = None  # stop training after this wall time
    batch_size: int = 16
    bucket: bool = True  # length-bucketed batches (sequence tasks)
    grad_clip: float | None = 5.0
    precision: Literal["auto", "32", "bf16-mixed", "16-mixed"] = "auto"  # auto: bf16 autocast on CUDA
    seed: int = 1234
    deterministic: bool = False
    early_stop_patience: int | None = 10  # validation checks without improvement
    checkpoint_every_steps: int | None = 500
    val_every_epochs: int = 1
    accelerator: Literal["auto", "cpu", "gpu", "cuda"] = "auto"
    devices: int | str = "auto"
    num_nodes: int = 1
    strategy: str = "auto"  # e.g. "ddp" for multi-GPU / multi-node
    log_every_steps: int = 10
    max_bad_batches: int = 20  # stop after this many non-finite losses in a row
    min_free_mb: float = 200.0  # refuse to start with less free disk in the run folder
    # exponential moving average of the weights (e.g. 0.999): validation, checkpoints and model.pt use the
    # average, which evens out the epoch-to-epoch swings of a small-data run; None trains plain weights
    ema_decay: float | None = Field(None, gt=0, lt=1)
    optim: OptimConfig = OptimConfig()


class DecodeConfig(StrictModel):
    decoder: Literal["greedy", "beam"] = "greedy"
    beam_size: int = 16
    lm: str | None = None  # KenLM binary/ARPA file
    lexicon: str | None = None  # word list (one word per line) restricting beam output
    lm_weight: float = 0.5
    word_score: float = 0.0
    backend: Literal["auto", "flashlight", "ctcdecode"] = "auto"


def config_class(domain: Domain, task: str | None = None) -> type[StrictModel]:
    """The typed config of a domain; ``task`` is how the config names it (a name or an import path)."""
    task = task or domain.name
    model_cls = CTCModelConfig if domain.kind == "ctc" else ClassifierModelConfig
    return create_model(
        f"{domain.name.title()}Config",
        __base__=StrictModel,
        task=(Literal[task], task),  # type: ignore[valid-type]
        data=(DataConfig, DataConfig()),
        model=(model_cls, model_cls()),
        features=(domain.features_config, domain.features_config()),
        augment=(domain.augment_config, domain.augment_config()),
        train=(TrainConfig, TrainConfig()),
        decode=(DecodeConfig, DecodeConfig()),
    )


def _parse_value(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def apply_overrides(raw: dict, overrides: list[str], source: str = "--set") -> dict:
    """Apply ``key.sub=value`` overrides (values parsed as YAML scalars) to a raw config dict."""
    for item in overrides:
        if "=" not in item:
            raise SuiteError(f"{source} expects key=value, got {item!r}")
        key, value = item.split("=", 1)
        node = raw
        parts = key.strip().split(".")
        for part in parts[:-1]:
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                raise SuiteError(f"{source} {key}: '{part}' is not a section")
            node = nxt
        node[parts[-1]] = _parse_value(value)
    return raw


def describe_validation_error(err: ValidationError, source: str) -> str:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"])
    if first["type"] == "extra_forbidden":
        msg = f"unknown key '{key}'"
    elif first["type"] == "missing":
        msg = f"missing key '{key}'"
    else:
        msg = f"bad value for '{key}': {first['msg']} (got {first.get('input')!r})"
    more = len(err.errors()) - 1
    return f"{source}: {msg}" + (f" (and {more} more problem{'s' * (more > 1)})" if more else "")


def build_config(raw: dict, source: str = "config"):
    """Validate a raw dict into the typed config of its domain."""
    from .registry import get_domain

    if not isinstance(raw, dict):
        raise SuiteError(f"{source}: a config must be a YAML mapping")
    task = raw.get("task")
    if task is None:
        raise SuiteError(f"{source}: missing key 'task' (one of the installed domains)")
    domain = get_domain(task, source=source)
    try:
        return config_class(domain, task).model_validate(raw)
    except ValidationError as err:
        raise SuiteError(describe_validation_error(err, source)) from None


def load_config(path: str | Path, overrides: list[str] | None = None):
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SuiteError("config file not found", path) from None
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise SuiteError(f"not valid YAML ({str(err).splitlines()[0]})", path) from None
    raw = apply_overrides(raw or {}, overrides or [])
    return build_config(raw, source=str(path))
