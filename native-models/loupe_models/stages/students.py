"""The two students: the same start (the teacher), images, labels and steps, in the recipe's two cycles
(loupe_models/student_cycles.py); the R2I student sees the full images under the grounding transform."""

from __future__ import annotations

import copy

import torch

from ..data import Record
from ..export import load_checkpoint, save_checkpoint
from ..model import TinyQwen2VL
from ..processes import run_forked
from ..stage_cache import file_digest, record, reusable
from ..student_cycles import FINAL_BOXED, StudentCycle, student_cycles
from ..tokenizer import PromptEncoder
from ..train import Schedule, quick_accuracy, student_samples, train_loop
from .labels import Labels
from .run import Run
from .scenes import Scenes
from .teacher import Teacher

# (name, grounded): the baseline never sees a box or the hint, the R2I student does
ROSTER = (("base", False), ("r2i", True))


def students_stage(
    run: Run, enc: PromptEncoder, teacher: Teacher, records: list[Record], labels: Labels, scenes: Scenes
) -> tuple[dict[str, TinyQwen2VL], list[dict]]:
    """Both students, and the loss log of the cycles trained in this run.

    The two are independent: they train at once, in forked processes that share the scenes
    (copy-on-write), with the threads split between them. Measured on two cores: one thread each
    trains 1.18x as many samples per second in all as two threads taking turns (docs/models.md). The
    loop after them finds every cycle cached, loads it and logs its validation figures."""
    cycles = student_cycles(run.recipe, run.student_seed)
    history = run_forked(
        [
            lambda n=name, g=grounded: _train_student(run, enc, teacher, records, labels, cycles, n, g, scenes, check_val=False)[1]
            for name, grounded in ROSTER
        ],
        max(1, run.threads // len(ROSTER)),
        run.log,
    )
    students = {}
    for name, grounded in ROSTER:
        students[name], trained = _train_student(run, enc, teacher, records, labels, cycles, name, grounded, scenes, check_val=True)
        history += trained
    return students, history


def cycle_inputs(run: Run, cycle: StudentCycle, previous: str, labels: Labels, grounded: bool) -> dict:
    """What a student cycle's cached checkpoint was made from, by the names the shipped cycles recorded."""
    inputs = {
        "teacher" if cycle.first else "from": previous,
        "labels": labels.digest,
        "steps": cycle.steps,
        "crop_share": cycle.crop_share,
        "aux_weight": run.recipe.aux_weight,
    }
    if not cycle.first:
        inputs |= {"lr": cycle.peak_lr, "warmup": cycle.warmup, "ground_prob": FINAL_BOXED if grounded else 0.0, "seed": cycle.seed}
    elif run.student_seed:  # recorded only when set, so the shipped first cycles' caches stay valid
        inputs |= {"seed": cycle.seed}
    if cycle.replay_text_share > 0:
        inputs |= {"replay_text_share": cycle.replay_text_share}
    if cycle.aux_warmup:
        inputs |= {"aux_warmup": cycle.aux_warmup}
    if cycle.anchor_weight > 0:
        inputs |= {"anchor_weight": cycle.anchor_weight}
    return inputs


def _train_student(
    run: Run,
    enc: PromptEncoder,
    teacher: Teacher,
    records: list[Record],
    labels: Labels,
    cycles: list[StudentCycle],
    name: str,
    grounded: bool,
    scenes: Scenes,
    check_val: bool,
) -> tuple[TinyQwen2VL, list[dict]]:
    """Both cycles of one student, each reused from its checkpoint while its inputs are unchanged."""
    st = copy.deepcopy(teacher.model)
    trained: list[dict] = []
    previous = teacher.digest  # the first cycle starts from the teacher
    for cycle in cycles:
        stage = f"student-{name}{cycle.suffix}"
        path = run.work / f"{stage}.pt"
        inputs = cycle_inputs(run, cycle, previous, labels, grounded)
        if reusable(path, inputs, run.log):
            st = load_checkpoint(path)
        else:
            torch.manual_seed((1 if cycle.first else 2) + 100 * run.student_seed)
            fn = student_samples(
                records,
                labels.labels,
                grounded,
                cycle.crop_share,
                cycle.boxed_share if grounded else None,
                replay_text_share=cycle.replay_text_share,
            )
            trained += train_loop(
                st,
                enc,
                fn,
                Schedule(steps=cycle.steps, lr=cycle.peak_lr, warmup=cycle.warmup),
                run.log,
                stage,
                aux_weight=run.recipe.aux_weight,
                teacher=teacher.model if cycle.anchor_weight > 0 else None,
                seed=cycle.seed,
                aux_warmup=cycle.aux_warmup,
                anchor_weight=cycle.anchor_weight,
            )
            save_checkpoint(st, path)
            record(path, inputs)
        previous = file_digest(path)
        if check_val:
            global_view, regional = quick_accuracy(st, enc, scenes.val, "full"), quick_accuracy(st, enc, scenes.val, "crop")
            run.log(f"{stage} val: global {global_view:.3f} regional {regional:.3f}")
    return st, trained
