"""The CTC rule before training: output lengths come from the model itself (speech: samples -> frames -> subsampling)."""
from __future__ import annotations

import json

import numpy as np
import soundfile as sf
import torch

from suite.config import load_config
from suite.manifest import read_manifest
from suite.models import build_model
from suite.registry import get_domain
from suite.tasks import get_task
from suite.train import drop_untrainable, row_lengths
from tests.speech_toy import make_corpus


def test_a_label_too_long_for_its_audio_is_reported_before_training(tmp_path, capsys):
    manifest = make_corpus(tmp_path / "c", 6, seed=1, sr=16000)
    # 0.1 s of audio: 1600 samples, far more than the 40 characters, but only 11 feature frames and 6 output
    # frames after subsampling: a check that compared samples with characters let this through
    sf.write(tmp_path / "c/short.wav", np.zeros(1600, np.float32) + 0.01, 16000)
    with open(manifest, "a") as fh:
        fh.write(json.dumps({"id": "too-long", "audio": "short.wav", "text": "bad cab fed hag deaf head bad cab fed"}) + "\n")
    cfg = load_config("configs/speech-cpu.yaml", [f"data.train={manifest}"])
    domain, task = get_domain("speech"), get_task("ctc")
    rows = read_manifest(manifest, "audio", "text")
    targets = task.fit_targets(domain, rows)
    model = build_model(domain, task, cfg, targets)
    lengths = row_lengths(domain, rows, cfg.features)
    assert lengths[-1] == 1600  # the manifest's length unit for speech: samples at the model's rate
    assert int(model.output_lengths(torch.tensor([1600]))) == 6
    kept, _ = drop_untrainable(task, model, targets, rows, lengths, str(manifest))
    assert [r.id for r in kept] == [r.id for r in rows[:-1]]
    assert "1 sample(s) have labels longer than the model's output allows" in capsys.readouterr().err
    assert "too-long" not in [r.id for r in kept]
