"""Loss scaling for float16 training: the scaler itself, and one training step of a
pipeline whose component offers one (on the CPU, where the arithmetic is the same)."""

from __future__ import annotations

import pytest
import torch
from pydantic import ValidationError

import treadle
from treadle.ml import fix_random_seed
from treadle.ml.grad_scaler import GradScaler, GradScalerSettings
from treadle.ml.optimizers import SGD
from treadle.tokens.example import Example
from treadle.training.checkpoint import TrainingState, grad_scaler_states, restore_grad_scalers

SENTS = [("the cat sat", ["D", "N", "V"]), ("a dog ran far", ["D", "N", "V", "R"])] * 3


def test_unscale_divides_gradients_and_reports_overflow():
    scaler = GradScaler({"init_scale": 8.0})
    w = torch.ones(3, requires_grad=True)
    scaler.scale_loss((w * torch.tensor([1.0, 2.0, 3.0])).sum()).backward()
    assert w.grad.tolist() == [8.0, 16.0, 24.0]
    assert scaler.unscale_([w]) is False
    assert w.grad.tolist() == [1.0, 2.0, 3.0]
    w.grad = torch.tensor([1.0, float("inf"), 0.0])
    assert scaler.unscale_([w, torch.zeros(2, requires_grad=True)]) is True


def test_update_backs_off_on_overflow_and_grows_after_clean_steps():
    scaler = GradScaler({"init_scale": 16.0, "growth_interval": 3})
    scaler.update(found_inf=True)
    assert scaler.scale == 8.0
    for _ in range(2):
        scaler.update(found_inf=False)
    assert scaler.scale == 8.0
    scaler.update(found_inf=False)
    assert scaler.scale == 16.0 and scaler.growth_tracker == 0
    state = scaler.state_dict()
    other = GradScaler()
    other.load_state_dict(state)
    assert other.state_dict() == state


@pytest.mark.parametrize(
    "bad", [{"init_scale": 0}, {"growth_factor": 1.0}, {"backoff_factor": 1.5}, {"growth_intervl": 5}]
)
def test_settings_are_checked(bad):
    with pytest.raises(ValidationError):
        GradScalerSettings(**bad)


def _tagger_nlp():
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe("tagger", config={"model": {"@architectures": "treadle.Tagger.v1", "nO": None,
        "tok2vec": {"@architectures": "treadle.HashEmbedCNN.v1", "width": 16, "depth": 1,
                    "embed_size": 100, "window_size": 1, "maxout_pieces": 2,
                    "subword_features": False, "pretrained_vectors": None}}})  # fmt: skip
    examples = [Example.from_dict(nlp.make_doc(t), {"tags": tags}) for t, tags in SENTS]
    nlp.initialize(lambda: examples)
    return nlp, examples


def _params(nlp) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in nlp.get_pipe("tagger").model.state_dict().items()}


def test_scaled_step_equals_the_unscaled_one():
    """With plain SGD a gradient left scaled would move the weights 1024x as far."""
    plain, examples = _tagger_nlp()
    scaled, _ = _tagger_nlp()
    scaler = GradScaler({"init_scale": 1024.0})
    scaled.get_pipe("tagger").grad_scaler = scaler
    loss_plain = plain.update(examples, sgd=SGD(0.5))
    loss_scaled = scaled.update(examples, sgd=SGD(0.5))
    assert loss_scaled["tagger"] == pytest.approx(loss_plain["tagger"])  # reported unscaled
    before = _params(_tagger_nlp()[0])
    after_plain, after_scaled = _params(plain), _params(scaled)
    assert any(not torch.equal(before[k], after_plain[k]) for k in before)
    for key in after_plain:
        torch.testing.assert_close(after_scaled[key], after_plain[key], rtol=1e-5, atol=1e-6)
    assert scaler.growth_tracker == 1


def test_overflowing_step_is_skipped_and_the_scale_backs_off():
    nlp, examples = _tagger_nlp()
    scaler = GradScaler({"init_scale": 1e38})  # loss * scale overflows to inf
    nlp.get_pipe("tagger").grad_scaler = scaler
    before = _params(nlp)
    nlp.update(examples, sgd=SGD(0.5))
    after = _params(nlp)
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert scaler.scale == pytest.approx(0.5e38)
    assert all(p.grad is None for p in nlp.get_pipe("tagger").model.parameters())


def test_frozen_component_offers_no_scaler():
    nlp, examples = _tagger_nlp()
    scaler = GradScaler({"init_scale": 1e38})
    nlp.get_pipe("tagger").grad_scaler = scaler
    nlp.update(examples, sgd=SGD(0.5), exclude=["tagger"])
    assert scaler.scale == 1e38


def test_scaler_state_goes_with_the_training_state():
    nlp, _ = _tagger_nlp()
    scaler = GradScaler({"init_scale": 4.0})
    scaler.update(found_inf=False)
    nlp.get_pipe("tagger").grad_scaler = scaler
    state = TrainingState(grad_scalers=grad_scaler_states(nlp))
    back = TrainingState.from_json(state.to_json(), "state.json")
    assert back.grad_scalers == {"tagger": {"scale": 4.0, "growth_tracker": 1}}
    fresh = GradScaler()
    nlp.get_pipe("tagger").grad_scaler = fresh
    restore_grad_scalers(nlp, back.grad_scalers)
    assert fresh.state_dict() == {"scale": 4.0, "growth_tracker": 1}
