"""Which train-split scenes each stage of the pipeline draws.

Every stage has scenes of its own: a teacher stage that met the students' unlabelled pool, or two
reading stages that shared their fresh text scenes, would measure less than they claim. The train
split is laid out as: the base scenes, then the teacher's extra text and counting scenes, then the
students' pool, then each later reading stage's fresh text scenes, then the focus stage's fresh
counting and text scenes. The stage cache records these starts, so moving one retrains its stage.
"""

from __future__ import annotations

from typing import NamedTuple

from . import world
from .data import scene_indices


class Draw(NamedTuple):
    start: int
    n: int
    dimension: str | None  # None: every index from start; else the next n scenes of that dimension

    def indices(self) -> range:
        return scene_indices(self.start, self.n, self.dimension)


def scene_draws(
    *, train_items: int, text_items: int, count_items: int, pool_items: int, read_items: int, focus_items: int
) -> dict[str, Draw]:
    """The draws by name. A dimension's scenes are every sixth index, so the text and counting
    extras share one span of six times the larger count, and so do the focus stage's two."""
    six = len(world.DIMENSIONS)
    pool_start = train_items + six * max(text_items, count_items)
    read_start = pool_start + pool_items
    read_2_start = read_start + six * read_items
    focus_start = read_2_start + six * read_items
    return {
        "base": Draw(0, train_items, None),
        "text": Draw(train_items, text_items, "ocr"),
        "counting": Draw(train_items, count_items, "counting"),
        "pool": Draw(pool_start, pool_items, None),
        "read": Draw(read_start, read_items, "ocr"),
        "read-2": Draw(read_2_start, read_items, "ocr"),
        "focus-counting": Draw(focus_start, focus_items, "counting"),
        "focus-text": Draw(focus_start, focus_items, "ocr"),
    }
