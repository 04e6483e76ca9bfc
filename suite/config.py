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
    valid: str | None = None  # None: held out from train (see valid_fraction), written to RUN/split/
    valid_fraction: float = Field(0.1, gt=0, lt=0.5)  # share of train held out when `valid` is not given
    # manifest field whose values must not straddle train and the held-out part (speaker, writer, ...);
    # None: the first of speaker/writer/group/source that the manifest has, else per sample
    group_by: str | None = None
    num_workers: int = 2
    allow_outside_paths: bool = False  # manifest paths may leave the manifest's folder only if set
    max_file_mb: float = 2048.0  # inputs larger than this are refused
    feature_cache: str | None = None  # folder for inputs a domain precomputes, e.g. frozen-CNN features (default RUN/feature_cache)


class OptimConfig(StrictModel):
    lr: float = 1e-3
    weight_decay: float = 1e-2
    schedule: Literal["cosine", "onecycle", "constant"] = "cosine"
    warmup: float = Field(0.05, ge=0, lt=1)  # warm-up as a fraction of the run's planned steps
    warmup_steps: int | None = None  # absolute warm-up steps instead of the fraction
    betas: tuple[float, float] = (0.9, 0.98)


class TrainConfig(StrictModel):
    # The budget: optimizer steps and/or minutes; epochs follow from the corpus size. The LR schedule decays
    # over whichever ends first, and warm-up is a fraction of it.
    max_steps: int = -1  # -1: no step budget (then max_epochs bounds the run)
    max_minutes: float | None = None  # stop training after this wall time
    max_epochs: int = 1000
    min_steps: int = 0  # small corpora still get this many updates (unless max_minutes ends the run first)
    # a corpus of fewer than this many batches per epoch trains with smaller batches (down to min_batch_size)
    min_batches_per_epoch: int = 8
    min_batch_size: int = 2
    batch_size: int = 16
    bucket: bool = True  # length-bucketed batches (sequence tasks)
    grad_clip: float | None = 5.0
    precision: Literal["auto", "32", "bf16-mixed", "16-mixed"] = "auto"  # auto: bf16 autocast on CUDA
    seed: int = 1234
    deterministic: bool = False
    # Early stopping: no improvement for `early_stop_patience` validations AND for `early_stop_fraction` of the
    # planned steps; never while the model is no better than the task's null model (blank output, chance).
    early_stop_patience: int | None = 10
    early_stop_fraction: float = Field(0.2, ge=0, le=1)
    # When that rule is met, first anneal: the LR falls linearly from where it is to zero over this fraction of
    # the budget (or until the budget ends), then the run stops. 0: stop at once. Not with schedule onecycle.
    cooldown: float = Field(0.0, ge=0, le=0.5)
    init_lr_scale: float = Field(0.3, gt=0)  # `suite train --init MODEL`: fine-tuning LR = optim.lr x this
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


def model_config_class(domain: Domain, task) -> type[StrictModel]:
    """The `model:` section: the task's backbone fields plus the fields the domain's frontend reads."""
    if domain.model_config is None:
        return task.model_config
    return create_model(f"{domain.name.title()}ModelConfig", __base__=(task.model_config, domain.model_config))


def config_class(domain: Domain, name: str | None = None, objective: str | None = None) -> type[StrictModel]:
    """The typed config of a domain; ``name`` is how the config names it (a name or an import path);
    ``objective``: the task it trains when not the domain's own (see tasks.config_task)."""
    from .tasks import config_task

    name = name or domain.name
    task = config_task(domain, objective)
    model_cls = model_config_class(domain, task)
    # the key exists only in configs that set it: configs and bundles without it read as before
    chosen = {"objective": (Literal[objective], objective)} if objective is not None else {}  # type: ignore[valid-type]
    return create_model(
        f"{domain.name.title()}Config",
        __base__=StrictModel,
        task=(Literal[name], name),  # type: ignore[valid-type]
        data=(DataConfig, DataConfig()),
        model=(model_cls, model_cls()),
        features=(domain.features_config, domain.features_config()),
        augment=(domain.augment_config, domain.augment_config()),
        train=(TrainConfig, TrainConfig()),
        decode=(task.decode_config, task.decode_config()),
        **chosen,
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
    objective = raw.get("objective")
    if objective is not None:
        from .tasks import config_task

        config_task(domain, objective, source)  # a bad value is named before the sections are read
        objective = str(objective)
    try:
        return config_class(domain, task, objective).model_validate(raw)
    except ValidationError as err:
        raise SuiteError(describe_validation_error(err, source)) from None


def read_yaml(path: str | Path, what: str = "config file") -> Any:
    """A YAML file's content; a missing or unreadable file is a one-line SuiteError naming it."""
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SuiteError(f"{what} not found", path) from None
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as err:
        raise SuiteError(f"not valid YAML ({str(err).splitlines()[0]})", path) from None


def load_config(path: str | Path, overrides: list[str] | None = None):
    raw = apply_overrides(read_yaml(path) or {}, overrides or [])
    return build_config(raw, source=str(path))
