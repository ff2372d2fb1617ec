"""The feature anchor (train.anchor_terms): it compares the model's visual features with the
teacher's on the replayed crops only, is zero for a copy of the teacher, and training with it keeps
the tower nearer the teacher than training without it."""

from __future__ import annotations

import copy
import random

import pytest
import torch

from loupe_models.data import build_records, collate
from loupe_models.model import TinyConfig, TinyQwen2VL
from loupe_models.train import Schedule, anchor_terms, replayed_crop, student_samples, train_loop


@pytest.fixture(scope="module")
def records():
    return build_records("train", 8, workers=1, keep_region=True)


def _features(model: TinyQwen2VL, batch: dict) -> torch.Tensor:
    with torch.no_grad():
        return model.visual(batch["patches"], batch["patch_rows"], batch["patch_cols"], batch["vis_mask"])


def _mixed_batch(enc, records) -> tuple[list[tuple], dict]:
    fn = student_samples(records, {r.index: r.answer for r in records}, False, 0.5)
    samples = fn(0, random.Random(2))[:8]
    flags = [replayed_crop(s) for s in samples]
    assert any(flags) and not all(flags), "the fixture needs both replayed crops and full views"
    return samples, collate(samples, enc)


def test_anchor_counts_the_replayed_crops_tokens_only(enc, records):
    torch.manual_seed(0)
    teacher = TinyQwen2VL(TinyConfig(vocab_size=enc.tok.get_vocab_size())).eval()
    samples, batch = _mixed_batch(enc, records)
    flagged = torch.tensor([replayed_crop(s) for s in samples])
    total, n = anchor_terms(_features(teacher, batch), teacher, samples, batch)
    assert n == int(batch["vis_mask"][flagged].sum())
    assert abs(float(total)) < 1e-4 * n  # the teacher's own features: cosine 1 on every token

    student = copy.deepcopy(teacher)
    with torch.no_grad():
        for p in student.visual.parameters():
            p.add_(0.5 * torch.randn_like(p))
    total, n2 = anchor_terms(_features(student, batch), teacher, samples, batch)
    assert n2 == n and 0.05 * n < float(total) <= 2.0 * n  # each token's term lies in [0, 2]

    plain = [s[:4] for s in samples]  # no flags: nothing to anchor
    assert anchor_terms(_features(student, batch), teacher, plain, batch)[1] == 0


def test_training_with_the_anchor_keeps_the_tower_nearer_the_teacher(enc, records):
    torch.manual_seed(1)
    teacher = TinyQwen2VL(TinyConfig(vocab_size=enc.tok.get_vocab_size())).eval()
    fn = student_samples(records, {r.index: r.answer for r in records}, False, 0.5)
    samples, batch = _mixed_batch(enc, records)

    def drift(anchor_weight: float) -> float:
        torch.manual_seed(2)
        student = copy.deepcopy(teacher)
        sched = Schedule(steps=6, lr=3e-3, warmup=1)
        train_loop(
            student,
            enc,
            lambda s, r: fn(s, r)[:8],
            sched,
            lambda _m: None,
            "t",
            teacher=teacher,
            seed=5,
            anchor_weight=anchor_weight,
        )
        return float(anchor_terms(_features(student, batch), teacher, samples, batch)[0])

    free, anchored = drift(0.0), drift(20.0)
    assert anchored < 0.5 * free, (free, anchored)
