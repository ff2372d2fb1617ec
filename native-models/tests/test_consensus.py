"""consensus_labels: the 75% agreement rule, the fourth view asked only where it can matter, labels
that do not depend on which view is asked fourth, and the same result from two processes."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from loupe_models import consensus
from loupe_models.data import build_records

torch.set_num_threads(2)

# votes of the four views per scene, by the scene's place in the list; "*" stands for its true answer
SCRIPTS = [
    ("*", "*", "*", "*"),  # unanimous: kept
    ("*", "*", "*", "x"),  # three agree: kept without asking the fourth view
    ("*", "x", "*", "*"),  # split first three, the fourth makes 3 of 4: kept
    ("*", "x", "y", "*"),  # 2 of 4: dropped
    ("x", "*", "*", "*"),  # kept with the majority, though the tight crop said otherwise
    ("", "", "", ""),  # no answer at all: dropped
    ("x", "x", "x", "*"),  # kept, and wrong against the ground truth
    ("*", "x", "x", "*"),  # 2 of 4: dropped
]


@pytest.fixture(scope="module")
def recs():
    return build_records("train", 16, workers=1)


def scripted(monkeypatch, recs, order=(0, 1, 2, 3)):
    """Fake views and a fake teacher: view j of scene k is a 1-pixel-high image whose grey level is k
    and width j + 1; the teacher answers what SCRIPTS says for it. Returns the answered-image log."""
    place = {r.index: k for k, r in enumerate(recs)}
    asked: list[tuple[int, int]] = []

    def views(_img, bbox):
        k = next(place[r.index] for r in recs if r.bbox == bbox)
        return [Image.new("L", (order[j] + 1, 1), k) for j in range(4)]

    def answers(_teacher, _enc, images, _queries, _max_new):
        out = []
        for img in images:
            k, j = img.getpixel((0, 0)), img.width - 1
            asked.append((k, j))
            vote = SCRIPTS[k % len(SCRIPTS)][j]
            out.append(recs[k].answer if vote == "*" else vote)
        return out

    monkeypatch.setattr(consensus, "crop_views", views)
    monkeypatch.setattr(consensus, "batch_answers", answers)
    return asked


def test_agreement_rule_and_the_fourth_view(monkeypatch, recs):
    asked = scripted(monkeypatch, recs)
    res = consensus.consensus_labels(None, None, recs, "train", lambda _line: None, chunk=4)
    kept = {k for k, r in enumerate(recs) if r.index in res["labels"]}
    assert kept == {k for k in range(len(recs)) if k % 8 in (0, 1, 2, 4, 6)}
    for k in kept:
        expected = "x" if k % 8 == 6 else recs[k].answer
        assert res["labels"][recs[k].index] == expected
    # the tight crop's answer of every scene, kept or not
    assert res["crop_answers"][recs[4].index] == "x" and res["crop_answers"][recs[3].index] == recs[3].answer
    # the fourth view only where the first three disagree
    assert {k for k, j in asked if j == 3} == {k for k in range(len(recs)) if k % 8 in (2, 3, 4, 7)}
    stats = res["stats"]
    assert stats["items"] == 16 and stats["kept"] == 10 and stats["view_set"] == "scale"
    assert stats["kept_label_accuracy_vs_ground_truth"] == pytest.approx(8 / 10)


def test_labels_do_not_depend_on_which_view_is_asked_fourth(monkeypatch, recs):
    scripted(monkeypatch, recs)
    reference = consensus.consensus_labels(None, None, recs, "train", lambda _line: None, chunk=4)
    for order in ((0, 3, 1, 2), (0, 2, 3, 1)):
        scripted(monkeypatch, recs, order)
        again = consensus.consensus_labels(None, None, recs, "train", lambda _line: None, chunk=4)
        assert again["labels"] == reference["labels"] and again["crop_answers"] == reference["crop_answers"]


def test_two_processes_give_the_same_labels_as_one(monkeypatch, recs):
    scripted(monkeypatch, recs)
    one = consensus.consensus_labels(None, None, recs, "train", lambda _line: None, chunk=4)
    lines: list[str] = []
    two = consensus.consensus_labels(None, None, recs, "train", lines.append, chunk=4, processes=2)
    assert any("2 jobs at once" in line for line in lines)
    assert two == one
    # parts split at chunk boundaries, so each process answers whole chunks, as one process would
    three = consensus.consensus_labels(None, None, recs[:10], "train", lambda _line: None, chunk=4, processes=3)
    assert three["labels"] == {i: v for i, v in one["labels"].items() if i in {r.index for r in recs[:10]}}
