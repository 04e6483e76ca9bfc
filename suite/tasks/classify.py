"""Sequence to one class: a label set, an LSTM over per-step features, cross-entropy, accuracy metrics."""
from __future__ import annotations

import copy
from collections import Counter
from typing import Any, Literal

from pydantic import Field

from ..domain import StrictModel
from ..errors import SuiteError
from .base import TargetSpace, Task

CHANCE_LEVEL = 1e-3  # a validation accuracy this likely under the majority-class model is no evidence


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    import torch

    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    dist = torch.distributions.Binomial(n, probs=torch.tensor(p, dtype=torch.float64))
    return min(1.0, float(dist.log_prob(torch.arange(k, n + 1, dtype=torch.float64)).exp().sum()))


class ClassifierModelConfig(StrictModel):
    """Recurrent classifier over per-step features (see suite.models.sequence_classifier)."""

    input_proj: int | None = None  # a trainable Linear + ReLU of that size on each step's features first
    rnn: Literal["lstm", "gru", "lstm_peephole", "none"] = "lstm"  # "none": order-free baseline
    layers: int = 1
    hidden: int = 256
    bidirectional: bool = False
    dropout: float = 0.2
    pooling: Literal["last", "mean", "attention"] = "last"
    # each step's features followed by their change from the previous step (for per-frame features: motion)
    deltas: bool = False
    # training loss against (1 - e) x one-hot + e x uniform: keeps a head on a few clips from certainty
    label_smoothing: float = Field(0.0, ge=0.0, lt=1.0)
    # mixup (Zhang et al. 2018): each training batch is blended with itself in shuffled order, inputs and
    # one-hot targets by the same weight drawn from Beta(mixup, mixup); 0: off
    mixup: float = Field(0.0, ge=0.0)


class LabelSet(TargetSpace):
    """Sorted class labels of the training manifest; class id = index."""

    def __init__(self, labels: list[str]):
        self.labels = list(labels)
        self.index = {c: i for i, c in enumerate(self.labels)}

    @property
    def n_out(self) -> int:
        return len(self.labels)

    def encode(self, label) -> int:
        if str(label) not in self.index:
            raise SuiteError(f"label {label!r} is not one the model knows")
        return self.index[str(label)]

    reference = encode

    def state(self) -> dict:
        return {"labels": self.labels}

    def check(self, rows, source: str) -> None:
        unknown = sorted({str(r.target) for r in rows} - set(self.labels))
        if unknown:
            raise SuiteError(f"labels the model does not know: {', '.join(unknown[:5])}", source)

    def mapping(self, new: "LabelSet") -> list[int | None]:
        return [self.index.get(c) for c in new.labels]

    def output_names(self) -> list[str]:
        return list(self.labels)

    def describe(self) -> str:
        return f"{len(self.labels)} classes"


