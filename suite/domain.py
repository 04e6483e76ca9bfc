"""The interface a domain (speech, video, handwriting, ...) implements to plug into the core.

A domain is found through the ``suite.domains`` entry-point group, so adding one touches no core file.
The core owns manifests, batching, the trainer, bundles and the CLI skeleton; the task (``suite.tasks``)
owns targets, loss, decoding and metrics; the domain owns reading files, features, augmentation and its
own commands. Domain modules stay light to import: heavy code is reached through :func:`lazy`, so
``suite --help`` never imports torch.
"""
from __future__ import annotations

import argparse
import importlib
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Protocol

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:  # typing only: importing torch here would make every command pay for it
    import torch
    from torch import nn


class StrictModel(BaseModel):
    """Config section: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class LoadFn(Protocol):
    def __call__(self, path: str, features: Any, augment: Any | None, rng: random.Random,
                 **fields: Any) -> "torch.Tensor": ...


class FrontendFn(Protocol):
    def __call__(self, features: Any, augment: Any | None, model: Any) -> "tuple[nn.Module, int]": ...


class SamplesFn(Protocol):
    def __call__(self, path: str, features: Any) -> "list[tuple[dict, torch.Tensor]]": ...


class PredictFn(Protocol):
    def __call__(self, predictor: Any, files: list[str], **opts: Any) -> list[dict]: ...


PrepareFormat = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], Any]]


class lazy:  # noqa: N801 - used like a function: lazy("pkg.module:name")
    """A callable that imports ``module:attr`` on first call, so a domain module imports nothing heavy."""

    def __init__(self, spec: str):
        self.spec = spec
        self._fn: Callable | None = None

    def resolve(self) -> Any:
        if self._fn is None:
            module, _, attr = self.spec.partition(":")
            self._fn = getattr(importlib.import_module(module), attr)
        return self._fn

    def __call__(self, *args, **kwargs):
        return self.resolve()(*args, **kwargs)

    def __reduce__(self):  # picklable for DataLoader workers: by name, not by function object
        return (lazy, (self.spec,))

    def __repr__(self) -> str:
        return f"lazy({self.spec!r})"


@dataclass(frozen=True)
class Domain:
    """What a domain provides. Fields with defaults are optional."""

    name: str  # config `task:` value, e.g. "speech"
    task: str  # the task plug-in that turns model outputs into results: "ctc", "classify", ...
    input_key: str  # manifest key of the input file: "audio" | "ink" | "video"
    target_key: str  # manifest key of the target: "text" | "label"
    features_config: type[StrictModel]  # the `features:` section
    augment_config: type[StrictModel]  # the `augment:` section (all off at evaluation)
    # one training/evaluation input as a tensor, time first; raise CorruptSample/SuiteError naming the file
    load: LoadFn
    # (features, augment, model section) -> (nn.Module, output feature size). The frontend runs on the
    # training device inside the model: forward(x, lengths) -> (features [B, T, F], lengths), and
    # output_lengths(lengths) gives the second without computing the first. Augmentation that belongs on
    # the device (SpecAugment) is active only in train mode.
    build_frontend: FrontendFn
    # the inference command (`suite transcribe`, `read`, `label`): also the HTTP endpoint name
    command: str = ""
    # inference input: one file gives one or more (info, inputs) samples; default: ``load`` without augmentation
    samples: SamplesFn | None = None
    # target text normalisation (text tasks), applied before the vocabulary is built
    normalize_target: Callable[[str], str] | None = None
    # extra `model:` fields the domain's frontend reads (e.g. the video per-frame CNN); mixed into the task's section
    model_config: type[StrictModel] | None = None
    # cheap length estimate of a file, in the same unit as a manifest's `length` (time steps of ``load``'s output)
    estimate_length: Callable[[str, Any], int] | None = None
    # seconds per time step of the frontend output (for timestamps), if meaningful
    time_step_seconds: Callable[[Any], float] | None = None
    # `suite prepare FORMAT`: () -> {name: (add_arguments(parser), run(args) -> manifest path)}
    prepare_formats: Callable[[], dict[str, PrepareFormat]] | None = None
    # extra subcommands (transcribe/read/label, render): fn(subparsers, synth_kinds) adds them; a data
    # generator adds a KIND to the core's `suite synth KIND` group through ``synth_kinds``
    add_commands: Callable[[Any, Any], None] | None = None
    # what ``add_commands`` adds, name -> one-line help ("synth KIND" for a generator): `suite --help` lists
    # them without importing the domain's command code, which loads only for its own commands
    commands: dict[str, str] = field(default_factory=dict)
    # bundled model names -> absolute path of the .pt file; the first is the domain's default
    bundled_models: dict[str, str] = field(default_factory=dict)
    # optional domain inference: (predictor, files, **opts) -> list[dict]; default: the task's, per sample
    predict: PredictFn | None = None
    # manifest fields handed to ``load`` as keyword arguments when a row has them (e.g. a clip's
    # start/end seconds inside a longer video)
    sample_fields: tuple[str, ...] = ()
    # ``load`` also takes the row's target (keyword: ``target_key``) and returns (inputs, target): for
    # augmentations that change the target (a mirrored "walk left" is "walk right")
    load_returns_target: bool = False
    # a manifest field (e.g. a line's "writer") whose equal values mark training rows the domain may join into one
    # sample: ``load`` then also takes ``partner``, a callable giving (path, target) of a random other training row
    # with the same value (any row where the field is missing). Training only; None: rows load one by one
    partner_field: str | None = None
    # inputs computed once before training (e.g. a frozen CNN's frame features):
    # (domain, model, config, rows, folder, device, training=bool) -> (rows whose paths hold frontend
    # outputs, their load function), or None to train as usual
    precompute: Callable[..., Any] | None = None
    # views of one input whose scores evaluation averages (features config -> count; video: features.test_clips
    # staggered clips); ``load`` then takes ``view=i, views=k``. None: one view
    evaluation_views: Callable[[Any], int] | None = None
    # a bundle written by an older version -> the current layout (renamed weights, moved config keys)
    upgrade_bundle: Callable[[dict], dict] | None = None
    # a JavaScript file (absolute path) that draws this domain's panel on the `suite serve` page, if any
    web_panel: str | None = None
    # file formats (extensions) `suite serve` accepts for this domain, recognised from the upload's content
    # (suite.serve.media.sniff); empty: any upload, stored with the client's extension
    upload_formats: tuple[str, ...] = ()


def sample_kwargs(domain: Domain, extra: dict) -> dict:
    """The manifest fields of one row that ``domain.load`` takes as keyword arguments."""
    return {k: extra[k] for k in domain.sample_fields if extra.get(k) is not None}
