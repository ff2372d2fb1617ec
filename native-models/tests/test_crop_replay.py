"""The students' crop replay (which scenes it draws, with which labels) and the consensus views."""

from __future__ import annotations

import random

import pytest
import torch

from loupe_models import world
from loupe_models.data import build_records
from loupe_models.train import student_samples

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def recs():
    return build_records("train", 24, workers=1)


def test_crop_replay_draws_the_kept_scenes_flagged_and_the_full_views_keep_the_consensus(recs):
    kept = {r.index: r.answer for r in recs[:6]}  # the consensus kept only the first six scenes
    crops = {r.crop.tobytes(): r.index for r in recs}
    fulls = {r.full.tobytes(): r.index for r in recs}
    by_index = {r.index: r for r in recs}
    fn = student_samples(recs, kept, False, 0.5)
    rng = random.Random(0)
    replayed, full_seen = set(), set()
    for step in range(30):
        for smp in fn(step, rng):
            key = smp[0].tobytes()
            if key in crops:
                assert smp[4] is True  # flagged as a replayed crop (the feature anchor reads the flag)
                replayed.add(crops[key])
            else:
                assert len(smp) == 4  # full views carry no flag
                full_seen.add(fulls[key])
            r = by_index[crops.get(key, fulls.get(key))]
            assert smp[2] == (r.content if r.question_type == "mcq" else kept[r.index])  # the label, as option text
    assert replayed and replayed <= set(kept)  # crops: the consensus subset
    assert full_seen and full_seen <= set(kept)  # full views: consensus labels only


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


def test_consensus_views_start_with_the_tight_crop_and_keep_its_framing():
    from loupe_models.consensus import crop_views

    it = world.make_item(5, "val")
    tight = it.image.crop(it.bbox)
    views = crop_views(it.image, it.bbox)
    assert len(views) == 4
    assert views[0].tobytes() == tight.tobytes()  # crop_answers and the bench's crops: the tight view
    # every view is the card as framed by its border, only resampled (same aspect)
    aspect = tight.width / tight.height
    assert all(abs(v.width / v.height - aspect) < 0.02 for v in views)
    # the largest view last: consensus_labels asks the fourth view only where the first three disagree
    assert [v.width for v in views] == [tight.width, tight.width, int(tight.width * 1.25), int(tight.width * 1.5)]
    assert views[1].size == tight.size and views[1].tobytes() != tight.tobytes()  # a blurred copy


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
        expected = [v.tobytes() for v in crop_views(it.image, r.bbox)]
        assert [v.tobytes() for v in _views(r, "train")] == expected
        assert [v.tobytes() for v in _views(p, "train")] == expected
