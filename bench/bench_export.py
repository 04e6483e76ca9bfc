"""Benchmark 8, export: TorchScript (torch.jit.trace, frozen) vs eager PyTorch inference, with outputs
checked equal on a batch of other sizes than the one traced. First the two backbones (BiLSTM-CTC encoder
and CNN-LSTM), then each bundled model that is installed (its frontend included, on real inputs).

ONNX Runtime is compared too when the onnxruntime package is installed (it is not a dependency)."""
from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

import torch

from suite.models import SequenceModel
from suite.models.ctc_encoder import CTCEncoder
from suite.models.sequence_classifier import SequenceClassifier

from . import inputs
from .common import clock_name, compare, device, row
from .synthetic import Identity

TOL = 1e-4


def valid_max_diff(a: tuple, b: tuple) -> float:
    """Largest |difference| of two (out, lengths) results on valid frames (padding is don't-care)."""
    (oa, la), (ob, lb) = a, b
    if not torch.equal(la.cpu(), lb.cpu()):
        return float("inf")
    if oa.dim() == 3:
        mask = torch.arange(oa.shape[1], device=oa.device)[None] < la[:, None].to(oa.device)
        return float((oa - ob).abs()[mask].max())
    return float((oa - ob).abs().max())


def script(model: torch.nn.Module, example: tuple) -> torch.jit.ScriptModule:
    with torch.inference_mode(False), torch.no_grad():
        traced = torch.jit.trace(model.eval(), example, check_trace=False)
    return torch.jit.freeze(traced)


def compare_export(name: str, model: torch.nn.Module, trace_batch: tuple, test_batch: tuple, dev, quick: bool):
    model = model.to(dev).eval()
    trace_batch = tuple(t.to(dev) for t in trace_batch)
    test_batch = tuple(t.to(dev) for t in test_batch)
    try:
        ts = script(model, trace_batch)
    except Exception as err:  # noqa: BLE001 - report why the model does not export
        return row(name, "TorchScript", 0.0, "eager", 0.0, "batches/s", passed=False,
                   note=f"trace failed: {type(err).__name__}: {str(err).splitlines()[0][:120]}"), {}
    with torch.no_grad():
        eager_out = model(*test_batch)
        ts_out = ts(*test_batch)
        ts(*test_batch)  # the profiling executor specialises on the first calls
    diff = valid_max_diff(eager_out, ts_out)
    with torch.no_grad():
        t_ts, t_eager = compare(lambda: ts(*test_batch), lambda: model(*test_batch), rounds=2 if quick else 5,
                                dev=dev)
    detail = {"max_abs_diff": diff, "torchscript_s": t_ts, "eager_s": t_eager}
    onnx = onnx_runtime_time(model, trace_batch, test_batch, eager_out) if dev.type == "cpu" else None
    if onnx:
        detail["onnxruntime"] = onnx
    return row(name, "TorchScript", 1 / t_ts, "eager", 1 / t_eager, "batches/s", passed=diff <= TOL,
               target_text=f"outputs equal (|diff| <= {TOL:g})",
               note=f"max |diff| {diff:.1e} on a batch of other sizes than traced"), detail


def onnx_runtime_time(model, trace_batch, test_batch, eager_out) -> dict | None:
    if importlib.util.find_spec("onnxruntime") is None:
        return None
    import onnxruntime as ort

    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "m.onnx"
            torch.onnx.export(model, trace_batch, str(path), input_names=["x", "lengths"],
                              output_names=["out", "out_lengths"], dynamo=False,
                              dynamic_axes={"x": {0: "B", 1: "T"}, "lengths": {0: "B"}, "out": {0: "B", 1: "T"}})
            sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        feed = {"x": test_batch[0].cpu().numpy(), "lengths": test_batch[1].cpu().numpy()}
        out = sess.run(None, feed)
        diff = valid_max_diff(eager_out, (torch.from_numpy(out[0]), torch.from_numpy(out[1])))
        t, _ = compare(lambda: sess.run(None, feed), lambda: None, rounds=3)
        return {"max_abs_diff": diff, "seconds": t}
    except Exception as err:  # noqa: BLE001
        return {"error": f"{type(err).__name__}: {str(err).splitlines()[0][:120]}"}


def cnn_lstm(num_classes: int, *, hidden: int, **frames) -> SequenceModel:
    """The video CNN-LSTM as the trainer builds it: the video frontend (normalise + per-frame CNN), then the
    core's sequence classifier (as tests/test_video_model.py builds it)."""
    from video.config import VideoFeatures
    from video.frontend import VideoFrontend
    from video.model_config import VideoModel

    vm = VideoModel(**frames)
    return SequenceModel(VideoFrontend(VideoFeatures(), vm), SequenceClassifier(vm.feature_dim, num_classes,
                                                                                hidden=hidden))


def ctc_batches(dim: int, sizes: tuple[list[int], list[int]]):
    gen = torch.Generator().manual_seed(0)
    out = []
    for lens in sizes:
        x = torch.zeros(len(lens), max(lens), dim)
        for i, t in enumerate(lens):
            x[i, :t] = torch.randn(t, dim, generator=gen)
        out.append((x, torch.tensor(lens)))
    return out


def run(quick: bool) -> dict:
    dev = device()
    torch.manual_seed(0)
    rows, details = [], {}
    ctc = SequenceModel(Identity(), CTCEncoder(40, 29, subsample=2, subsample_channels=128, layers=3, hidden=128))
    tr, te = ctc_batches(40, ([300, 250, 120, 280], [400, 390, 77, 150, 333, 10, 260, 200]))
    r, d = compare_export("BiLSTM-CTC encoder (conv/2 + 3x128), batch 8, 10-400 frames", ctc, tr, te, dev, quick)
    rows.append(r)
    details["ctc_encoder"] = d
    clip = cnn_lstm(10, cnn="small", cnn_channels=16, spatial_grid=2, feature_dim=128, hidden=128)
    gen = torch.Generator().manual_seed(1)
    trc = (torch.randn(2, 8, 3, 64, 64, generator=gen), torch.tensor([8, 5]))
    tec = (torch.randn(4, 12, 3, 64, 64, generator=gen), torch.tensor([12, 3, 9, 12]))
    r, d = compare_export("CNN-LSTM (small CNN, 1x128 LSTM), 4 clips of 3-12 frames 64x64", clip, trc, tec, dev,
                          quick)
    rows.append(r)
    details["cnn_lstm"] = d
    for domain in inputs.BUNDLES:
        if inputs.bundle_path(domain) is None:
            continue
        name = inputs.model_name(domain)
        try:
            predictor = inputs.load_model(domain)
            xs = [predictor.load_file(f) for f in inputs.sample_files(domain, 8)]
        except Exception as err:  # noqa: BLE001 - one model's failure must not hide the others' figures
            rows.append(row(f"bundled {name}", "TorchScript", 0.0, "eager", 0.0, "batches/s", passed=False,
                            note=f"could not load model or inputs: {type(err).__name__}: {str(err)[:120]}"))
            continue
        # traced on 4 inputs, checked on the 4 others (other batch shape)
        r, d = compare_export(f"bundled {name} (frontend + backbone), 4 real inputs", predictor.model,
                              inputs.padded(xs[:4]), inputs.padded(xs[4:]), dev, quick)
        rows.append(r)
        details[name] = d
    missing = inputs.missing_bundles()
    if missing:
        details["bundled_models_not_installed"] = missing
    return {"title": "Export (TorchScript vs eager)", "device": str(dev), "rows": rows, "details": details,
            "clock": clock_name(dev)}
