"""The interface a domain (speech, video, handwriting, ...) implements to plug into the core.

A domain is found through the ``suite.domains`` entry-point group, so adding one touches no core file.
The core owns manifests, batching, the trainer, bundles, decoding and the CLI skeleton; the domain
owns reading files, features, augmentation, vocabulary/labels and its own commands.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Sequence

import torch
from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Config section: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())


@dataclass
class Sample:
    """One decoded training/eval example, produced by ``Domain.load`` in a DataLoader worker.

    ``inputs``: a tensor whose first dimension is time (frames, points or samples).
    ``target``: token ids (CTC) or a class index (classification); None at inference.
    """

    id: str
    inputs: torch.Tensor
    target: torch.Tensor | int | None = None


@dataclass
class Domain:
    """What a domain provides. Fields with defaults are optional."""

    name: str  # config `task:` value, e.g. "speech"
    kind: Literal["ctc", "classify"]
    input_key: str  # manifest key of the input file: "audio" | "ink" | "video"
    target_key: str  # manifest key of the target: "text" | "label"
    features_config: type[StrictModel]  # the `features:` section
    augment_config: type[StrictModel]  # the `augment:` section (all off at evaluation)
    # load(path, features_cfg, augment_cfg or None, rng) -> inputs tensor (time first); raise
    # CorruptSample/SuiteError naming the file for unreadable input.
    load: Callable[..., torch.Tensor]
    # build_frontend(features_cfg, augment_cfg) -> (nn.Module, output feature dim). The frontend runs on
    # the training device inside the model: forward(x, lengths) -> (features, lengths). Augmentation that
    # belongs on the device (SpecAugment) is active only in train mode.
    build_frontend: Callable[..., tuple[torch.nn.Module, int]]
    # CTC domains: text normalisation and the vocabulary built from training transcripts.
    normalize_text: Callable[[str], str] | None = None
    # cheap length estimate of a file (time steps before the frontend), for bucketing when the
    # manifest has no "length" field
    estimate_length: Callable[[str, Any], int] | None = None
    # frames the frontend makes of an input of `length` (manifest/estimate units), for the CTC feasibility
    # check before training; default: the same number
    frontend_frames: Callable[[int, Any], int] | None = None
    # frames-per-second of the model input time axis before subsampling (for timestamps), if meaningful
    time_step_seconds: Callable[[Any], float] | None = None
    # `suite prepare FORMAT`: name -> (add_arguments(parser), run(args) -> manifest path)
    prepare_formats: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], Any]]] = field(default_factory=dict)
    # extra subcommands (transcribe/read/label, render, synth, lm-tune): fn(subparsers) adds them
    add_commands: Callable[[Any], None] | None = None
    # bundled model names -> absolute path of the .pt file; the first is the domain's default
    bundled_models: dict[str, str] = field(default_factory=dict)
    # optional domain inference: (predictor, files, **opts) -> list[dict]; default: one result per file
    predict: Callable[..., list[dict]] | None = None
    # manifest fields handed to ``load`` as keyword arguments when a row has them (e.g. a clip's
    # start/end seconds inside a longer video)
    sample_fields: tuple[str, ...] = ()
    # the name of the domain's inference command (`suite transcribe`, `read`, `label`): also its HTTP endpoint
    command: str = ""
    # a JavaScript file (absolute path) that draws this domain's panel on the `suite serve` page, if any
    web_panel: str | None = None


def sample_kwargs(domain: Domain, extra: dict) -> dict:
    """The manifest fields of one row that ``domain.load`` takes as keyword arguments."""
    return {k: extra[k] for k in domain.sample_fields if extra.get(k) is not None}


def ctc_vocab(texts: Sequence[str]) -> list[str]:
    """Sorted character inventory of the given texts (blank is index 0 and not listed)."""
    return sorted({c for t in texts for c in t})
