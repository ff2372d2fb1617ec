"""The bundled students' recipe, in one place: the scenes each stage draws, the teacher's stages, the
students' two cycles, and the sizes a `--quick` smoke run shrinks them to.

`SHIPPED` is what built resources/models/loupe-tiny-base and loupe-tiny-r2i (their loupe.json records it,
and tests/test_recipe.py checks the two agree); docs/models.md says why each stage is there and what the
alternatives that were tried measured. The stages that run it are in loupe_models/stages/.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .scene_draws import Draw, scene_draws

# the batch every stage trains on
BATCH_SIZE = 16


@dataclass(frozen=True)
class TeacherStage:
    """One cosine cycle of the crop teacher, continuing the stage before it."""

    name: str  # the stage's checkpoint (<name>.pt) and log label
    steps: int
    lr: float  # peak rate
    warmup: int
    draws: tuple[str, ...] = ()  # scene draws beyond the base scenes (crop-only, loupe_models/scene_draws.py)
    glyphs: bool = False  # per-token glyph targets on text crops (data.glyph_targets)
    shares: tuple[tuple[str, float], ...] = ()  # (dimension, share of each batch drawn from its scenes)
    words: str = ""  # what the stage adds, for loupe.json's teacher data ({steps}, sizes and starts filled in)


def _shares(**shares: float) -> tuple[tuple[str, float], ...]:
    return tuple(shares.items())


TEACHER_STAGES = (
    # three cosine cycles on the base scenes: the first from scratch, then two lower-rate cycles (the
    # loss was still falling after each)
    TeacherStage("teacher", 1200, 1.5e-3, 100),
    TeacherStage("teacher-continued", 1000, 7e-4, 50),
    TeacherStage("teacher-extended", 5000, 7e-4, 50),
    # reading: the base scenes hold too few text crops for the tower to learn the glyphs; extra text
    # scenes and the per-token glyph target teach it, the other dimensions stay in every batch
    TeacherStage(
        "teacher-text",
        1200,
        7e-4,
        50,
        ("text",),
        True,
        _shares(ocr=0.5),
        "; a reading stage of {steps} steps adds {text_items} extra text scenes (train split, from index {text_start}) "
        "and per-token glyph targets",
    ),
    # counting and reading, the two weak dimensions after the reading stage
    TeacherStage(
        "teacher-count",
        1200,
        7e-4,
        50,
        ("text", "counting"),
        True,
        _shares(ocr=1 / 3, counting=1 / 3),
        "; a counting-and-reading stage of {steps} steps adds {count_items} extra counting scenes",
    ),
    # two more reading stages on fresh text scenes: the students cannot read better than the teacher
    # that labels their scenes
    TeacherStage(
        "teacher-read",
        1500,
        7e-4,
        50,
        ("text", "read"),
        True,
        _shares(ocr=0.5),
        "; a second reading stage of {steps} steps adds {read_items} more text scenes (from index {read_start})",
    ),
    TeacherStage(
        "teacher-read-2",
        1500,
        7e-4,
        50,
        ("text", "read", "read-2"),
        True,
        _shares(ocr=0.5),
        "; a third reading stage of {steps} steps adds {read_items} more text scenes (from index {read_2_start})",
    ),
    # a focus stage on the teacher's two weakest dimensions, where its students lost their regional view
    TeacherStage(
        "teacher-focus",
        1500,
        7e-4,
        50,
        ("focus-counting", "focus-text"),
        True,
        _shares(ocr=1 / 3, counting=1 / 3),
        "; a counting-and-reading focus stage of {steps} steps adds {focus_items} counting and as many text scenes "
        "(from index {focus_start})",
    ),
)


@dataclass(frozen=True)
class Recipe:
    # scenes (train split unless said): the base scenes, each teacher stage's extras, the students'
    # unlabelled pool, and the held-out slices the log and the probes use
    train_items: int = 3000
    text_items: int = 3000
    count_items: int = 3000
    read_items: int = 3000  # per reading stage after the first
    focus_items: int = 3000  # counting scenes, and as many text scenes
    pool_items: int = 6000
    val_items: int = 60  # validation scenes each stage's log line is scored on
    probe_train_items: int = 1500  # of the base scenes, to fit the perception probes on
    probe_items: int = 360  # validation scenes the probes are scored on
    teacher: tuple[TeacherStage, ...] = TEACHER_STAGES
    aux_weight: float = 1.0  # the training-only auxiliary perception heads (train.AuxHead)
    # the students' two cycles (loupe_models/student_cycles.py)
    student_steps: int = 2200
    student_continue: int = 1500
    crop_share: float = 0.25  # share of each batch replaying regional crops, first cycle
    continue_crop_share: float = 0.5  # the same in the second cycle
    continue_replay_text: float = 0.33  # share of the second cycle's replayed crops drawn from the kept text scenes
    anchor_weight: float = 1.0  # first cycle's crop-feature anchor (train.anchor_terms); the second has none
    aux_warmup: int = 300  # steps fitting the second cycle's fresh auxiliary head first (train.warm_aux_head)
    eval_limit: int | None = None  # bench items evaluated (None: all)

    def draws(self) -> dict[str, Draw]:
        """Each stage's own train-split scenes (loupe_models/scene_draws.py)."""
        return scene_draws(
            train_items=self.train_items,
            text_items=self.text_items,
            count_items=self.count_items,
            pool_items=self.pool_items,
            read_items=self.read_items,
            focus_items=self.focus_items,
        )

    def teacher_steps(self) -> int:
        return sum(s.steps for s in self.teacher)

    def quick(self) -> Recipe:
        """Tiny sizes for a minutes-long smoke run of every stage (the recipe's shape, not its results)."""
        return replace(
            self,
            train_items=48,
            text_items=12,
            count_items=12,
            read_items=12,
            focus_items=12,
            pool_items=12,
            val_items=6,
            probe_items=12,
            teacher=tuple(replace(s, steps=6 if i == 0 else 3) for i, s in enumerate(self.teacher)),
            student_steps=6,
            student_continue=3,
            aux_warmup=3,
            eval_limit=6,
        )