class ClassifyTask(Task):
    name = "classify"
    model_config = ClassifierModelConfig
    error_name = "1 - accuracy"
    target_kind = "label"
    output_layer = "classifier"
    label_smoothing = 0.0
    mixup = 0.0

    def for_model(self, m: ClassifierModelConfig) -> "ClassifyTask":
        if not (m.label_smoothing or m.mixup):
            return self
        task = copy.copy(self)
        task.label_smoothing, task.mixup = m.label_smoothing, m.mixup
        return task

    def fit_targets(self, domain, rows) -> LabelSet:
        return LabelSet(sorted({str(r.target) for r in rows}))

    def load_targets(self, domain, state: dict) -> LabelSet:
        return LabelSet(state["labels"])

    def legacy_targets(self, bundle: dict) -> dict | None:
        return {"labels": bundle["labels"]} if bundle.get("labels") else None

    def upgrade_config(self, raw: dict) -> dict:
        return {k: v for k, v in raw.items() if k != "decode"}  # older bundles carried the CTC decode section

    def build_backbone(self, m: ClassifierModelConfig, in_dim: int, targets: LabelSet):
        from ..models.sequence_classifier import SequenceClassifier

        return SequenceClassifier(in_dim, targets.n_out, rnn=m.rnn, layers=m.layers, hidden=m.hidden,
                                  bidirectional=m.bidirectional, dropout=m.dropout, pooling=m.pooling,
                                  input_proj=m.input_proj, deltas=m.deltas)

    def collate_targets(self, targets: list):
        import torch

        return torch.tensor(targets, dtype=torch.long), None

    def mix(self, batch, targets: LabelSet):
        """With ``mixup``: inputs and targets of the batch blended with the batch shuffled; the targets become
        class probabilities. Padded steps are zeros, so a pair spans the longer of its two lengths."""
        if not self.mixup or len(batch.ids) < 2:
            return batch
        import dataclasses

        import torch
        from torch.nn import functional as F

        lam = float(torch.distributions.Beta(self.mixup, self.mixup).sample())
        perm = torch.randperm(len(batch.ids), device=batch.inputs.device)
        inputs = lam * batch.inputs.float() + (1.0 - lam) * batch.inputs[perm].float()
        if not batch.inputs.is_floating_point():  # e.g. uint8 frames, which the frontend scales itself
            inputs = inputs.round()
        one_hot = F.one_hot(batch.targets, targets.n_out).float()
        return dataclasses.replace(batch, inputs=inputs.to(batch.inputs.dtype),
                                   lengths=torch.maximum(batch.lengths, batch.lengths[perm]),
                                   targets=lam * one_hot + (1.0 - lam) * one_hot[perm])

    def loss(self, out, out_lengths, batch, training=True):
        from torch.nn import functional as F

        smoothing = self.label_smoothing if training else 0.0  # validation: plain cross-entropy
        # mixed targets are class probabilities, which cross_entropy takes as they are
        return F.cross_entropy(out, batch.targets, label_smoothing=smoothing), []

    def hypotheses(self, out, out_lengths, targets, decoder=None) -> list:
        return list(out.detach().float().cpu())  # logits rows: top-k needs more than the argmax

    def average_views(self, outs):
        """Log of the mean class probability over the views (multi-clip testing, as `suite label` averages)."""
        import torch

        probs = torch.stack([o.float().softmax(dim=1) for o in outs]).mean(dim=0)
        return probs.clamp_min(1e-12).log()

    def batch_references(self, batch, targets) -> list[int]:
        return batch.targets.tolist()

    def metrics(self, references, hypotheses, targets: LabelSet) -> dict[str, Any]:
        import torch
        from torchmetrics.functional.classification import multiclass_accuracy, multiclass_confusion_matrix

        if not references:
            return {}
        logits, y, n = torch.stack(hypotheses), torch.tensor(references), targets.n_out
        acc = float(multiclass_accuracy(logits, y, num_classes=n, average="micro"))
        top5 = float(multiclass_accuracy(logits, y, num_classes=n, top_k=min(5, n), average="micro")) if n > 1 else acc
        present = torch.bincount(y, minlength=n) > 0
        per_class = multiclass_accuracy(logits, y, num_classes=n, average=None)
        confusion = multiclass_confusion_matrix(logits, y, num_classes=n).numpy()
        return {"error": 1.0 - acc, "accuracy": acc, "top5": top5,
                "mean_class_accuracy": float(per_class[present].mean()),
                "_confusion": confusion,
                "_per_class": {targets.labels[i]: round(float(per_class[i]), 6) for i in range(n) if present[i]}}

    def null_error(self, references, targets) -> float:
        if not references:
            return 1.0
        return 1.0 - Counter(references).most_common(1)[0][1] / len(references)

    def learned(self, error: float, null_error: float, samples: int | None = None) -> bool:
        above = (1 - error) > (1 - null_error) * 1.25 and error < null_error - 0.02
        if not above or not samples:
            return above
        # the best of many checks on a few samples: 4 of 10 clips right with 10 classes happens by chance
        # (video-scratch-10 tested at 9%), so the count of right answers must be unlikely under the null
        # model, where the sample count can show it at all
        right, chance = round((1 - error) * samples), 1 - null_error
        if chance ** samples >= CHANCE_LEVEL:  # even all right would be this likely by chance
            return True  # too few samples to tell: the margin above decides
        return binomial_tail(right, samples, chance) < CHANCE_LEVEL

    def results(self, out, out_lengths, targets: LabelSet, decoder, top_k: int = 5, **opts) -> list[dict]:
        probs = out.float().softmax(dim=1)
        k = min(top_k or 1, probs.shape[1])
        top = probs.topk(k, dim=1)
        return [{"label": targets.labels[int(i[0])], "confidence": round(float(p[0]), 4),
                 "top_k": [[targets.labels[int(j)], round(float(q), 4)] for q, j in zip(p, i)]}
                for p, i in zip(top.values, top.indices)]

    def explanation_score(self, out, out_lengths, targets, decoder):
        """For suite.explain: a scorer of output batches against the answer read from ``out`` (one sample)."""
        from ..explain_scores import classify_score

        return classify_score(out, out_lengths, targets, decoder)


TASK = ClassifyTask()


def confused(confusion, labels: list[str]) -> dict[str, dict[str, int]]:
    """The errors of a confusion matrix (rows: true class) by name, most frequent first:
    ``{true: {predicted: count}}`` for the classes that had any."""
    out = {}
    for i, row in enumerate(confusion):
        wrong = sorted(((int(c), labels[j]) for j, c in enumerate(row) if j != i and c), reverse=True)
        if wrong:
            out[labels[i]] = {name: c for c, name in wrong}
    return out
