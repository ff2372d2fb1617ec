"""data_parallel: ranks that share a step compute the gradient of the whole step, and train as one
process would."""

from __future__ import annotations

import copy
import random

import pytest
import torch

from loupe_models.data import build_records
from loupe_models.data_parallel import GradientExchange, train_data_parallel, trained_numel
from loupe_models.model import TinyConfig, TinyQwen2VL
from loupe_models.processes import run_forked
from loupe_models.train import AuxHead, Schedule, combine_terms, step_loss, step_sums, teacher_samples, train_loop

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def recs():
    return build_records("train", 24, workers=1)


def flat_grads(params) -> torch.Tensor:
    return torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in params])


def test_two_ranks_sum_to_the_whole_steps_gradient(enc, recs):
    torch.manual_seed(0)
    model = TinyQwen2VL(TinyConfig(vocab_size=enc.tok.get_vocab_size()))
    aux = AuxHead(model.cfg.hidden_size)
    model.train()
    params = list(model.parameters()) + list(aux.parameters())
    # glyph targets on text crops: a term some ranks' shares may not have at all
    samples = teacher_samples(recs, glyphs=True)(0, random.Random(3))
    loss = step_loss(model, enc, samples, aux, 1.0)
    loss.backward()
    expected = flat_grads(params)
    for p in params:
        p.grad = None

    exchange = GradientExchange(expected.numel(), 2)

    def rank(r: int):
        def run() -> list:
            share = exchange.share(samples, r)
            sums, counts = step_sums(model, enc, share, aux)
            part = combine_terms(sums, counts=exchange.total_counts(counts, r, 0), aux_weight=1.0)
            part.backward()
            total = exchange.sum_gradients(params, part, r, 0)
            return [(len(share), total, flat_grads(params))]

        return run

    (n0, loss0, g0), (n1, loss1, g1) = run_forked([rank(0), rank(1)], 1, lambda _line: None)
    assert n0 == n1 == len(samples) // 2
    assert torch.equal(g0, g1) and loss0 == loss1  # every rank takes the same step
    assert loss0 == pytest.approx(float(loss.detach()), rel=1e-5)
    assert torch.allclose(g0, expected, atol=1e-5, rtol=1e-4)


def test_shares_deal_out_large_images_evenly():
    exchange = GradientExchange(1, 2)
    samples = [(torch.zeros(s, s), str(k)) for k, s in enumerate([224, 448, 224, 448, 448, 224, 448, 224])]
    shares = [exchange.share(samples, r) for r in range(2)]
    assert sorted(x[1] for s in shares for x in s) == [str(k) for k in range(8)]
    for share in shares:
        assert sorted(x[0].shape[0] for x in share) == [224, 224, 448, 448]
        assert [int(x[1]) for x in share] == sorted(int(x[1]) for x in share)  # in step order


def test_data_parallel_training_follows_one_process(enc, recs):
    torch.manual_seed(1)
    model = TinyQwen2VL(TinyConfig(vocab_size=enc.tok.get_vocab_size()))
    start = copy.deepcopy(model)
    sched = Schedule(steps=3, lr=1e-4, warmup=1)
    fn = teacher_samples(recs)
    single = copy.deepcopy(start)
    torch.manual_seed(2)  # the AuxHead's initial draws
    one = train_loop(single, enc, fn, sched, lambda _line: None, "one", aux_weight=1.0)
    lines: list[str] = []
    torch.manual_seed(2)
    assert trained_numel(model, 1.0) > sum(p.numel() for p in model.parameters())
    two = train_data_parallel(model, enc, fn, sched, lines.append, "two", ranks=2, aux_weight=1.0)
    assert any("2 jobs at once" in line for line in lines)  # rank 0's own log lines stay in its process
    assert two[-1]["loss"] == pytest.approx(one[-1]["loss"], rel=1e-4)
    # the parent's model holds the ranks' trained weights: moved from the start, and where one
    # process took them, up to rounding (Adam's first steps move each weight by about the rate,
    # whatever the gradient's size, so a rounding-size gradient may move a weight either way)
    moved = torch.cat([(a - b).abs().reshape(-1) for a, b in zip(model.parameters(), start.parameters())])
    apart = torch.cat([(a - b).abs().reshape(-1) for a, b in zip(model.parameters(), single.parameters())])
    assert float(moved.mean()) > 1e-5
    assert float(apart.max()) <= 2 * sched.steps * sched.lr and float(apart.mean()) < 0.01 * float(moved.mean())
