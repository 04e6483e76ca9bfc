"""The interface a task (CTC, classification, regression, ...) implements to plug into the core.

A task owns what the model's outputs mean: the target space fitted on training rows (vocabulary, labels,
value scaling), the `model:` and `decode:` config sections, the backbone, the loss, decoding, metrics,
the error of a model that learned nothing, and the result dicts of inference. Tasks are found through
the ``suite.tasks`` entry-point group; trainer, evaluation and inference call them and never ask which one.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar, Sequence

from ..domain import StrictModel
from ..errors import SuiteError

if TYPE_CHECKING:
    import torch
    from torch import nn

    from ..domain import Domain
    from ..manifest import Row


class NoDecoding(StrictModel):
    """The `decode:` section of a task that has no decoding options."""


class TargetSpace(ABC):
    """What the model's outputs mean, fitted on training rows and stored in bundles (``state()``)."""

    @property
    @abstractmethod
    def n_out(self) -> int:
        """Output size of the model's last layer."""

    @abstractmethod
    def encode(self, target: Any) -> Any:
        """Manifest target -> what the loss compares with (a tensor or an int). Must be picklable."""

    @abstractmethod
    def reference(self, target: Any) -> Any:
        """Manifest target -> the form metrics compare with (normalised text, class index, values)."""

    @abstractmethod
    def state(self) -> dict:
        """JSON-able state for bundles and checkpoints."""

    def check(self, rows: Sequence["Row"], source: str) -> None:
        """Raise a SuiteError for valid/test targets the model cannot produce."""

    def mapping(self, new: "TargetSpace") -> list[int | None]:
        """For fine-tuning: for each output row of ``new``, the row of this space it continues (None: fresh)."""
        return [None] * new.n_out

    def output_names(self) -> list[str]:
        """A name per output row (for messages such as fine-tuning's list of fresh outputs)."""
        return [str(i) for i in range(self.n_out)]

    def describe(self) -> str:
        return f"{self.n_out} outputs"


