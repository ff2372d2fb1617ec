"""The students' schedule (loupe_models/student_cycles.py): the shipped recipe's cycles are what the
shipped loupe.json records, the anchor holds the first cycle and the head warm-up precedes the second,
and the grounding curriculum boxes every image first and a quarter from 80% of the first cycle on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loupe_models.recipe import SHIPPED
from loupe_models.student_cycles import FINAL_BOXED, describe_schedule, manifest_entry, student_cycles

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["loupe-tiny-base", "loupe-tiny-r2i"])
def test_shipped_recipe_matches_the_shipped_manifest(name):
    manifest = json.loads((REPO / "resources" / "models" / name / "loupe.json").read_text())
    cycles = student_cycles(SHIPPED)
    assert [manifest_entry(c) for c in cycles] == manifest["training"]["student_cycles"]
    assert sum(c.steps for c in cycles) == manifest["training"]["student_steps"]
    assert f"({describe_schedule(cycles)})" in manifest["description"]
    assert [c.first for c in cycles] == [True, False]
    assert [c.seed for c in cycles] == [1234, 4321]


def test_the_anchor_holds_the_first_cycle_and_the_warm_up_precedes_the_second():
    first, second = student_cycles(SHIPPED)
    assert (first.anchor_weight, second.anchor_weight) == (1.0, 0.0)
    assert (first.aux_warmup, second.aux_warmup) == (0, 300)
    assert "crop_feature_anchor_weight" not in manifest_entry(second)
    assert describe_schedule([first, second]) == (
        "2200 steps with 25% regional-crop replay, the replayed crops' visual features anchored to the teacher's (weight 1), "
        "then a second, lower-rate cycle of 1500 with 50%, after a 300-step warm-up of its auxiliary head"
    )


def test_a_student_seed_shifts_both_samplers():
    assert [c.seed for c in student_cycles(SHIPPED, student_seed=3)] == [1237, 4324]


def test_grounding_curriculum():
    first, second = student_cycles(SHIPPED)
    assert first.boxed_share(0) == 1.0
    assert first.boxed_share(880) == pytest.approx(1.0 - 0.75 * 880 / 1760)
    assert first.boxed_share(1760) == FINAL_BOXED and first.boxed_share(2199) == FINAL_BOXED
    assert second.boxed_share(0) == FINAL_BOXED
