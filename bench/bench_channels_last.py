"""Memory layout of the EfficientNet-Lite0 frame trunk: channels-last (what ``video.frames`` uses) vs the
default contiguous layout, for the two jobs that dominate a video training on a CPU: caching the frozen
blocks' maps (no grad) and a training step of the fine-tuned tail (forward + backward). Outputs agree."""
from __future__ import annotations

import torch

from video.efficientnet import EfficientNetLite0, load_pretrained

from .common import clock_name, compare, device, row

TARGET = 1.1  # channels-last must be at least this much faster to be worth the layout juggling
FIRST_TAIL = 11  # the default recipe fine-tunes blocks 11-15 (configs/video-cpu.yaml)


def run(quick: bool) -> dict:
    dev = device()
    torch.manual_seed(0)
    # one copy per layout, converted once: the timed calls only run them
    nets = {fmt: load_pretrained(EfficientNetLite0(7)).to(dev).eval().to(memory_format=fmt)
            for fmt in (torch.channels_last, torch.contiguous_format)}
    net = nets[torch.contiguous_format]
    rounds = 2 if quick else 4
    rows, details = [], {}
    for size in (128, 160):
        frames = torch.randn(5 * 8, 3, size, size, device=dev)  # one clip's 5 cached views x 8 frames
        with torch.no_grad():
            maps = net.forward_to(FIRST_TAIL, frames)
        batch = maps.repeat(3, 1, 1, 1)[: 16 * 8]  # a training batch: 16 clips x 8 frames

        inputs = {fmt: (frames.contiguous(memory_format=fmt), batch.contiguous(memory_format=fmt)) for fmt in nets}

        def cache(fmt):
            with torch.no_grad():
                return nets[fmt].forward_to(FIRST_TAIL, inputs[fmt][0])

        def step(fmt):
            nets[fmt].zero_grad(set_to_none=True)
            nets[fmt].forward_from(FIRST_TAIL, inputs[fmt][1]).float().square().mean().backward()

        diff = float((cache(torch.channels_last) - cache(torch.contiguous_format)).abs().max())
        details[f"max_abs_difference_{size}px"] = diff
        cl, plain = compare(lambda: cache(torch.channels_last), lambda: cache(torch.contiguous_format), rounds, dev)
        rows.append(row(f"cache 40 frames through the 11 frozen blocks, {size} px", "channels-last", cl,
                        "contiguous", plain, "s", ratio=plain / cl, target=TARGET,
                        target_text=f"channels-last >= {TARGET}x faster",
                        note=f"{clock_name(dev)}; outputs differ by at most {diff:.1e}"))
        cl, plain = compare(lambda: step(torch.channels_last), lambda: step(torch.contiguous_format), rounds, dev)
        rows.append(row(f"training step of the 5 fine-tuned blocks, 128 frames, {size} px", "channels-last", cl,
                        "contiguous", plain, "s", ratio=plain / cl, target=TARGET,
                        target_text=f"channels-last >= {TARGET}x faster", note=clock_name(dev)))
    return {"title": "Frame CNN memory layout (channels-last vs contiguous)", "device": str(dev), "rows": rows,
            "details": details}
