"""The students' scenes and the teacher's consensus labels on them (reference: docs/reference.md, R2I)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..consensus import VIEW_SET, consensus_labels
from ..data import Record, build_records
from ..stage_cache import json_digest, record, reusable
from ..tokenizer import PromptEncoder
from .run import Run
from .scenes import Scenes
from .teacher import Teacher


def student_scenes(run: Run, scenes: Scenes) -> list[Record]:
    """The teacher's base scenes plus the unlabelled pool it never trained on (after every teacher
    stage's extra scenes). Measured on an earlier build: a student trained on the 3,000 base scenes
    answered 59% of its training images' full views but 38% of unseen ones."""
    pool = scenes.draws["pool"]
    records = scenes.base + build_records("train", pool.n, start=pool.start, keep_region=True)
    run.log(f"students' scenes: {len(records)} (train indices 0..{run.recipe.train_items - 1} and {pool.start}..{pool.start + pool.n - 1})")
    return records


@dataclass
class Labels:
    labels: dict[int, str]  # scene index -> the consensus answer, for the scenes kept
    stats: dict  # what loupe.json records as training.consensus
    digest: str  # content hash of the labels: what the students were trained on


def labels_stage(run: Run, enc: PromptEncoder, teacher: Teacher, records: list[Record], scenes: Scenes) -> Labels:
    """The teacher answers every scene from four views of its key region; a scene is kept with the
    majority answer when at least 75% of the views agree (loupe_models/consensus.py)."""
    path = run.work / "consensus.json"
    pool = scenes.draws["pool"]
    # format 2: the file also holds the teacher's answer on every scene's tight crop (crop_answers)
    inputs = {"teacher": teacher.digest, "train_items": run.recipe.train_items, "pool_start": pool.start, "pool_items": pool.n}
    inputs |= {"format": 2, "views": VIEW_SET}
    if not reusable(path, inputs, run.log):
        # one process per thread: the scenes are regenerated on one core at a time (consensus.consensus_labels)
        res = consensus_labels(teacher.model, enc, records, "train", run.log, processes=run.threads)
        path.write_text(json.dumps({key: res[key] for key in ("labels", "stats", "crop_answers")}))
        record(path, inputs)
    cons = json.loads(path.read_text())  # string keys, fresh or cached
    run.log(f"consensus: {json.dumps(cons['stats'])}")
    labels = {int(k): v for k, v in cons["labels"].items()}
    if run.quick and not labels:
        # a few-step teacher agrees on nothing; the smoke run only checks the plumbing
        labels = {r.index: r.answer for r in records}
        run.log("quick run: no consensus labels, using ground truth to exercise the student stage")
    return Labels(labels, cons["stats"], json_digest(cons["labels"]))
