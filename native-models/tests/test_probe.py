"""Glyph targets (per-token character and rank) and the linear probes on visual tokens."""

from __future__ import annotations

import torch

from loupe_models import world
from loupe_models.data import GLYPH_NONE, build_records, glyph_targets
from loupe_models.model import TinyConfig, TinyQwen2VL
from loupe_models.probe import fit_linear, probe, visual_tokens
from loupe_models.processor import MERGE, PATCH


def test_glyph_targets_follow_the_string_in_reading_order():
    recs = build_records("train", 36, workers=1)
    text = [r for r in recs if r.dimension == "ocr"]
    assert text and all(not glyph_targets(r) for r in recs if r.dimension != "ocr")
    n = len(world.OCR_ALPHABET)
    for r in text:
        t = glyph_targets(r)
        h, w = r.crop.shape[:2]
        mw = w // (PATCH * MERGE)
        assert len(t) == (h // (PATCH * MERGE)) * mw
        on = [(i % mw, g) for i, g in enumerate(t) if g != GLYPH_NONE]
        # every character of the string is on at least one token, named right
        assert sorted({g // n for _, g in on}) == list(range(len(r.content)))
        assert all(world.OCR_ALPHABET[g % n] == r.content[g // n] for _, g in on)
        # a later character never lies left of an earlier one
        for col_a, ga in on:
            for col_b, gb in on:
                if ga // n < gb // n:
                    assert col_a <= col_b


def test_fit_linear_separates_separable_classes():
    g = torch.Generator().manual_seed(0)
    centres = torch.randn(5, 16, generator=g) * 4
    y = torch.arange(400) % 5
    x = centres[y] + torch.randn(400, 16, generator=g)
    predict = fit_linear(x[:300], y[:300], 5)
    assert float((predict(x[300:]) == y[300:]).float().mean()) > 0.95
    # and it does not invent signal: labels unrelated to the features stay near chance (20%)
    shuffled = y[torch.randperm(400, generator=g)]
    predict = fit_linear(x[:300], shuffled[:300], 5)
    assert float((predict(x[300:]) == shuffled[300:]).float().mean()) < 0.45


def test_probe_report_on_a_small_model():
    torch.manual_seed(0)
    model = TinyQwen2VL(TinyConfig(vocab_size=300))
    recs = build_records("train", 24, workers=1)
    held = build_records("val", 12, workers=1)
    tokens = visual_tokens(model, recs[0].crop)
    assert tokens.shape == ((recs[0].crop.shape[0] // 28) * (recs[0].crop.shape[1] // 28), model.cfg.hidden_size)
    out = probe(model, recs, held)
    assert set(out["content"]) == {"crop", "full"}
    for view in out["content"].values():
        assert 0.0 <= view["accuracy"] <= 100.0 and view["items"] == 10  # the 2 text items are left out
        assert "ocr" not in view["by_dimension"]
    assert out["glyph"]["tokens_on_characters"] > 0
    assert 0.0 <= out["glyph"]["character_accuracy"] <= 100.0


def test_records_of_one_dimension_continue_after_start():
    recs = build_records("train", 4, start=3000, workers=1, dimension="ocr")
    assert [r.index for r in recs] == [3001, 3007, 3013, 3019]
    assert all(r.dimension == "ocr" and r.char_cells for r in recs)


def test_reading_stage_batches_carry_glyph_targets_into_the_loss():
    import random

    from loupe_models.data import collate
    from loupe_models.tokenizer import PromptEncoder, build_tokenizer
    from loupe_models.train import AuxHead, teacher_samples

    recs = build_records("train", 12, workers=1)
    text_only = teacher_samples(recs, glyphs=True, shares={"ocr": 1.0})(0, random.Random(0))
    assert len(text_only) == 16 and all(s[3][3] for s in text_only)  # every sample: a text crop with targets
    plain = teacher_samples(recs)(0, random.Random(0))
    assert all(s[3][3] == [] for s in plain)  # the earlier teacher cycles: no glyph targets

    enc = PromptEncoder(build_tokenizer(world.question_corpus()))
    batch = collate(text_only[:3], enc)
    for i, s in enumerate(text_only[:3]):
        t = torch.tensor(s[3][3])
        assert torch.equal(batch["aux_glyphs"][i, : len(t)], t)
        assert (batch["aux_glyphs"][i, len(t) :] == -100).all()  # padding tokens never scored
    torch.manual_seed(0)
    model = TinyQwen2VL(TinyConfig(vocab_size=enc.tok.get_vocab_size()))
    head = AuxHead(model.cfg.hidden_size)
    with torch.no_grad():
        _, feats = model.forward_train(batch)
        with_glyphs = {name: (total, n) for name, total, n in head.terms(feats, batch)}
        without = {name for name, _, _ in head.terms(feats, {**batch, "aux_glyphs": torch.full_like(batch["aux_glyphs"], -100)})}
    total, n = with_glyphs["glyphs"]
    assert n == int((batch["aux_glyphs"] >= 0).sum()) and torch.isfinite(total)
    assert float(total) / n > 1.0  # ~ln(69) per glyph token for an untrained head
    assert set(with_glyphs) == {"chars", "glyphs"} and without == {"chars"}  # text crops: no content class


def test_teacher_batches_follow_the_dimension_shares():
    import random
    from collections import Counter

    import pytest

    from loupe_models.train import teacher_samples

    recs = build_records("train", 12, workers=1)  # two items of each dimension
    by_index = {r.crop.tobytes(): r.dimension for r in recs}
    fn = teacher_samples(recs, shares={"ocr": 0.25, "counting": 0.25})
    rng = random.Random(0)
    dims = Counter(by_index[s[0].tobytes()] for step in range(40) for s in fn(step, rng))
    n = sum(dims.values())
    assert abs(dims["ocr"] / n - 0.25) < 0.06 and abs(dims["counting"] / n - 0.25) < 0.06
    assert set(dims) == set(world.DIMENSIONS)  # the other half still covers the other four dimensions
    with pytest.raises(ValueError, match="shares"):
        teacher_samples([r for r in recs if r.dimension != "counting"], shares={"counting": 0.3})
    with pytest.raises(ValueError, match="shares"):
        teacher_samples(recs, shares={"ocr": 0.7, "counting": 0.5})
