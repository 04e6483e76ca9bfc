import pytest
import torch

from suite.models.ctc_encoder import CTCEncoder
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
@pytest.mark.parametrize("subsample,context", [(1, 0), (4, 0), (1, 2), (2, 3)])
def test_sequence_alone_equals_sequence_in_padded_batch(pack, subsample, context):
    torch.manual_seed(0)
    m = CTCEncoder(6, 5, subsample=subsample, subsample_channels=8, layers=3, hidden=10, pack=pack,
                   context_convs=context).eval()
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


@pytest.mark.parametrize("context", [0, 2])
def test_padding_content_does_not_leak(context):
    torch.manual_seed(2)
    m = CTCEncoder(4, 5, subsample=2, subsample_channels=8, layers=2, hidden=8, context_convs=context).eval()
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


def test_context_convs_keep_the_frame_rate_and_old_weights():
    """Same-rate convolutions change no output length; without them the weights' names are the old ones, so
    bundles saved before the option load as they are."""
    plain = CTCEncoder(4, 5, subsample=2, subsample_channels=8, layers=1, hidden=8)
    assert not any(k.startswith("subsampler.context") for k in plain.state_dict())
    wide = CTCEncoder(4, 5, subsample=2, subsample_channels=8, layers=1, hidden=8, context_convs=2, context_kernel=7)
    assert [tuple(c.weight.shape) for c in wide.subsampler.context] == [(8, 4, 7), (8, 8, 7)]
    x, lengths = padded_batch([21, 8], 4)
    assert wide(x, lengths)[1].tolist() == plain(x, lengths)[1].tolist() == [11, 4]


def test_an_even_context_kernel_is_refused_by_name():
    from pydantic import ValidationError

    from suite.tasks.ctc import CTCModelConfig

    with pytest.raises(ValidationError, match="context_kernel"):
        CTCModelConfig(context_convs=2, context_kernel=4)
