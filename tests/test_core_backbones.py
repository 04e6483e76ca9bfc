import pytest
import torch

from suite.models import CNNLSTM, CTCEncoder
from suite.models.ctc_encoder import reverse_padded


def padded_batch(lengths, dim, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(len(lengths), max(lengths), dim)
    for i, n in enumerate(lengths):
        x[i, :n] = torch.randn(n, dim, generator=g)
    return x, torch.tensor(lengths)


@pytest.mark.parametrize("subsample", [1, 2, 4])
@pytest.mark.parametrize("rnn,bidirectional", [("lstm", True), ("gru", True), ("lstm", False)])
def test_ctc_encoder_shapes_and_lengths(subsample, rnn, bidirectional):
    m = CTCEncoder(10, 7, subsample=subsample, subsample_channels=8, rnn=rnn, layers=2, hidden=12,
                   bidirectional=bidirectional, input_proj=6).eval()
    x, lengths = padded_batch([40, 23, 9], 10)
    out, out_lengths = m(x, lengths)
    expected = lengths.clone()
    for _ in range({1: 0, 2: 1, 4: 2}[subsample]):
        expected = (expected - 1) // 2 + 1
    assert out.shape == (3, int(expected.max()), 7)
    assert out_lengths.tolist() == expected.tolist()
    assert torch.allclose(out.exp().sum(-1), torch.ones(out.shape[:2]), atol=1e-4)


@pytest.mark.parametrize("pack", ["padded", "packed"])
@pytest.mark.parametrize("subsample", [1, 4])
def test_sequence_alone_equals_sequence_in_padded_batch(pack, subsample):
    torch.manual_seed(0)
    m = CTCEncoder(6, 5, subsample=subsample, subsample_channels=8, layers=3, hidden=10, pack=pack).eval()
    x, lengths = padded_batch([50, 31, 12, 7], 6)
    out, out_lengths = m(x, lengths)
    for i, n in enumerate(lengths.tolist()):
        alone, alone_len = m(x[i:i + 1, :n], lengths[i:i + 1])
        assert alone_len.item() == out_lengths[i].item()
        torch.testing.assert_close(alone[0], out[i, : alone_len.item()], atol=1e-5, rtol=1e-5)


def test_packed_and_padded_paths_agree():
    torch.manual_seed(1)
    m = CTCEncoder(6, 5, layers=2, hidden=10).eval()
    x, lengths = padded_batch([30, 11, 4], 6)
    m.rnn.pack = "padded"
    a, la = m(x, lengths)
    m.rnn.pack = "packed"
    b, lb = m(x, lengths)
    for i, n in enumerate(la.tolist()):
        torch.testing.assert_close(a[i, :n], b[i, :n], atol=1e-5, rtol=1e-5)


def test_padding_content_does_not_leak():
    torch.manual_seed(2)
    m = CTCEncoder(4, 5, subsample=2, subsample_channels=8, layers=2, hidden=8).eval()
    x, lengths = padded_batch([20, 9], 4)
    noisy = x.clone()
    noisy[1, 9:] = 100.0  # garbage in the padding region
    a, la = m(x, lengths)
    b, _ = m(noisy, lengths)
    torch.testing.assert_close(a[1, : la[1]], b[1, : la[1]])


def test_reverse_padded_reverses_within_length():
    x = torch.arange(10.0).view(2, 5, 1)
    r = reverse_padded(x, torch.tensor([5, 3]))
    assert r[0, :, 0].tolist() == [4, 3, 2, 1, 0]
    assert r[1, :, 0].tolist() == [7, 6, 5, 8, 9]


@pytest.mark.parametrize("pooling", ["last", "mean", "attention"])
def test_cnn_lstm_shapes(pooling):
    m = CNNLSTM(5, cnn_channels=4, spatial_grid=2, feature_dim=16, hidden=8, pooling=pooling).eval()
    clips = torch.randn(2, 6, 3, 32, 32)
    logits, lengths = m(clips, torch.tensor([6, 3]))
    assert logits.shape == (2, 5)
    # a shorter clip gives the same result alone as padded in a batch
    alone, _ = m(clips[1:, :3], torch.tensor([3]))
    torch.testing.assert_close(alone[0], logits[1], atol=1e-5, rtol=1e-5)


def test_cnn_lstm_order_free_baseline_ignores_order():
    m = CNNLSTM(3, cnn_channels=4, spatial_grid=2, feature_dim=8, rnn="none").eval()
    clips = torch.randn(1, 5, 3, 16, 16)
    a, _ = m(clips, torch.tensor([5]))
    b, _ = m(clips.flip(1), torch.tensor([5]))
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_cnn_lstm_accepts_cached_features_and_freezes():
    m = CNNLSTM(3, cnn_channels=4, spatial_grid=1, feature_dim=8, freeze_cnn=True)
    m.train()
    assert not m.frames.training and all(not p.requires_grad for p in m.frames.parameters())
    feats = m.encode_frames(torch.randn(2, 4, 3, 16, 16))
    logits, _ = m(feats, torch.tensor([4, 2]))
    assert logits.shape == (2, 3)


def test_torchvision_cnn_by_name_with_local_weights(tmp_path):
    import torchvision

    from suite.errors import SuiteError

    weights = tmp_path / "rn18.pt"
    torch.save(torchvision.models.resnet18().state_dict(), weights)
    m = CNNLSTM(4, cnn="resnet18", cnn_weights=str(weights), spatial_grid=1, feature_dim=16, hidden=8).eval()
    logits, _ = m(torch.randn(1, 2, 3, 64, 64), torch.tensor([2]))
    assert logits.shape == (1, 4)
    with pytest.raises(SuiteError, match="not found"):
        CNNLSTM(4, cnn="resnet18", cnn_weights=str(tmp_path / "missing.pt"))
    with pytest.raises(SuiteError, match="unknown CNN"):
        CNNLSTM(4, cnn="no_such_net")
