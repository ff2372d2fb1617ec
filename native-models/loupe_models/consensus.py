"""Consensus labelling (docs/reference.md §5): the crop teacher answers every training question from
several views of the key region, and an item keeps the majority answer when enough views agree.
Which views, and why, is in scale_views."""

from __future__ import annotations

import time
from collections import Counter

import torch
from PIL import Image

from . import world
from .data import Record
from .evaluate import judge
from .infer import batch_answers
from .model import TinyQwen2VL
from .processes import run_forked
from .tokenizer import PromptEncoder

# recorded in the consensus stats and the stage cache: the view set the shipped labels were made with
VIEW_SET = "scale"


def scale_views(tight: Image.Image) -> list[Image.Image]:
    """K = 4 teacher views of the key region: the crop as the teacher was trained on it, at four scales:
    as it is, halved then restored (a blurred copy), enlarged 1.25x and 1.5x.

    Why these: the crop-trained teacher reads a view framed exactly by the key card's border far
    better than one cut inside it or with context around it. Measured on 240 validation scenes with
    the teacher after its second reading stage (commit 95721bd), OCR: tight 68%, 1.25x 68%, 1.5x 62%,
    halved 68%, but a 4% inset 10% and a 3% context margin 12% (objects 90% against 48% and 22%); the
    earlier set with the inset and the margin kept 147 of the 240 items (91.8% right, 9 of 40 text
    items), this one 228 (89.5% right, 36 of 40 text items). Wider context margins made the teacher
    disagree with itself on most items (22% kept with 8-25% margins).

    The tight crop comes first (its answer is `crop_answers`), the 1.5x view last: consensus_labels
    asks the fourth view only where the first three disagree, and which view is fourth does not
    change the labels (three agreeing views are a 75% majority whatever the fourth says); the largest
    view last made the stage 15% faster (24.2 s to 20.5 s on 192 scenes, the same labels)."""
    w, h = tight.size
    blurred = tight.resize((max(1, w // 2), max(1, h // 2)), Image.BICUBIC).resize((w, h), Image.BICUBIC)
    return [
        tight,
        blurred,
        tight.resize((int(w * 1.25), int(h * 1.25)), Image.BICUBIC),
        tight.resize((int(w * 1.5), int(h * 1.5)), Image.BICUBIC),
    ]


def crop_views(image: Image.Image, bbox) -> list[Image.Image]:
    """The views of the key region `bbox` of an ORIGINAL full image (scale_views of its tight crop)."""
    return scale_views(image.crop(bbox))


def _views(r: Record, split: str) -> list[Image.Image]:
    """A record's consensus views: from its stored key region (build_records(keep_region=True)), else
    from the regenerated scene (a scene takes 26 ms to regenerate, 16% of the stage)."""
    if r.region is not None:
        return scale_views(Image.fromarray(r.region))
    return crop_views(world.make_item(r.index, split).image, r.bbox)


def consensus_labels(
    teacher: TinyQwen2VL,
    enc: PromptEncoder,
    records: list[Record],
    split: str,
    log,
    agree: float = 0.75,
    chunk: int = 48,
    processes: int = 1,
) -> dict:
    """Teacher answers each item on K views (scale_views); keep items with >= agree majority share.

    Returns {index: label}, stats, and `crop_answers`: the teacher's answer on the tight crop
    (view 0) of EVERY item, kept or not (what the teacher reads on the crop alone). The teacher answers a chunk's views in padded batches (infer.batch_answers).
    processes > 1 splits the records at chunk boundaries between that many forked processes, which
    share the threads: on two cores, two one-thread processes labelled 192 scenes in 18.5 s against
    20.5 s for one two-thread process, with the same labels (each process then regenerated its own
    scenes, which one process did on one core while the other waited). Records built with
    keep_region skip that regeneration (_views)."""
    # whole chunks per process (ceil(n / processes) rounded up to a chunk): each process answers the
    # same padded batches one process would, so the labels are the same
    per_part = -(-len(records) // max(1, processes) // chunk) * chunk if records else chunk
    parts = [records[a : a + per_part] for a in range(0, len(records), per_part)] or [records]
    if len(parts) == 1:
        results = [_consensus_part(teacher, enc, records, split, log, agree, chunk, "consensus")]
    else:
        threads = max(1, torch.get_num_threads() // len(parts))
        jobs = [
            lambda part=part, k=k: [_consensus_part(teacher, enc, part, split, log, agree, chunk, f"consensus {k + 1}/{len(parts)}")]
            for k, part in enumerate(parts)
        ]
        results = run_forked(jobs, threads, log)
    labels: dict[int, str] = {}
    crop_answers: dict[int, str] = {}
    n_agree_gt = 0
    for part_labels, part_answers, part_agree in results:
        labels.update(part_labels)
        crop_answers.update(part_answers)
        n_agree_gt += part_agree
    stats = {
        "items": len(records),
        "kept": len(labels),
        "kept_share": len(labels) / max(1, len(records)),
        "kept_label_accuracy_vs_ground_truth": n_agree_gt / max(1, len(labels)),
        "views": 4,
        "view_set": VIEW_SET,
        "agreement_threshold": agree,
    }
    return {"labels": labels, "stats": stats, "crop_answers": crop_answers}


def _consensus_part(
    teacher: TinyQwen2VL,
    enc: PromptEncoder,
    records: list[Record],
    split: str,
    log,
    agree: float,
    chunk: int,
    label: str,
) -> tuple[dict[int, str], dict[int, str], int]:
    """consensus_labels over one share of the records: (labels, crop answers, labels right)."""
    labels: dict[int, str] = {}
    crop_answers: dict[int, str] = {}
    n_agree_gt = 0
    t0 = time.time()
    for start in range(0, len(records), chunk):
        part = records[start : start + chunk]
        views = [_views(r, split) for r in part]
        queries = [r.query(False) for r in part]
        first = batch_answers(teacher, enc, [v[j] for v in views for j in range(3)], [q for q in queries for _ in range(3)], 6)
        answers = [[a.strip() for a in first[3 * k : 3 * k + 3]] for k in range(len(part))]
        # three agreeing views already make a >= 75% majority of four: the fourth cannot change it
        split_votes = [k for k, a in enumerate(answers) if len(set(a)) > 1]
        if split_votes:
            fourth = batch_answers(teacher, enc, [views[k][3] for k in split_votes], [queries[k] for k in split_votes], 6)
            for k, a in zip(split_votes, fourth):
                answers[k].append(a.strip())
        for r, a in zip(part, answers):
            if len(a) == 3:
                a.append(a[0])
            crop_answers[r.index] = a[0]
            top, cnt = Counter(a).most_common(1)[0]
            if cnt / len(a) >= agree and top:
                labels[r.index] = top
                n_agree_gt += int(judge(top, r.answer, r.options))
        done = start + len(part)
        if done // 960 > start // 960 or done == len(records):
            log(f"[{label}] {done}/{len(records)} kept {len(labels)} ({time.time() - t0:.0f}s)")
    return labels, crop_answers, n_agree_gt
