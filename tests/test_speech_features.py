"""The speech frontend: shapes, exactness under padding, normalization, MFCC, training-only augmentation."""
from __future__ import annotations

import pytest
import torch
from pydantic import ValidationError

from speech.config import SpeechAugment, SpeechFeatures
from speech.features import SpeechFrontend, build_frontend, frame_count, time_step_seconds


def _batch(lengths, seed=0):
    g = torch.Generator().manual_seed(seed)
    waves = [torch.randn(n, generator=g) * 0.1 for n in lengths]
    x = torch.zeros(len(waves), max(lengths))
    for i, w in enumerate(waves):
        x[i, : len(w)] = w
    return waves, x, torch.tensor(lengths)


def test_shapes_and_lengths():
    cfg = SpeechFeatures(sample_rate=8000, n_mels=40)
    fe, dim = build_frontend(cfg, None)
    _, x, lengths = _batch([8000, 4000])
    feats, n = fe.eval()(x, lengths)
    assert dim == 40 and feats.shape == (2, 101, 40)
    assert n.tolist() == [101, 51] == [frame_count(8000, cfg), frame_count(4000, cfg)]
    assert time_step_seconds(cfg) == pytest.approx(0.01)


def test_sequence_features_do_not_depend_on_padding():
    fe, _ = build_frontend(SpeechFeatures(sample_rate=16000), None)
    fe.eval()
    waves, x, lengths = _batch([16000, 9000, 3210])
    batch, n = fe(x, lengths)
    for i, w in enumerate(waves):
        alone, m = fe(w[None], torch.tensor([len(w)]))
        assert int(m[0]) == int(n[i])
        torch.testing.assert_close(batch[i, : n[i]], alone[0], atol=1e-4, rtol=1e-4)
        assert batch[i, n[i]:].abs().max() == 0 if n[i] < batch.shape[1] else True


def test_utterance_normalization_over_valid_frames():
    fe, _ = build_frontend(SpeechFeatures(sample_rate=8000, n_mels=32), None)
    _, x, lengths = _batch([8000, 3000])
    feats, n = fe.eval()(x * 100.0, lengths)  # loudness must not matter after normalization
    for i in range(2):
        valid = feats[i, : n[i]]
        assert valid.mean(0).abs().max() < 1e-4
        assert (valid.std(0, unbiased=False) - 1).abs().max() < 1e-2
    quiet, _ = fe(x, lengths)
    torch.testing.assert_close(quiet, feats, atol=2e-2, rtol=0)


def test_mfcc_option():
    cfg = SpeechFeatures(sample_rate=16000, kind="mfcc", n_mels=40, n_mfcc=13)
    fe, dim = build_frontend(cfg, None)
    _, x, lengths = _batch([16000])
    feats, _ = fe.eval()(x, lengths)
    assert dim == 13 and feats.shape[-1] == 13


def test_spec_augment_and_vtlp_only_in_training():
    aug = SpeechAugment(freq_masks=2, freq_mask_width=8, time_masks=2, time_mask_width=20, vtlp_prob=1.0)
    fe = SpeechFrontend(SpeechFeatures(sample_rate=8000, n_mels=40), aug)
    _, x, lengths = _batch([8000, 6000])
    fe.eval()
    a, _ = fe(x, lengths)
    b, _ = fe(x, lengths)
    torch.testing.assert_close(a, b)  # deterministic at evaluation
    torch.manual_seed(0)
    fe.train()
    c, n = fe(x, lengths)
    assert c.shape == a.shape and not torch.allclose(a, c)
    # masks only zero whole bands/spans; padding stays zero
    assert c[1, n[1]:].abs().max() == 0
    zero_bins = (c[0, : n[0]] == 0).all(dim=0).sum()
    assert 0 < zero_bins <= 16


def test_time_masks_never_exceed_ratio():
    aug = SpeechAugment(time_masks=1, time_mask_width=1000, time_mask_max_ratio=0.1)
    fe = SpeechFrontend(SpeechFeatures(sample_rate=8000, n_mels=20), aug).train()
    _, x, lengths = _batch([8000])
    for seed in range(5):
        torch.manual_seed(seed)
        feats, n = fe(x, lengths)
        zero_frames = (feats[0, : n[0]] == 0).all(dim=1).sum()
        assert zero_frames <= int(0.1 * int(n[0]))


def test_config_errors_are_validation_errors():
    with pytest.raises(ValidationError):
        SpeechFeatures(sample_rate=8000, f_max=6000)
    with pytest.raises(ValidationError):
        SpeechFeatures(kind="mfcc", n_mels=20, n_mfcc=30)
    with pytest.raises(ValidationError):
        SpeechAugment(speed_range=(1.2, 0.8))
    with pytest.raises(ValidationError):
        SpeechFeatures(hop=10)  # unknown key


def test_relative_floor_makes_features_level_independent():
    cfg = SpeechFeatures(sample_rate=8000, n_mels=32, log_floor_mode="relative", log_floor=1e-4)
    fe, _ = build_frontend(cfg, None)
    _, x, lengths = _batch([8000, 5000])
    x[:, 2000:3000] = 0.0  # digital silence, where an absolute floor would make level matter
    loud, n = fe.eval()(x, lengths)
    quiet, _ = fe(x * 1e-3, lengths)
    torch.testing.assert_close(loud, quiet, atol=1e-3, rtol=0)
    absolute, _ = build_frontend(SpeechFeatures(sample_rate=8000, n_mels=32, log_floor=1e-4), None)
    a, _ = absolute.eval()(x, lengths)
    b, _ = absolute(x * 1e-3, lengths)
    assert (a - b).abs().max() > 0.1
