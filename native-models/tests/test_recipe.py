"""The recipe (loupe_models/recipe.py) is the one the shipped students were built with: every recorded
fact in their loupe.json is reproduced from SHIPPED, and each stage asks the stage cache for the inputs
the shipped run recorded (so a rebuild reuses or retrains exactly what it did)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loupe_models.recipe import SHIPPED, draw_facts, teacher_stage_inputs
from loupe_models.stages.labels import Labels
from loupe_models.stages.packages import descriptions, training_facts
from loupe_models.stages.run import Run
from loupe_models.stages.scenes import Scenes
from loupe_models.stages.students import cycle_inputs
from loupe_models.student_cycles import student_cycles

REPO = Path(__file__).resolve().parents[2]

# The shipped run's stage-cache inputs (each checkpoint's <file>.inputs.json), without "from": the
# content hash of the stage before, which depends on the trained weights.
SHIPPED_TEACHER_INPUTS = {
    "teacher": {"steps": 1200, "lr": 1.5e-3, "warmup": 100},
    "teacher-continued": {"steps": 1000, "lr": 7e-4, "warmup": 50},
    "teacher-extended": {"steps": 5000, "lr": 7e-4, "warmup": 50},
    "teacher-text": {"steps": 1200, "lr": 7e-4, "warmup": 50, "text_items": 3000},
    "teacher-count": {"steps": 1200, "lr": 7e-4, "warmup": 50, "text_items": 3000, "count_items": 3000},
    "teacher-read": {"steps": 1500, "lr": 7e-4, "warmup": 50, "text_items": 3000, "read_items": 3000, "read_start": 27000},
    "teacher-read-2": {
        "steps": 1500,
        "lr": 7e-4,
        "warmup": 50,
        "text_items": 3000,
        "read_items": 3000,
        "read_start": 27000,
        "read_2_start": 45000,
    },
    "teacher-focus": {"steps": 1500, "lr": 7e-4, "warmup": 50, "focus_items": 3000, "focus_start": 63000},
}


def test_each_teacher_stage_asks_for_the_inputs_the_shipped_run_recorded():
    draws = SHIPPED.draws()
    assert [s.name for s in SHIPPED.teacher] == list(SHIPPED_TEACHER_INPUTS)
    for stage in SHIPPED.teacher:
        expected = {"from": "before", "train_items": 3000, "aux_weight": 1.0, **SHIPPED_TEACHER_INPUTS[stage.name]}
        assert teacher_stage_inputs(SHIPPED, stage, draws, "before") == expected, stage.name


def test_each_student_cycle_asks_for_the_inputs_the_shipped_run_recorded(tmp_path):
    run = Run(SHIPPED, tmp_path)
    labels = Labels({}, {}, "labels-hash")
    first, second = student_cycles(SHIPPED)
    common = {"labels": "labels-hash", "aux_weight": 1.0}
    assert cycle_inputs(run, first, "teacher-hash", labels, grounded=True) == {
        **common,
        "teacher": "teacher-hash",
        "steps": 2200,
        "crop_share": 0.25,
        "anchor_weight": 1.0,
    }
    for grounded, ground_prob in ((False, 0.0), (True, 0.25)):
        assert cycle_inputs(run, second, "first-hash", labels, grounded) == {
            **common,
            "from": "first-hash",
            "steps": 1500,
            "crop_share": 0.5,
            "lr": 5e-4,
            "warmup": 50,
            "ground_prob": ground_prob,
            "seed": 4321,
            "replay_text_share": 0.33,
            "aux_warmup": 300,
        }
    # another student seed is recorded, so its cycles never reuse the shipped ones
    seeded = Run(SHIPPED, tmp_path, student_seed=1)
    assert cycle_inputs(seeded, student_cycles(SHIPPED, 1)[0], "teacher-hash", labels, grounded=False)["seed"] == 1235


@pytest.mark.parametrize("name", ["loupe-tiny-base", "loupe-tiny-r2i"])
def test_the_shipped_manifest_is_what_the_recipe_writes(name, tmp_path):
    manifest = json.loads((REPO / "resources" / "models" / name / "loupe.json").read_text())
    run = Run(SHIPPED, tmp_path)
    scenes = Scenes(SHIPPED.draws(), [], [])
    labels = Labels({}, manifest["training"]["consensus"], "")
    assert training_facts(run, scenes, labels, grounded=name == "loupe-tiny-r2i") == manifest["training"]
    assert descriptions(run)[name.removeprefix("loupe-tiny-")] == manifest["description"]
    assert manifest["training"]["consensus"]["view_set"] == "scale"


def test_the_quick_recipe_keeps_every_stage_at_tiny_sizes():
    quick = SHIPPED.quick()
    assert [s.name for s in quick.teacher] == [s.name for s in SHIPPED.teacher]
    assert all(0 < s.steps <= 6 for s in quick.teacher) and quick.student_steps <= 6 and quick.aux_warmup > 0
    facts = draw_facts(quick, quick.draws())
    assert facts["pool_start"] < facts["read_start"] < facts["read_2_start"] < facts["focus_start"]
