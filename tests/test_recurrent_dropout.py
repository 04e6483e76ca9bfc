"""DropConnect on the recurrent weights (model.recurrent_dropout): training-only, weights and names unchanged."""
import pytest
import torch

from suite.models.ctc_encoder import CTCEncoder


def _batch():
    torch.manual_seed(0)
    return torch.randn(3, 20, 6), torch.tensor([20, 13, 7])


@pytest.mark.parametrize("rnn", ["lstm", "gru", "lstm_peephole"])
def test_eval_output_is_the_plain_models(rnn):
    x, lengths = _batch()
    torch.manual_seed(1)
    plain = CTCEncoder(6, 5, rnn=rnn, layers=2, hidden=8, dropout=0.0).eval()
    dropped = CTCEncoder(6, 5, rnn=rnn, layers=2, hidden=8, dropout=0.0, recurrent_dropout=0.5).eval()
    assert set(dropped.state_dict()) == set(plain.state_dict())  # old bundles load, new ones load without it
    dropped.load_state_dict(plain.state_dict())
    torch.testing.assert_close(dropped(x, lengths)[0], plain(x, lengths)[0])


@pytest.mark.parametrize("rnn", ["lstm", "gru", "lstm_peephole"])
@pytest.mark.parametrize("pack", ["padded", "packed"])
def test_training_drops_recurrent_weights_and_their_gradients_flow(rnn, pack):
    x, lengths = _batch()
    torch.manual_seed(1)
    model = CTCEncoder(6, 5, rnn=rnn, layers=2, hidden=8, dropout=0.0, pack=pack, recurrent_dropout=0.5).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    torch.manual_seed(2)
    a = model(x, lengths)[0]
    b = model(x, lengths)[0]
    assert not torch.allclose(a, b)  # a fresh mask per call
    a.sum().backward()
    for name, p in model.named_parameters():
        if "weight_hh" in name:
            assert p.grad is not None and p.grad.abs().sum() > 0, name
    for k, v in model.state_dict().items():  # the stored weights are never the dropped ones
        torch.testing.assert_close(v, before[k])
    # the first input-to-hidden map alone is not dropped: with recurrent_dropout 0 two calls agree
    model.rnn.recurrent_dropout = 0.0
    torch.testing.assert_close(model(x, lengths)[0], model(x, lengths)[0])


def test_invalid_rate_is_refused():
    with pytest.raises(ValueError, match="recurrent_dropout"):
        CTCEncoder(6, 5, recurrent_dropout=1.0)


def test_config_names_the_bad_key():
    from pydantic import ValidationError

    from suite.tasks.ctc import CTCModelConfig

    assert CTCModelConfig(recurrent_dropout=0.3).recurrent_dropout == 0.3
    with pytest.raises(ValidationError, match="recurrent_dropout"):
        CTCModelConfig(recurrent_dropout=1.5)
