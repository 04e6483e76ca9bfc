"""PeepholeLSTM (suite.models.peephole): the equations, nn.LSTM equivalence, exactness under padding,
TorchScript (script and trace), and the hand-written backward pass."""
import io

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from suite.models.ctc_encoder import reverse_padded
from suite.models.peephole import PeepholeLSTM, _PeepholeFunction, peephole_scan


def reference(cell, x, h=None, c=None):
    """The equations, one step at a time, one gate at a time (x [B, T, F] -> [B, T, H], h_T, c_T)."""
    H = cell.hidden_size
    W_x = dict(zip("ifco", cell.weight_ih.split(H)))  # nn.LSTM's gate order: i, f, g(=c), o
    W_h = dict(zip("ifco", cell.weight_hh.split(H)))
    b = dict(zip("ifco", cell.bias.split(H)))
    w_ci, w_cf, w_co = cell.weight_peephole
    B = x.shape[0]
    h = torch.zeros(B, H) if h is None else h
    c = torch.zeros(B, H) if c is None else c
    outs = []
    for t in range(x.shape[1]):
        x_t = x[:, t]
        i = torch.sigmoid(x_t @ W_x["i"].T + h @ W_h["i"].T + w_ci * c + b["i"])
        f = torch.sigmoid(x_t @ W_x["f"].T + h @ W_h["f"].T + w_cf * c + b["f"])
        c = f * c + i * torch.tanh(x_t @ W_x["c"].T + h @ W_h["c"].T + b["c"])
        o = torch.sigmoid(x_t @ W_x["o"].T + h @ W_h["o"].T + w_co * c + b["o"])
        h = o * torch.tanh(c)
        outs.append(h)
    return torch.stack(outs, 1), h, c


def padded_batch(lengths, dim, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(len(lengths), max(lengths), dim)
    for i, n in enumerate(lengths):
        x[i, :n] = torch.randn(n, dim, generator=g)
    return x, torch.tensor(lengths)


def with_peepholes(m, scale=0.5):
    """Peephole weights large enough that dropping them would show."""
    with torch.no_grad():
        for cell in m.cells:
            cell.weight_peephole.uniform_(-scale, scale)
    return m


def test_equals_step_by_step_reference_and_peepholes_matter():
    torch.manual_seed(0)
    m = with_peepholes(PeepholeLSTM(6, 9))
    x = torch.randn(4, 17, 6)
    h0, c0 = torch.randn(1, 4, 9), torch.randn(1, 4, 9)
    out, (h_n, c_n) = m(x, (h0, c0))
    ref, ref_h, ref_c = reference(m.cells[0], x, h0[0], c0[0])
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=0)
    torch.testing.assert_close(h_n[0], ref_h, atol=1e-5, rtol=0)
    torch.testing.assert_close(c_n[0], ref_c, atol=1e-5, rtol=0)
    # the peephole terms are used: without them the result is different
    with torch.no_grad():
        m.cells[0].weight_peephole.zero_()
    assert (m(x, (h0, c0))[0] - out).abs().max() > 1e-2


@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, True)])
def test_zero_peepholes_equal_nn_lstm(layers, bidirectional, packed):
    """Same gate weights, no peepholes: nn.LSTM's equations (gate order i, f, g, o in both)."""
    torch.manual_seed(1)
    lstm = nn.LSTM(5, 7, num_layers=layers, bidirectional=bidirectional, batch_first=True)
    m = PeepholeLSTM(5, 7, num_layers=layers, bidirectional=bidirectional)
    with torch.no_grad():
        for k, cell in enumerate(m.cells):
            sfx = f"_l{k // (2 if bidirectional else 1)}" + ("_reverse" if bidirectional and k % 2 else "")
            cell.weight_ih.copy_(getattr(lstm, "weight_ih" + sfx))
            cell.weight_hh.copy_(getattr(lstm, "weight_hh" + sfx))
            cell.bias.copy_(getattr(lstm, "bias_ih" + sfx) + getattr(lstm, "bias_hh" + sfx))
            cell.weight_peephole.zero_()
    x, lengths = padded_batch([13, 4, 9], 5)
    if packed:  # unsorted lengths: the batch order of output and h_n is the caller's
        inp = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        (a, (ha, ca)), (b, (hb, cb)) = m(inp), lstm(inp)
        a, b = pad_packed_sequence(a, batch_first=True)[0], pad_packed_sequence(b, batch_first=True)[0]
    else:
        (a, (ha, ca)), (b, (hb, cb)) = m(x), lstm(x)
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ha, hb, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ca, cb, atol=1e-5, rtol=1e-5)


def bidirectional_as_recurrent_stack(fwd, bwd, x, lengths):
    """What RecurrentStack does on CPU: forward on the padded batch, backward on each sequence reversed."""
    out_f = fwd(x)[0]
    out_b = reverse_padded(bwd(reverse_padded(x, lengths))[0], lengths)
    return torch.cat([out_f, out_b], 2)


