"""The `features:` and `augment:` sections of forecast recipes (light: no torch)."""
from __future__ import annotations

from pydantic import Field

from suite.domain import StrictModel


class ForecastFeatures(StrictModel):
    """Inputs are the prepared series' columns as they are; the scaling lives in the model (fitted on the
    training part by the task), so there is nothing to set here yet."""


class ForecastAugment(StrictModel):
    """Training-only input perturbation (targets are never touched)."""

    noise: float = Field(0.0, ge=0, le=0.5)  # relative jitter: x * (1 + N(0, noise)) per value
