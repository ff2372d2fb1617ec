"""The students' schedule (loupe_models/student_cycles.py): the shipped recipe's cycles are what the
shipped loupe.json records, the second cycle's anchor follows the first's unless given, and the
grounding curriculum boxes every image first and a quarter from 80% of the first cycle on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loupe_models.student_cycles import FINAL_BOXED, describe_schedule, manifest_entry, student_cycles

REPO = Path(__file__).resolve().parents[2]
SHIPPED = dict(
    steps=2200,
    continue_steps=1500,
    crop_share=0.25,
    continue_crop_share=0.5,
    continue_replay_text=0.33,
    student_seed=0,
    anchor_weight=1.0,
    continue_anchor_weight=0.0,
    aux_warmup=300,
)


@pytest.mark.parametrize("name", ["loupe-tiny-base", "loupe-tiny-r2i"])
def test_shipped_recipe_matches_the_shipped_manifest(name):
    manifest = json.loads((REPO / "resources" / "models" / name / "loupe.json").read_text())
    cycles = student_cycles(**SHIPPED)
    assert [manifest_entry(c) for c in cycles] == manifest["training"]["student_cycles"]
    assert sum(c.steps for c in cycles) == manifest["training"]["student_steps"]
    assert f"({describe_schedule(cycles)})" in manifest["description"]
    assert [c.first for c in cycles] == [True, False]
    assert [c.seed for c in cycles] == [1234, 4321]


def test_second_cycle_anchor_follows_the_first_unless_given():
    both = student_cycles(**(SHIPPED | {"anchor_weight": 1.0, "continue_anchor_weight": None}))
    assert [c.anchor_weight for c in both] == [1.0, 1.0]
    first_only = student_cycles(**(SHIPPED | {"anchor_weight": 1.0, "continue_anchor_weight": 0.0}))
    assert [c.anchor_weight for c in first_only] == [1.0, 0.0]
    assert "crop_feature_anchor_weight" not in manifest_entry(first_only[1])
    assert manifest_entry(first_only[0])["crop_feature_anchor_weight"] == 1.0
    # apart from the anchor, the first cycle is the one anchored in both cycles (so its cache is shared)
    assert first_only[0]._replace(boxed_share=None) == both[0]._replace(boxed_share=None)


def test_cycles_without_steps_are_dropped_and_seeds_shift():
    cycles = student_cycles(**(SHIPPED | {"continue_steps": 0, "student_seed": 3}))
    assert len(cycles) == 1 and cycles[0].seed == 1237
    assert describe_schedule(cycles) == (
        "2200 steps with 25% regional-crop replay, the replayed crops' visual features anchored to the teacher's (weight 1)"
    )
    assert describe_schedule(student_cycles(**(SHIPPED | {"anchor_weight": 0.0, "aux_warmup": 300}))) == (
        "2200 steps with 25% regional-crop replay, then a second, lower-rate cycle of 1500 with 50%, "
        "after a 300-step warm-up of its auxiliary head"
    )
    assert describe_schedule([]) == "no steps"


def test_grounding_curriculum():
    first, second = student_cycles(**SHIPPED)
    assert first.boxed_share(0) == 1.0
    assert first.boxed_share(880) == pytest.approx(1.0 - 0.75 * 880 / 1760)
    assert first.boxed_share(1760) == FINAL_BOXED and first.boxed_share(2199) == FINAL_BOXED
    assert second.boxed_share(0) == FINAL_BOXED