class Task(ABC):
    """One kind of output. Subclasses set ``name`` and ``model_config`` and implement the methods."""

    name: ClassVar[str]
    model_config: ClassVar[type[StrictModel]]
    decode_config: ClassVar[type[StrictModel]] = NoDecoding
    # what the validation metric `error` means, for messages (e.g. "CER", "1 - accuracy")
    error_name: ClassVar[str] = "error"
    # the backbone's output layer (`backbone.<name>.*`): its rows follow the target space when fine-tuning
    output_layer: ClassVar[str] = "head"
    # `decode:` keys naming files (an LM, a word list): in a bundle, relative to the bundle's folder
    decode_files: ClassVar[tuple[str, ...]] = ()
    # what the task reads from a manifest's target ("text", "label", ...): a recipe's `objective:` may swap
    # a domain's task for another of the same kind (None: no other task stands in for this one)
    target_kind: ClassVar[str | None] = None

    def merge_decode(self, bundled: dict, given: dict) -> dict:
        """A bundle's `decode:` section with the options a user gave for this run."""
        return {**bundled, **given}

    # --- targets -------------------------------------------------------------------------------------
    @abstractmethod
    def fit_targets(self, domain: "Domain", rows: Sequence["Row"]) -> TargetSpace:
        """The target space of a training manifest."""

    @abstractmethod
    def load_targets(self, domain: "Domain", state: dict) -> TargetSpace:
        """A target space from ``TargetSpace.state()``."""

    def merge_targets(self, old: TargetSpace, fitted: TargetSpace) -> TargetSpace:
        """Fine-tuning: the target space of a run that starts from a bundle with ``old`` (default: the new one)."""
        return fitted

    def legacy_targets(self, bundle: dict) -> dict | None:
        """The target state of a bundle written before bundles held ``targets`` (None: not this task's)."""
        return None

    # --- model and training --------------------------------------------------------------------------
    def for_model(self, model_cfg: Any) -> "Task":
        """The task as a run with this `model:` section trains it (e.g. its loss options); default: itself.
        Tasks are shared: return a copy, never change ``self``."""
        return self

    @abstractmethod
    def build_backbone(self, model_cfg: Any, in_dim: int, targets: TargetSpace) -> "nn.Module":
        """forward(features [B, T, F], lengths) -> (outputs, output lengths); output_lengths(lengths)."""

    @abstractmethod
    def collate_targets(self, targets: list) -> "tuple[torch.Tensor, torch.Tensor | None]":
        """Encoded targets of a batch -> (targets, target lengths or None)."""

    @abstractmethod
    def loss(self, out: "torch.Tensor", out_lengths: "torch.Tensor", batch: Any,
             training: bool = True) -> "tuple[torch.Tensor, list[str]]":
        """(mean loss, ids of samples left out of it because they cannot be trained on). ``training`` False:
        the validation loss (no training-only terms such as label smoothing)."""

    def mix(self, batch: Any, targets: TargetSpace) -> Any:
        """A training batch as the loss should see it (e.g. mixup's blended pairs); default: unchanged."""
        return batch

    def trainable(self, targets: TargetSpace, rows: Sequence["Row"], out_lengths: Sequence[int | None]) -> list[bool]:
        """Before training: which rows the model can learn, given its output length (None: unknown)."""
        return [True] * len(rows)

    untrainable_reason: ClassVar[str] = "cannot be trained on"

    # a training batch's memory bound in the units of batch_costs (None: batches are bounded by count only)
    max_batch_cost: ClassVar[int | None] = None

    def batch_costs(self, targets: TargetSpace, rows: Sequence["Row"],
                    out_lengths: Sequence[int | None]) -> list[int] | None:
        """Each training row's share of a padded batch's memory, for ``max_batch_cost`` (None: no bound)."""
        return None

    # --- outputs and metrics -------------------------------------------------------------------------
    @abstractmethod
    def hypotheses(self, out: "torch.Tensor", out_lengths: "torch.Tensor", targets: TargetSpace,
                   decoder: Any = None) -> list:
        """Model outputs -> per-sample hypotheses in the form ``metrics`` takes (decoder: from make_decoder)."""

    def average_views(self, outs: "list[torch.Tensor]") -> "torch.Tensor":
        """Outputs of several views of the same batch -> one output (``Domain.evaluation_views``)."""
        raise SuiteError(f"the {self.name} task cannot average several views of one input")

    @abstractmethod
    def batch_references(self, batch: Any, targets: TargetSpace) -> list:
        """The references of a collated batch (same form as ``TargetSpace.reference``)."""

    @abstractmethod
    def metrics(self, references: list, hypotheses: list, targets: TargetSpace) -> dict[str, Any]:
        """Metric name -> value; must hold ``error`` (lower is better). Keys starting with ``_`` are artefacts."""

    @abstractmethod
    def null_error(self, references: list, targets: TargetSpace) -> float:
        """The ``error`` of a model that learned nothing (an empty transcript, the majority class, ...)."""

    def learned(self, error: float, null_error: float, samples: int | None = None) -> bool:
        """Whether a validation error on ``samples`` inputs shows the model learned something beyond the
        null model."""
        return error < null_error - max(0.02, 0.05 * null_error)

    # --- inference -----------------------------------------------------------------------------------
    def make_decoder(self, targets: TargetSpace, decode_cfg: Any) -> Any:
        return None

    @abstractmethod
    def results(self, out: "torch.Tensor", out_lengths: "torch.Tensor", targets: TargetSpace, decoder: Any,
                **opts: Any) -> list[dict]:
        """Model outputs -> one result dict per sample (without "file"), as `--json` prints them."""

    def upgrade_config(self, raw: dict) -> dict:
        """A bundle's config written by an older version -> the current sections."""
        return raw
