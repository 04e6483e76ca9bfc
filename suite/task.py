"""What a domain's data means to the trainer: vocabulary or label list, and target encoding."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .domain import ctc_vocab
from .errors import SuiteError
from .manifest import Row


def identity(text: str) -> str:
    return text


@dataclass
class Targets:
    """Vocabulary (ctc) or labels (classify), and how manifest targets become tensors."""

    kind: str
    symbols: list[str]  # ctc: characters (token id = index + 1); classify: class labels
    normalize: object = None

    @classmethod
    def from_rows(cls, domain, rows: list[Row]) -> "Targets":
        if domain.kind == "ctc":
            norm = domain.normalize_text or identity
            return cls("ctc", ctc_vocab([norm(str(r.target)) for r in rows]), norm)
        return cls("classify", sorted({str(r.target) for r in rows}))

    @property
    def n_out(self) -> int:
        return len(self.symbols) + 1 if self.kind == "ctc" else len(self.symbols)

    def encoder(self):
        """A picklable callable: manifest target -> tensor (ctc) or class index."""
        if self.kind == "ctc":
            return CTCTargetEncoder(self.symbols, self.normalize)
        return LabelEncoder(self.symbols)


class CTCTargetEncoder:
    def __init__(self, vocab: list[str], normalize):
        self.index = {c: i + 1 for i, c in enumerate(vocab)}
        self.normalize = normalize or identity

    def __call__(self, text) -> torch.Tensor:
        ids = [self.index[c] for c in self.normalize(str(text)) if c in self.index]
        if not ids:
            raise SuiteError(f"transcript {text!r} has no character of the vocabulary")
        return torch.tensor(ids, dtype=torch.long)

    def text(self, text) -> str:
        return "".join(c for c in self.normalize(str(text)) if c in self.index)


class LabelEncoder:
    def __init__(self, labels: list[str]):
        self.index = {c: i for i, c in enumerate(labels)}

    def __call__(self, label) -> int:
        if str(label) not in self.index:
            raise SuiteError(f"label {label!r} is not one the model knows")
        return self.index[str(label)]
