"""The verdict at the end of a run: did the model learn anything?

A run whose best validation error is no better than the task's null model (an empty transcript, the
majority class, ...) or whose training loss never fell ends with one clear line, the likely causes and
the settings to try, and exit code :data:`NOTHING_LEARNED`. The bundle is still written with the verdict
in its metrics, and inference warns when it loads such a bundle.
"""
from __future__ import annotations

import sys

NOTHING_LEARNED = 3  # `suite train` exit code of a run that learned nothing (2 is a user error)

ADVICE = ("likely causes: too few updates for the corpus (raise train.max_steps / train.max_minutes or "
          "train.min_steps), a learning rate too high or too low (train.optim.lr), labels that do not match "
          "the inputs, a corpus too small for a model trained from scratch (try --init with a bundled model), or "
          "a validation set too small to tell learning from luck (a larger data.valid or data.valid_fraction)")


def loss_fell(trace: list[float]) -> bool:
    """Whether the training loss of the last tenth of the run is clearly under that of the first tenth."""
    if len(trace) < 4:
        return True  # too short to judge
    k = max(1, len(trace) // 10)
    first, last = sum(trace[:k]) / k, sum(trace[-k:]) / k
    return last < 0.97 * first


def judge(task, best_error: float | None, null_error: float | None, trace: list[float],
          samples: int | None = None) -> str | None:
    """None when the run learned something, else the reason in a few words. The validation (of ``samples``
    inputs) decides when there is one; the training loss only when there is none."""
    if best_error is None or null_error is None:
        return None if loss_fell(trace) else "the training loss never fell (and no validation ran)"
    if not task.learned(best_error, null_error, samples):
        on = f" on {samples} validation samples" if samples else ""
        return (f"the best validation {task.error_name} {best_error:.3f}{on} is no better than a model that "
                f"learned nothing ({null_error:.3f})")
    return None


def report(reason: str) -> None:
    print(f"verdict: NOTHING LEARNED: {reason}; {ADVICE}", file=sys.stderr, flush=True)


def warn_if_untrained(metrics: dict, source: str) -> None:
    """Inference on a bundle whose training learned nothing: one warning."""
    if metrics.get("verdict"):
        print(f"warning: {source}: this model learned nothing in training ({metrics['verdict']}); "
              "its outputs are not meaningful", file=sys.stderr)