SHIPPED = Recipe()

# The stage cache's record of each draw a teacher stage uses (loupe_models/stage_cache.py), under the
# names the shipped stages recorded: a moved or resized draw retrains its stage.
_DRAW_INPUTS = {
    "text": ("text_items",),
    "counting": ("count_items",),
    "read": ("read_items", "read_start"),
    "read-2": ("read_items", "read_2_start"),
    "focus-counting": ("focus_items", "focus_start"),
    "focus-text": ("focus_items", "focus_start"),
}


def draw_facts(recipe: Recipe, draws: dict[str, Draw]) -> dict[str, int]:
    """Sizes and starts by the names the stage cache and the manifest's words use."""
    return {
        "train_items": recipe.train_items,
        "text_items": recipe.text_items,
        "text_start": draws["text"].start,
        "count_items": recipe.count_items,
        "read_items": recipe.read_items,
        "read_start": draws["read"].start,
        "read_2_start": draws["read-2"].start,
        "focus_items": recipe.focus_items,
        "focus_start": draws["focus-counting"].start,
        "pool_start": draws["pool"].start,
    }


def teacher_stage_inputs(recipe: Recipe, stage: TeacherStage, draws: dict[str, Draw], previous: str) -> dict:
    """What a teacher stage's cached checkpoint was made from: the stage before it (`previous`: a
    content hash, or "scratch"), its schedule, and the scenes it draws."""
    facts = draw_facts(recipe, draws)
    inputs = {
        "from": previous,
        "steps": stage.steps,
        "lr": stage.lr,
        "warmup": stage.warmup,
        "train_items": recipe.train_items,
        "aux_weight": recipe.aux_weight,
    }
    for name in stage.draws:
        inputs |= {key: facts[key] for key in _DRAW_INPUTS[name]}
    return inputs


def teacher_data_words(recipe: Recipe, draws: dict[str, Draw]) -> str:
    """The teacher's data as loupe.json's `training.teacher.data` says it."""
    facts = draw_facts(recipe, draws)
    return f"regional crops of train indices 0..{recipe.train_items - 1}, ground-truth labels" + "".join(
        s.words.format(steps=s.steps, **facts) for s in recipe.teacher if s.words
    )
