"""The auxiliary head's warm-up (train.warm_aux_head): it fits the head alone, leaves the model as it
was, and does not change the samples the training cycle after it draws."""

from __future__ import annotations

import random

import pytest
import torch

from loupe_models.data import build_records, collate
from loupe_models.model import TinyConfig, TinyQwen2VL
from loupe_models.train import AuxHead, Schedule, combine_terms, student_samples, train_loop, warm_aux_head


@pytest.fixture(scope="module")
def records():
    return build_records("train", 8, workers=1, keep_region=True)


def _head_loss(model: TinyQwen2VL, aux: AuxHead, enc, samples: list[tuple]) -> float:
    batch = collate(samples, enc)
    with torch.no_grad():
        feats = model.visual(batch["patches"], batch["patch_rows"], batch["patch_cols"], batch["vis_mask"])
        sums, counts = {}, {}
        for name, total, n in aux.terms(feats, batch):
            sums[name], counts[name] = total, n
        return float(combine_terms(sums, counts, 1.0, 0.0))


def test_warm_up_fits_the_head_and_leaves_the_model_alone(enc, records):
    torch.manual_seed(0)
    model = TinyQwen2VL(TinyConfig(vocab_size=enc.tok.get_vocab_size()))
    aux = AuxHead(model.cfg.hidden_size)
    fn = student_samples(records, {r.index: r.answer for r in records}, False, 0.5)
    fixed = fn(0, random.Random(5))[:8]
    before_state = {k: v.clone() for k, v in model.state_dict().items()}
    before = _head_loss(model, aux, enc, fixed)
    log: list[str] = []
    history = warm_aux_head(model, aux, enc, fn, 40, seed=3, log=log.append, label="t")
    after = _head_loss(model, aux, enc, fixed)
    # 8 scenes seen over and over: a linear head on fixed features must fit them
    assert after < 0.7 * before, (before, after)
    for k, v in model.state_dict().items():
        assert torch.equal(v, before_state[k]), k
    assert [h["step"] for h in history] == [40] and len(log) == 1


def test_warm_up_keeps_the_cycles_sample_stream(enc, records):
    """The cycle after a warm-up draws exactly the samples it would have drawn without one."""
    labels = {r.index: r.answer for r in records}
    inner = student_samples(records, labels, False, 0.25)

    def run(warmup: int) -> list[object]:
        states: list[tuple[random.Random, object]] = []  # the rng itself, kept alive so that identity tells them apart

        def spy(step, rng):
            states.append((rng, rng.getstate()))
            return inner(step, rng)[:4]

        torch.manual_seed(1)
        model = TinyQwen2VL(TinyConfig(vocab_size=enc.tok.get_vocab_size()))
        train_loop(model, enc, spy, Schedule(steps=2, warmup=1), lambda _m: None, "t", aux_weight=1.0, seed=11, aux_warmup=warmup)
        main_rng = states[-1][0]  # the cycle's own rng draws last
        return [s for r, s in states if r is main_rng]

    plain, warmed = run(0), run(3)
    assert len(plain) == 2 and warmed == plain


def test_warm_up_is_refused_in_data_parallel_stages(enc, records):
    model = TinyQwen2VL(TinyConfig(vocab_size=enc.tok.get_vocab_size()))
    fn = student_samples(records, {r.index: r.answer for r in records}, False, 0.0)
    with pytest.raises(ValueError, match="one process"):
        train_loop(model, enc, fn, Schedule(steps=1), lambda _m: None, "t", aux_weight=1.0, aux_warmup=2, exchange=object())  # type: ignore[arg-type]
