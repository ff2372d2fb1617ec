"""The students' training schedule: two cosine cycles, each with its own mix of samples.

The first cycle starts from the crop teacher at the higher rate; the second, lower-rate cycle
continues it (at the end of the first the students' loss was still falling, docs/models.md). Kept
apart from the training so the schedule can be checked against the shipped loupe.json without training.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from .recipe import Recipe

# the R2I student's boxed share at the end of its grounding curriculum, and through the second cycle
FINAL_BOXED = 0.25


class StudentCycle(NamedTuple):
    suffix: str  # appended to the stage name ("" for the first cycle)
    steps: int
    peak_lr: float
    warmup: int
    boxed_share: Callable[[int], float]  # the R2I student's share of boxed full images at a step
    crop_share: float  # share of each batch replaying regional crops
    replay_text_share: float  # share of those crops drawn from the kept text scenes
    seed: int  # sampler seed
    anchor_weight: float  # crop-feature anchor (train.anchor_terms); 0: none
    aux_warmup: int  # steps fitting a fresh auxiliary head alone before the cycle (train.warm_aux_head); 0: none

    @property
    def first(self) -> bool:
        return not self.suffix


def grounding_curriculum(steps: int) -> Callable[[int], float]:
    """Every full image boxed at first, then the boxed share falls linearly to FINAL_BOXED by 80% of the cycle."""

    def boxed_share(step: int) -> float:
        return max(FINAL_BOXED, 1.0 - (1.0 - FINAL_BOXED) * step / max(1, int(0.8 * steps)))

    return boxed_share


def student_cycles(recipe: Recipe, student_seed: int = 0) -> list[StudentCycle]:
    """The recipe's two cycles. The feature anchor holds the first cycle only, and only the second warms
    its fresh auxiliary head first (where commit a197f34 measured it, docs/models.md). `student_seed`
    offsets the samplers' seeds (0: the shipped streams), to measure the students' run-to-run spread."""
    return [
        StudentCycle(
            "",
            recipe.student_steps,
            1e-3,
            100,
            grounding_curriculum(recipe.student_steps),
            recipe.crop_share,
            0.0,
            1234 + student_seed,
            recipe.anchor_weight,
            0,
        ),
        StudentCycle(
            "-continued",
            recipe.student_continue,
            5e-4,
            50,
            lambda _step: FINAL_BOXED,
            recipe.continue_crop_share,
            recipe.continue_replay_text,
            4321 + student_seed,
            0.0,
            recipe.aux_warmup,
        ),
    ]


def describe_schedule(cycles: list[StudentCycle]) -> str:
    """The schedule in words, for the model cards and loupe.json."""
    head, *rest = cycles
    return f"{head.steps} steps with {head.crop_share:.0%} regional-crop replay{_extras(head)}" + "".join(
        f", then a second, lower-rate cycle of {c.steps} with {c.crop_share:.0%}{_extras(c)}" for c in rest
    )


def _extras(cycle: StudentCycle) -> str:
    """The options a cycle was trained with beyond its steps and replay share, in words."""
    words = []
    if cycle.aux_warmup > 0:
        words.append(f"after a {cycle.aux_warmup}-step warm-up of its auxiliary head")
    if cycle.anchor_weight > 0:
        words.append(f"the replayed crops' visual features anchored to the teacher's (weight {cycle.anchor_weight:g})")
    return "".join(f", {w}" for w in words)


def manifest_entry(cycle: StudentCycle) -> dict:
    """One cycle as loupe.json records it (`training.student_cycles`)."""
    return {
        "steps": cycle.steps,
        "peak_lr": cycle.peak_lr,
        "crop_replay_share": cycle.crop_share,
        **({"replay_text_share": cycle.replay_text_share} if cycle.replay_text_share else {}),
        **({"crop_feature_anchor_weight": cycle.anchor_weight} if cycle.anchor_weight > 0 else {}),
        **({"aux_head_warmup_steps": cycle.aux_warmup} if cycle.aux_warmup > 0 else {}),
    }
