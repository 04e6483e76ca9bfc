"""The domain side of the benchmarks: which domains are installed, their CPU recipe, and a training step."""
from __future__ import annotations

from pathlib import Path

import torch

from suite.config import load_config

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"speech": "audio", "handwriting": "ink", "video": "video"}


def recipe(domain: str, overrides: list[str]):
    """The domain's CPU recipe from configs/ (the GPU one, or the defaults, if it has none) + overrides."""
    for name in (f"{domain}-cpu.yaml", f"{domain}.yaml"):
        path = ROOT / "configs" / name
        if path.is_file():
            return load_config(path, overrides), path.name
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
        fh.write(f"task: {domain}\n")
    try:
        return load_config(fh.name, overrides), "defaults"
    finally:
        Path(fh.name).unlink()


class Stepper:
    """One optimisation step of the suite's own loss (suite.lightning_module.SuiteModule._loss), outside
    Lightning. ``targets``: the task's target space (``task.fit_targets``)."""

    def __init__(self, cfg, targets, dev: torch.device):
        from suite.lightning_module import SuiteModule

        self.module = SuiteModule(cfg.model_dump(mode="json"), targets.state()).to(dev).train()
        self.dev = dev
        self.opt = torch.optim.AdamW(self.module.parameters(), lr=1e-4)

    def __call__(self, batch) -> None:
        if not batch.ids:
            return
        batch.inputs = batch.inputs.to(self.dev)
        batch.lengths = batch.lengths.to(self.dev)
        batch.targets = batch.targets.to(self.dev)
        if batch.target_lengths is not None:
            batch.target_lengths = batch.target_lengths.to(self.dev)
        loss, _, _ = self.module._loss(batch, training=True)
        self.opt.zero_grad(set_to_none=True)
        if torch.isfinite(loss):
            loss.backward()
            self.opt.step()
        if self.dev.type == "cuda":
            torch.cuda.synchronize(self.dev)