def test_sequence_alone_equals_sequence_in_padded_batch():
    torch.manual_seed(2)
    fwd, bwd = with_peepholes(PeepholeLSTM(4, 8)), with_peepholes(PeepholeLSTM(4, 8))
    x, lengths = padded_batch([21, 5, 14, 1], 4)
    x[1, 5:] = 100.0  # garbage in the padding must not reach valid steps
    batch = bidirectional_as_recurrent_stack(fwd, bwd, x, lengths)
    for i, n in enumerate(lengths.tolist()):
        alone = bidirectional_as_recurrent_stack(fwd, bwd, x[i:i + 1, :n], lengths[i:i + 1])
        torch.testing.assert_close(alone[0], batch[i, :n], atol=1e-6, rtol=1e-6)
    # the PackedSequence path (the CUDA path of RecurrentStack) gives the same valid steps
    packed = fwd(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))[0]
    packed = pad_packed_sequence(packed, batch_first=True)[0]
    for i, n in enumerate(lengths.tolist()):
        torch.testing.assert_close(packed[i, :n], batch[i, :n, :8], atol=1e-6, rtol=1e-6)


def test_torchscript_script_and_trace():
    torch.manual_seed(3)
    m = with_peepholes(PeepholeLSTM(5, 6, num_layers=2, bidirectional=True)).eval()
    x = torch.randn(3, 12, 5)
    scripted = torch.jit.script(m)
    out, (h, c) = m(x)
    s_out, (s_h, s_c) = scripted(x)
    torch.testing.assert_close(s_out, out, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(s_h, h, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(s_c, c, atol=1e-6, rtol=1e-6)
    # trace, as bundles are exported: the time loop stays a loop, so other lengths and batch sizes work
    with torch.no_grad():
        traced = torch.jit.freeze(torch.jit.trace(m, (torch.randn(2, 7, 5),), check_trace=False))
    other = torch.randn(4, 19, 5)
    buf = io.BytesIO()
    torch.jit.save(traced, buf)
    buf.seek(0)
    loaded = torch.jit.load(buf)
    torch.testing.assert_close(loaded(other)[0], m(other)[0], atol=1e-6, rtol=1e-6)


def test_gradients_flow_and_match_autograd():
    torch.manual_seed(4)
    m = with_peepholes(PeepholeLSTM(5, 6, num_layers=2, bidirectional=True))
    x = torch.randn(3, 10, 5, requires_grad=True)
    out, (h_n, c_n) = m(x)
    loss = out.pow(2).sum() + h_n.sum() + c_n.pow(2).sum()
    loss.backward()
    grads = {n: p.grad.clone() for n, p in m.named_parameters()}
    for name, g in grads.items():
        assert torch.isfinite(g).all() and g.abs().sum() > 0, name
    # the hand-written BPTT (eager) equals autograd through the scripted loop (used when the module is scripted)
    scripted = torch.jit.script(m)
    m.zero_grad()
    x2 = x.detach().clone().requires_grad_(True)
    out, (h_n, c_n) = scripted(x2)
    (out.pow(2).sum() + h_n.sum() + c_n.pow(2).sum()).backward()
    for name, p in m.named_parameters():
        torch.testing.assert_close(p.grad, grads[name], atol=1e-5, rtol=1e-4, msg=name)
    torch.testing.assert_close(x2.grad, x.grad, atol=1e-5, rtol=1e-4)


def test_handwritten_backward_gradcheck():
    """Finite differences in float64, for every input of the recurrence (also the initial state)."""
    g = torch.Generator().manual_seed(5)
    T, B, H = 5, 2, 3
    args = [torch.randn(*s, generator=g, dtype=torch.float64).requires_grad_(True)
            for s in [(T, B, 4 * H), (4 * H, H), (3, H), (B, H), (B, H)]]
    assert torch.autograd.gradcheck(_PeepholeFunction.apply, args)
    # and against autograd of the scripted loop
    hs, cs = _PeepholeFunction.apply(*args)
    w = torch.randn(hs.shape, generator=g, dtype=torch.float64)
    ours = torch.autograd.grad((hs * w).sum() + cs.sum(), args)
    hs, cs = peephole_scan(*args)
    theirs = torch.autograd.grad((hs * w).sum() + cs.sum(), args)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b)


def test_forget_gate_bias_starts_at_one_and_inference_path_agrees():
    torch.manual_seed(6)
    m = PeepholeLSTM(3, 4)
    assert torch.equal(m.cells[0].bias[4:8], torch.ones(4))
    assert not torch.equal(m.cells[0].bias[:4], torch.ones(4))
    x = torch.randn(2, 8, 3)
    with torch.no_grad():  # no_grad runs the plain scripted loop, training the autograd.Function
        a = m(x)[0]
    torch.testing.assert_close(m(x)[0].detach(), a)
