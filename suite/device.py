"""Device selection, done once, here: CUDA (cuDNN, bf16 autocast, pinned memory) when present, else CPU."""
from __future__ import annotations

import contextlib

import torch


def select_device(preference: str = "auto") -> torch.device:
    if preference in ("auto", "gpu", "cuda") and torch.cuda.is_available():
        torch.backends.cudnn.benchmark = True
        return torch.device("cuda")
    if preference in ("gpu", "cuda"):
        from .errors import SuiteError

        raise SuiteError("a GPU was asked for but CUDA is not available")
    return torch.device("cpu")


def lightning_precision(precision: str, device: torch.device) -> str:
    """'auto' means bf16 autocast on a GPU that supports it, fp32 on CPU."""
    if precision != "auto":
        return precision
    if device.type == "cuda":
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    return "32-true"


def autocast(device: torch.device, precision: str = "auto"):
    """Autocast context for inference outside Lightning."""
    prec = lightning_precision(precision, device)
    if device.type == "cuda" and prec.startswith(("bf16", "16")):
        dtype = torch.bfloat16 if prec.startswith("bf16") else torch.float16
        return torch.autocast("cuda", dtype=dtype)
    return contextlib.nullcontext()


def pin_memory(device: torch.device) -> bool:
    return device.type == "cuda"
