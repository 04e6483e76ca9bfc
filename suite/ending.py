"""What ended a training run, in one line: early stopping, or a budget that may have cut it short."""
from __future__ import annotations

SETTINGS = {"step budget": "train.max_steps", "time budget": "train.max_minutes", "epochs": "train.max_epochs"}


def how_training_ended(steps: int, max_steps: int, time_progress: float | None, stopper) -> tuple[str, str]:
    """``(kind, line)``; kind is "early stop", "step budget", "time budget" or "epochs".

    ``stopper`` is the run's PlateauAwareEarlyStopping (None without one). A run that left the null model's
    plateau and was ended by a budget before early stopping's rule was met says which setting to raise: on a
    slower machine the same minutes hold fewer updates.
    """
    if stopper is not None and stopper.stopped:
        return "early stop", f"training ended by early stopping after {steps} updates"
    if max_steps > 0 and steps >= max_steps:
        kind = "step budget"
    elif time_progress is not None and time_progress >= 1.0:
        kind = "time budget"
    else:
        kind = "epochs"
    line = f"training ended by its {kind} ({SETTINGS[kind]}) after {steps} updates"
    if stopper is not None and stopper.left_plateau and not stopper.plateau_seen:
        line += (f"; early stopping had seen no plateau yet (the best validation {stopper.waited} check(s) before "
                 f"the end, patience {stopper.patience}): a larger {SETTINGS[kind]} may help")
    return kind, line
