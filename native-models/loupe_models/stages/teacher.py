"""The crop teacher: the recipe's teacher stages in order, each continuing the one before it."""

from __future__ import annotations

from dataclasses import dataclass

from ..data import Record, build_records
from ..data_parallel import train_data_parallel
from ..export import load_checkpoint, save_checkpoint
from ..model import TinyConfig, TinyQwen2VL
from ..recipe import TeacherStage, teacher_stage_inputs
from ..stage_cache import file_digest, record, reusable
from ..tokenizer import PromptEncoder
from ..train import Schedule, quick_accuracy, teacher_samples
from .run import Run
from .scenes import Scenes


@dataclass
class Teacher:
    model: TinyQwen2VL
    digest: str  # content hash of the last stage's checkpoint: what the later stages were made from
    history: list[dict]  # the loss log of the stages trained in this run


def teacher_stage(run: Run, enc: PromptEncoder, scenes: Scenes) -> Teacher:
    """Every teacher stage, each reused from its checkpoint while its inputs are unchanged."""
    model = TinyQwen2VL(TinyConfig(vocab_size=enc.tok.get_vocab_size()))
    extra: dict[str, list[Record]] = {}  # the stages' extra scenes, built once and kept while used
    previous, history = "scratch", []
    for stage in run.recipe.teacher:
        path = run.work / f"{stage.name}.pt"
        inputs = teacher_stage_inputs(run.recipe, stage, scenes.draws, previous)
        if reusable(path, inputs, run.log):
            model = load_checkpoint(path)
        else:
            history += _train(run, enc, model, stage, _crop_scenes(scenes, extra, stage.draws))
            save_checkpoint(model, path)
            record(path, inputs)
        previous = file_digest(path)
        run.log(f"{stage.name} val accuracy on crops: {quick_accuracy(model, enc, scenes.val, 'crop'):.3f}")
    return Teacher(model, previous, history)


def _crop_scenes(scenes: Scenes, extra: dict[str, list[Record]], names: tuple[str, ...]) -> list[Record]:
    """The base scenes plus the named draws, crop-only (the teacher never sees their full views). An
    earlier stage's extra scenes that this one does not use are dropped."""
    for name in list(extra):
        if name not in names:
            del extra[name]
    for name in names:
        if name not in extra:
            d = scenes.draws[name]
            extra[name] = build_records("train", d.n, start=d.start, dimension=d.dimension, crop_only=True)
    return scenes.base + [r for name in names for r in extra[name]]


def _train(run: Run, enc: PromptEncoder, model: TinyQwen2VL, stage: TeacherStage, crops: list[Record]) -> list[dict]:
    # one one-thread process per thread, sharing each step (data_parallel: 1.15-1.29x measured on two cores)
    return train_data_parallel(
        model,
        enc,
        teacher_samples(crops, glyphs=stage.glyphs, shares=dict(stage.shares)),
        Schedule(steps=stage.steps, lr=stage.lr, warmup=stage.warmup),
        run.log,
        stage.name,
        ranks=run.threads,
        aux_weight=run.recipe.aux_weight,
    )
