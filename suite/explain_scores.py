"""What an explanation explains: how sure the model is of its own answer, one function per kind of output.

Each function has the signature of ``Task.explanation_score(out, out_lengths, targets, decoder)``: given the
model's output for ONE input (batch of 1), it fixes the answer (the decoded text, the top class) and returns
a scorer ``(out [N, ...], out_lengths [N]) -> scores [N]`` that scores any batch of outputs (the
integrated-gradients path, masked copies of the input) for that same answer. The answer must stay fixed:
explaining "whatever the model says at each point of the path" would mix several answers.

Scores are probabilities in [0, 1], not log-probabilities: a log-probability swings by thousands of nats
between near-baseline inputs, and the path integral of its jagged gradient does not converge.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch.nn import functional as F

Scorer = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def ctc_score(out: torch.Tensor, out_lengths: torch.Tensor, targets, decoder) -> Scorer:
    """The transcript's confidence: the mean posterior of each emitted character on the frame where the
    decoder emitted it (what `--json` reports as ``confidence``).

    A mean over characters rather than P(text), a product: the relevance of P(text) piles up on the one
    word the model is least sure of, while the mean shares it between all the words that were read.
    An empty transcript explains P(all blanks).
    """
    hyp = decoder(out, out_lengths)[0]
    last = int(out_lengths[0]) - 1
    frames = torch.tensor([min(f, last) for f in hyp.frames], dtype=torch.long)
    tokens = torch.tensor(list(hyp.tokens), dtype=torch.long)

    def score(batch_out: torch.Tensor, batch_lengths: torch.Tensor) -> torch.Tensor:
        if len(tokens):
            return batch_out[:, frames.to(batch_out.device), tokens.to(batch_out.device)].float().exp().mean(1)
        n = batch_out.shape[0]
        blank = F.ctc_loss(batch_out.float().transpose(0, 1), torch.zeros(n, 0, dtype=torch.long),
                           batch_lengths.cpu().long(), torch.zeros(n, dtype=torch.long), reduction="none")
        return (-blank).exp()

    return score


def classify_score(out: torch.Tensor, out_lengths: torch.Tensor, targets, decoder) -> Scorer:
    """The probability (softmax) of the predicted class."""
    cls = int(out[0].argmax())

    def score(batch_out: torch.Tensor, batch_lengths: torch.Tensor) -> torch.Tensor:
        return batch_out.float().softmax(dim=1)[:, cls]

    return score
