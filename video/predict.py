"""Video inference behind `suite label` and ``Predictor.predict``: multi-clip score averaging for a
whole clip, and a sliding window along longer videos for timelines and probability plots."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from suite.errors import SuiteError

from .config import VideoFeatures
from .decode import read_sampled
from .loader import open_video
from .motion import frame_indices, model_clip
from .sampling import segment_indices, window_starts
from .transforms import apply_transform


def _clips_from_frames(frames: np.ndarray, n_clips: int, features: VideoFeatures,
                       read: list[int]) -> list[torch.Tensor]:
    """``n_clips`` model inputs from decoded ``frames``, read at ``read`` (``frame_indices``: with
    ``features.motion`` every frame is followed by its flow partner)."""
    clip_tensor = torch.from_numpy(frames).permute(0, 3, 1, 2).contiguous()
    size = len(frames) // n_clips
    return [model_clip(apply_transform(c, features, None), read[k * size:(k + 1) * size], features)
            for k, c in enumerate(clip_tensor.split(size))]


def _probs(predictor, clips: list[torch.Tensor], batch_size: int) -> torch.Tensor:
    out = []
    for i in range(0, len(clips), batch_size):
        logits, _ = predictor.run(clips[i:i + batch_size])
        out.append(logits.softmax(dim=1).cpu())
    return torch.cat(out)


def _top(labels: list[str], probs: torch.Tensor, k: int) -> dict:
    k = max(1, min(k, len(labels)))
    values, indices = probs.topk(k)
    return {"label": labels[int(indices[0])], "confidence": round(float(values[0]), 4),
            "top_k": [[labels[int(i)], round(float(v), 4)] for v, i in zip(values, indices)]}


def _segments(starts: list[int], win: int, stride: int, n_frames: int, fps: float, probs: torch.Tensor,
              labels: list[str]) -> list[dict]:
    """Merge consecutive windows with the same top label. Each window owns the stretch of time nearest its
    centre, so segments tile the video without overlapping."""
    centres = [s + min(win, n_frames) / 2 for s in starts]
    bounds = [0.0] + [(a + b) / 2 for a, b in zip(centres, centres[1:])] + [float(n_frames)]
    top = probs.argmax(dim=1).tolist()
    segments: list[dict] = []
    for i, cls in enumerate(top):
        if segments and segments[-1]["_cls"] == cls:
            seg = segments[-1]
            seg["end"] = bounds[i + 1] / fps
            seg["_p"].append(float(probs[i, cls]))
        else:
            segments.append({"start": bounds[i] / fps, "end": bounds[i + 1] / fps, "label": labels[cls],
                             "_cls": cls, "_p": [float(probs[i, cls])]})
    return [{"start": round(s["start"], 3), "end": round(s["end"], 3), "label": s["label"],
             "confidence": round(sum(s["_p"]) / len(s["_p"]), 4)} for s in segments]


def _plot_path(plot: str, file: str, many: bool) -> str:
    if not many:
        return plot
    p = Path(plot)
    return str(p.with_name(f"{p.stem}_{Path(file).stem}{p.suffix or '.png'}"))


def _one(predictor, file: str, *, batch_size: int, top_k: int, clips: int | None, timeline: bool,
         plot: str | None, window: float | None, stride: float | None, many: bool) -> dict:
    features: VideoFeatures = predictor.config.features
    labels = predictor.labels
    n = features.num_frames
    read: list[int] = []  # the frame indices read, in order (with motion: each frame's flow partner after it)
    with open_video(file, features) as reader:
        fps = reader.info.fps
        if not (timeline or plot):
            k = clips or features.test_clips

            def sample_clips(total: int) -> list[int]:
                read[:] = frame_indices(features, fps, total, [i for c in range(k) for i in segment_indices(total, n, None, c, k)])
                return read

            frames = read_sampled(reader, sample_clips, features.decode_side)
            probs = _probs(predictor, _clips_from_frames(frames, k, features, read), batch_size).mean(dim=0)
            result = {"file": file, **_top(labels, probs, top_k)}
            shown = "" if top_k <= 1 else "\t" + " ".join(f"{lab}:{p:.3f}" for lab, p in result["top_k"][1:])
            result["display"] = f"{file}\t{result['label']}\t{result['confidence']:.3f}{shown}"
            return result
        window_s = window or features.window_seconds
        stride_s = stride or window_s / 2
        if window_s <= 0 or stride_s <= 0:
            raise SuiteError("--window and --stride must be positive")
        win, step = max(1, round(window_s * fps)), max(1, round(stride_s * fps))
        layout: dict = {}

        def sample(total: int) -> list[int]:
            layout["total"] = total
            layout["starts"] = window_starts(total, win, step)
            read[:] = frame_indices(features, fps, total,
                                    [i for s in layout["starts"] for i in segment_indices(total, n, start=s, end=s + win)])
            return read

        frames = read_sampled(reader, sample, features.decode_side)
    total, starts = layout["total"], layout["starts"]
    probs = _probs(predictor, _clips_from_frames(frames, len(starts), features, read), batch_size)
    result = {"file": file, **_top(labels, probs.mean(dim=0), top_k),
              "segments": _segments(starts, win, step, total, fps, probs, labels)}
    lines = [f"{file}\t{result['label']}\t{result['confidence']:.3f}"]
    lines += [f"  {s['start']:8.2f}-{s['end']:.2f}s\t{s['label']}\t{s['confidence']:.3f}" for s in result["segments"]]
    result["display"] = "\n".join(lines)
    if plot:
        from .plots import plot_timeline

        times = [(s + min(win, total) / 2) / fps for s in starts]
        path = _plot_path(plot, file, many)
        plot_timeline(np.array(times), probs.numpy(), labels, path, title=Path(file).name)
        result["plot"] = path
    return result


def _explain(predictor, file: str, out_png: str, many: bool) -> str:
    """Integrated-gradients relevance of each frame of the clip the model sees (the centred TSN clip)."""
    from suite.explain import explain

    from .explain_plot import draw_explanation

    clip = predictor.load_file(file)
    e = explain(predictor, [clip])[0]
    path = Path(out_png)
    if many:
        path = path.with_name(f"{path.stem}-{Path(file).stem}.png")
    return str(draw_explanation(file, clip, e.relevance, e.result, path))


def predict(predictor, files: list[str], batch_size: int = 16, top_k: int = 1, clips: int | None = None,
            timeline: bool = False, plot: str | None = None, window: float | None = None,
            stride: float | None = None, explain: str | None = None, **_) -> list[dict]:
    """One result per file; unreadable files give ``{"file", "error"}`` and the rest still run."""
    if clips is not None and clips < 1:
        raise SuiteError("--clips must be at least 1")
    if top_k < 1:
        raise SuiteError("--top-k must be at least 1")
    results = []
    for file in files:
        try:
            results.append(_one(predictor, file, batch_size=batch_size, top_k=top_k, clips=clips,
                                timeline=timeline, plot=plot, window=window, stride=stride, many=len(files) > 1))
            if explain:
                results[-1]["explain"] = _explain(predictor, file, explain, many=len(files) > 1)
        except SuiteError as err:
            results.append({"file": file, "error": str(err)})
    return results
