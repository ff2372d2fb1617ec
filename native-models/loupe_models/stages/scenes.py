"""The tokenizer and the base scenes every later stage draws on."""

from __future__ import annotations

import time
from dataclasses import dataclass

from tokenizers import Tokenizer

from .. import world
from ..data import Record, build_records
from ..scene_draws import Draw
from ..tokenizer import PromptEncoder, build_tokenizer
from .run import Run


def tokenizer_stage(run: Run) -> PromptEncoder:
    """Byte-level BPE whose merges come from the question corpus only (loupe_models/tokenizer.py)."""
    path = run.work / "tokenizer.json"
    if path.exists():
        tok = Tokenizer.from_file(str(path))
    else:
        tok = build_tokenizer(world.question_corpus() * 8)
        tok.save(str(path))
    run.log(f"tokenizer: {tok.get_vocab_size()} tokens")
    return PromptEncoder(tok)


@dataclass
class Scenes:
    draws: dict[str, Draw]  # each stage's own train-split scenes (loupe_models/scene_draws.py)
    base: list[Record]  # the base scenes, with their key regions (the consensus views are cut from them)
    val: list[Record]  # the validation slice each stage's log line is scored on


def scenes_stage(run: Run) -> Scenes:
    """The base training scenes and the validation slice (built, not cached: seconds)."""
    t0 = time.time()
    base = build_records("train", run.recipe.train_items, keep_region=True)
    val = build_records("val", run.recipe.val_items)
    run.log(f"built {len(base)} train + {len(val)} val scenes in {time.time() - t0:.0f}s")
    return Scenes(run.recipe.draws(), base, val)
