"""The students' crop replay: which scenes it draws, and the distillation of the teacher on it."""

from __future__ import annotations

import random

import pytest
import torch

from loupe_models import world
from loupe_models.data import build_records, collate
from loupe_models.model import TinyConfig, TinyQwen2VL
from loupe_models.train import distill_terms, student_samples

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def recs():
    return build_records("train", 24, workers=1)


def test_crop_replay_distils_every_answered_scene_and_the_full_views_keep_the_consensus(recs):
    kept = {r.index: r.answer for r in recs[:6]}  # the consensus kept only the first six scenes
    crop_answers = {r.index: r.answer for r in recs}
    mcq = next(r for r in recs[6:] if r.question_type == "mcq")
    crop_answers[mcq.index] = "not an option"  # names no option: never replayed
    crops = {r.crop.tobytes(): r.index for r in recs}
    fulls = {r.full.tobytes(): r.index for r in recs}
    fn = student_samples(recs, kept, False, 0.5, crop_answers=crop_answers)
    rng = random.Random(0)
    replayed, full_seen = set(), set()
    for step in range(30):
        for smp in fn(step, rng):
            key = smp[0].tobytes()
            if key in crops:
                assert smp[4] is True  # flagged for distillation
                replayed.add(crops[key])
            else:
                assert len(smp) == 4  # full views: never distilled
                full_seen.add(fulls[key])
    assert full_seen and full_seen <= set(kept)  # full views: consensus labels only
    assert replayed - set(kept)  # crops: scenes the consensus dropped too
    assert mcq.index not in replayed
    # without the teacher's crop answers the replay is the consensus subset, still flagged as replayed
    # crops (the feature anchor reads the flag; distillation runs only with a distill weight)
    plain = student_samples(recs, kept, False, 1.0)(0, random.Random(0))
    assert all(crops[s[0].tobytes()] in kept and len(s) == 5 and s[4] is True for s in plain)
    with pytest.raises(ValueError, match="crop answers"):  # a teacher that named nothing: said, not ignored
        student_samples(recs, kept, False, 0.5, crop_answers={r.index: "" for r in recs})


def test_replay_text_share_draws_that_share_of_crops_from_kept_text_scenes(recs):
    kept = {r.index: r.answer for r in recs}
    text = {r.crop.tobytes() for r in recs if r.dimension == "ocr"}
    assert text and len(text) < len(recs)

    def replayed_text_share(share: float) -> float:
        fn = student_samples(recs, kept, False, 1.0, replay_text_share=share)
        rng = random.Random(0)
        crops = [smp[0].tobytes() for step in range(40) for smp in fn(step, rng)]
        return sum(c in text for c in crops) / len(crops)

    as_they_come, all_text = replayed_text_share(0.0), replayed_text_share(1.0)
    assert all_text == 1.0 and as_they_come < 0.5
    assert 0.5 + as_they_come / 2 - 0.1 < replayed_text_share(0.5) < 0.5 + as_they_come / 2 + 0.1
    with pytest.raises(ValueError, match="no text scene"):
        student_samples(recs, {r.index: r.answer for r in recs if r.dimension != "ocr"}, False, 0.5, replay_text_share=0.3)


def test_distill_terms_line_up_the_flagged_rows_with_the_teacher(recs, enc):
    torch.manual_seed(0)
    teacher = TinyQwen2VL(TinyConfig(vocab_size=enc.tok.get_vocab_size()))
    teacher.train()
    samples = []
    for i, r in enumerate(recs[:4]):
        # alternate flagged crops and unflagged full views, answers of different lengths
        img = r.crop if i % 2 == 0 else r.full
        samples.append((img, r.query(False), r.content if r.question_type == "mcq" else r.answer, (-100, [-100] * 4, None), i % 2 == 0))
    batch = collate(samples, enc)
    sel = batch["labels"] != -100
    rows = sel.nonzero()[:, 0]
    with torch.no_grad():
        hidden, _ = teacher.forward_train(batch)
        same, n = distill_terms(teacher.lm_head(hidden[sel]), teacher, samples, rows, enc)
    assert n == int(sel[0].sum() + sel[2].sum())  # the flagged rows' answer tokens
    assert float(same) == pytest.approx(0.0, abs=1e-4)  # the teacher against itself, row by row

    student = TinyQwen2VL(TinyConfig(vocab_size=enc.tok.get_vocab_size()))
    student.train()
    hidden, _ = student.forward_train(batch)
    total, n = distill_terms(student.lm_head(hidden[sel]), teacher, samples, rows, enc)
    loss = total / n
    assert float(loss.detach()) > 0.01
    loss.backward()
    assert all(p.grad is not None for p in student.parameters() if p.requires_grad)
    assert all(p.grad is None for p in teacher.parameters())
    # nothing flagged: no term, but still part of the graph
    unflagged = [s[:4] for s in samples]
    total, n = distill_terms(student.lm_head(hidden[sel]), teacher, unflagged, rows, enc)
    assert n == 0 and float(total.detach()) == 0.0


def test_consensus_view_sets_start_with_the_tight_crop_and_keep_its_framing():
    from PIL import Image

    from loupe_models.consensus import crop_views

    it = world.make_item(5, "val")
    tight = it.image.crop(it.bbox)
    framing = crop_views(it.image, it.bbox, it.image.size)
    scale = crop_views(it.image, it.bbox, it.image.size, "scale")
    assert len(framing) == len(scale) == 4
    for views in (framing, scale):
        assert views[0].tobytes() == tight.tobytes()  # crop_answers and the bench's crops: the tight view
    # "scale": every view is the card as framed by its border, only resampled (same aspect)
    aspect = tight.width / tight.height
    assert all(abs(v.width / v.height - aspect) < 0.02 for v in scale)
    # the largest view last: consensus_labels asks the fourth view only where the first three disagree
    assert [v.width for v in scale] == [tight.width, tight.width, int(tight.width * 1.25), int(tight.width * 1.5)]
    assert scale[1].size == tight.size and scale[1].tobytes() != tight.tobytes()  # a blurred copy
    # "framing": the inset and the margin views cut the frame differently
    assert framing[1].width < tight.width < framing[2].width
    assert isinstance(framing[3], Image.Image)
    with pytest.raises(ValueError, match="view set"):
        crop_views(it.image, it.bbox, it.image.size, "zoom")


def test_consensus_views_from_a_stored_region_equal_those_from_the_regenerated_scene():
    from loupe_models.consensus import _views, crop_views
    from loupe_models.data import build_records

    kept, plain = build_records("train", 3, start=7, workers=1, keep_region=True), build_records("train", 3, start=7, workers=1)
    crops = build_records("train", 3, start=7, workers=1, crop_only=True)  # the teacher's extra scenes
    for c, p in zip(crops, plain):
        assert c.full is None and c.grounded is None and c.crop.tobytes() == p.crop.tobytes() and c.answer == p.answer
    for r, p in zip(kept, plain):
        assert p.region is None and r.region.shape[:2] == (r.bbox[3] - r.bbox[1], r.bbox[2] - r.bbox[0])
        it = world.make_item(r.index, "train")
        for view_set in ("scale", "framing"):
            expected = [v.tobytes() for v in crop_views(it.image, r.bbox, r.size, view_set)]
            assert [v.tobytes() for v in _views(r, "train", view_set)] == expected
            assert [v.tobytes() for v in _views(p, "train", view_set)] == expected
