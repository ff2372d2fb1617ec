"""Training loops and batch samplers: the crop teacher and the two students (consensus labelling,
between them, is in consensus.py).

Region-to-Image Distillation in miniature (docs/reference.md §5):
- the TEACHER learns the regional view (key-region crops) from the world's ground truth;
- it then answers every training question from K views of the crop; an item is kept when
  at least 75% of the views agree, and the majority answer becomes the label;
- both STUDENTS start from the same initialisation (the teacher's weights, standing in for a
  pretrained base model that perceives crops well) and get the same images, the same
  teacher labels and the same number of steps; a fixed share of every batch replays
  regional crops so both keep their regional-view skill;
- the R2I student sees the full image with the grounding transform (red box + hint); the
  baseline never sees a box or the hint.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

from . import world
from .data import AUX_CLASSES, GLYPH_CLASSES, OCR_POSITIONS, Record, aux_targets, collate, glyph_targets, region_cells
from .evaluate import judge
from .infer import batch_answers
from .model import TinyQwen2VL
from .tokenizer import PromptEncoder

if TYPE_CHECKING:
    from .data_parallel import GradientExchange


@dataclass
class Schedule:
    steps: int
    batch_size: int = 16
    lr: float = 1e-3
    warmup: int = 100
    weight_decay: float = 0.05

    def lr_at(self, step: int) -> float:
        if step < self.warmup:
            return self.lr * (step + 1) / self.warmup
        t = (step - self.warmup) / max(1, self.steps - self.warmup)
        return self.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * t)))


class AuxHead(nn.Module):
    """Training-only auxiliary perception heads on the visual features (not exported): region-pooled
    content and characters, and per-token glyphs (data.glyph_targets) where a batch carries them.

    A tiny model learning from the answer tokens alone takes long to discover the image at all;
    this head gives the vision tower a direct signal about the key region's content. Both students
    get the same head and weight, so it does not favour either."""

    def __init__(self, hidden: int):
        super().__init__()
        self.cls = nn.Linear(hidden, len(AUX_CLASSES))
        self.chars = nn.Linear(hidden, OCR_POSITIONS * (len(world.OCR_ALPHABET) + 1))
        self.glyphs = nn.Linear(hidden, GLYPH_CLASSES)  # per visual token (data.glyph_targets)

    def terms(self, feats: torch.Tensor, batch: dict) -> list[tuple[str, torch.Tensor, int]]:
        """(name, summed loss, count) of each head with targets in this batch; the step's loss
        divides each sum by its count over the whole step (step_loss)."""
        m = batch["aux_region"].float()[..., None]
        pooled = (feats * m).sum(1) / m.sum(1).clamp(min=1.0)
        chars = self.chars(pooled).view(-1, OCR_POSITIONS, len(world.OCR_ALPHABET) + 1)
        g = batch["aux_glyphs"]
        out = []
        for name, logits, target in (
            ("cls", self.cls(pooled), batch["aux_class"]),
            ("chars", chars.reshape(-1, chars.shape[-1]), batch["aux_chars"].reshape(-1)),
            ("glyphs", self.glyphs(feats[g >= 0]), g[g >= 0]),
        ):
            valid = target >= 0
            n = int(valid.sum())
            if n:
                out.append((name, F.cross_entropy(logits[valid], target[valid], reduction="sum"), n))
        return out


def replayed_crop(sample: tuple) -> bool:
    """Whether a sample is a replayed crop: its optional fifth element, set by student_samples, which
    the feature anchor reads (anchor_terms)."""
    return len(sample) > 4 and bool(sample[4])


def anchor_terms(feats: torch.Tensor, teacher: TinyQwen2VL, samples: list[tuple], batch: dict) -> tuple[torch.Tensor, int]:
    """The feature anchor: (1 - cosine similarity) between the model's visual features and the
    frozen teacher's, summed over the visual tokens of the flagged samples (the replayed crops), and
    their number. Why: the students' full-image training rewrites their vision tower (on this
    bench's crops, cosine 0.24-0.31 to the teacher's features after training, 0.84 between two of
    the teacher's own stages) and with it the glyph and count features the teacher's reading stages
    built; anchoring the tower's output on crops keeps what it sees there and leaves its full-image
    features free. Cosine, not squared error, so the weight does not depend on the features' scale."""
    rows = torch.tensor([replayed_crop(smp) for smp in samples]).nonzero()[:, 0]
    vis = batch["vis_mask"][rows]
    if not bool(vis.any()):
        return feats.sum() * 0, 0
    with torch.no_grad():
        t_feats = teacher.visual(batch["patches"][rows], batch["patch_rows"][rows], batch["patch_cols"][rows], vis)
    return (1.0 - F.cosine_similarity(feats[rows][vis], t_feats[vis], dim=-1)).sum(), int(vis.sum())


def size_groups(samples: list[tuple], min_saving: float = 0.1) -> list[list[int]]:
    """Split a step's samples into at most two sub-batches by image size, where that saves at least
    `min_saving` of the padded pixels. Why: a padded batch runs every row at its largest image, so a
    224 x 224 crop replayed beside 448 x 448 full views costs as much as a full view (its visual
    tokens are padding); run apart, a step takes 0.84x the time with a quarter of crops and 0.73x with
    half (measured on two cores). step_loss keeps the loss that of one padded batch."""
    everything = [list(range(len(samples)))]
    if len(samples) < 2:
        return everything
    sizes = [smp[0].shape[0] * smp[0].shape[1] for smp in samples]
    order = sorted(range(len(samples)), key=sizes.__getitem__)
    largest = sizes[order[-1]]
    # the j smallest images padded to the j-th size, the others to the largest
    cost, k = min((j * sizes[order[j - 1]] + (len(order) - j) * largest, j) for j in range(1, len(order)))
    if cost > (1 - min_saving) * len(samples) * largest:
        return everything
    return [sorted(order[:k]), sorted(order[k:])]


LOSS_TERMS = ("answer", "anchor", "cls", "chars", "glyphs")


def step_loss(
    model: TinyQwen2VL,
    enc: PromptEncoder,
    samples: list[tuple],
    aux: AuxHead | None = None,
    aux_weight: float = 0.0,
    teacher: TinyQwen2VL | None = None,
    groups: list[list[int]] | None = None,
    anchor_weight: float = 0.0,
) -> torch.Tensor:
    """One training step's loss over `samples`, run as the padded sub-batches `groups` (default
    size_groups). Each term (answer tokens, the feature anchor, each auxiliary head) is summed over the
    sub-batches and divided by its count over the whole step, so the loss and its gradient are those
    of one padded batch up to rounding (test_split_step_equals_one_padded_batch)."""
    sums, counts = step_sums(model, enc, samples, aux, teacher, groups, anchor=anchor_weight > 0)
    return combine_terms(sums, counts, aux_weight, anchor_weight)


def step_sums(
    model: TinyQwen2VL,
    enc: PromptEncoder,
    samples: list[tuple],
    aux: AuxHead | None = None,
    teacher: TinyQwen2VL | None = None,
    groups: list[list[int]] | None = None,
    anchor: bool = False,
) -> tuple[dict[str, torch.Tensor], dict[str, int]]:
    """Each LOSS_TERMS term summed over `samples`, and its count: a step's share, which step_loss
    (one process) or data_parallel (several) divides by the whole step's counts. With a teacher and
    `anchor`, the flagged samples (the replayed crops) add the feature anchor (anchor_terms)."""
    sums: dict[str, torch.Tensor] = {}
    counts: dict[str, int] = {}

    def add(name: str, total: torch.Tensor, n: int) -> None:
        sums[name] = sums[name] + total if name in sums else total
        counts[name] = counts.get(name, 0) + n

    for idx in groups if groups is not None else size_groups(samples):
        part = [samples[i] for i in idx]
        batch = collate(part, enc)
        hidden, feats = model.forward_train(batch)
        sel = batch["labels"] != -100
        logits = model.lm_head(hidden[sel])
        add("answer", F.cross_entropy(logits, batch["labels"][sel], reduction="sum"), int(sel.sum()))
        if teacher is not None and anchor:
            add("anchor", *anchor_terms(feats, teacher, part, batch))
        if aux is not None:
            for name, total, n in aux.terms(feats, batch):
                add(name, total, n)
    return sums, counts


def combine_terms(sums: dict[str, torch.Tensor], counts: dict[str, int], aux_weight: float, anchor_weight: float = 0.0) -> torch.Tensor:
    """The step's loss: each term's sum over its count (the whole step's), weighted."""
    weights = {
        "answer": 1.0,
        "anchor": anchor_weight,
        "cls": aux_weight,
        "chars": aux_weight,
        "glyphs": aux_weight,
    }
    loss = torch.zeros(())
    for name, total in sums.items():
        if counts.get(name, 0) > 0:
            loss = loss + weights[name] * total / counts[name]
    return loss


def warm_aux_head(
    model: TinyQwen2VL,
    aux: AuxHead,
    enc: PromptEncoder,
    sample_fn,
    steps: int,
    seed: int,
    log,
    label: str,
    lr: float = 3e-3,
) -> list[dict]:
    """Fit a fresh auxiliary head to the model's frozen visual features before the model trains with
    it (linear probing, then fine-tuning). Why: a second training cycle starts a fresh head on a
    tower that already encodes the region; its random predictions cost about 6.6 nats (ln 41 classes
    plus ln 18 characters), and for the first few hundred steps their gradients pull the tower
    towards a random target while the global gradient clipping shrinks every other update. Only the
    vision tower runs (the head reads its features), without gradients, so a warm-up step costs a
    small part of a training step. Its sampler has its own rng, so the cycle that follows draws the
    same samples as it would without a warm-up."""
    opt = torch.optim.AdamW(aux.parameters(), lr=lr, weight_decay=0.0)
    rng = random.Random(seed + 7919)
    history, run_loss, t0 = [], 0.0, time.time()
    for step in range(steps):
        samples = sample_fn(0, rng)
        sums: dict[str, torch.Tensor] = {}
        counts: dict[str, int] = {}
        for idx in size_groups(samples):
            batch = collate([samples[i] for i in idx], enc)
            with torch.no_grad():
                feats = model.visual(batch["patches"], batch["patch_rows"], batch["patch_cols"], batch["vis_mask"])
            for name, total, n in aux.terms(feats, batch):
                sums[name] = sums[name] + total if name in sums else total
                counts[name] = counts.get(name, 0) + n
        loss = combine_terms(sums, counts, 1.0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        run_loss += float(loss.detach())
        if (step + 1) % 50 == 0 or step + 1 == steps:
            n = 50 if (step + 1) % 50 == 0 else (step + 1) % 50
            history.append({"stage": f"{label}-aux-warmup", "step": step + 1, "loss": run_loss / n, "elapsed_s": time.time() - t0})
            log(f"[{label}] aux head warm-up {step + 1}/{steps} loss {run_loss / n:.4f} {time.time() - t0:.0f}s")
            run_loss = 0.0
    return history


def train_loop(
    model: TinyQwen2VL,
    enc: PromptEncoder,
    sample_fn,
    sched: Schedule,
    log,
    label: str,
    aux_weight: float = 0.0,
    teacher: TinyQwen2VL | None = None,
    seed: int = 1234,
    exchange: GradientExchange | None = None,
    rank: int = 0,
    aux_warmup: int = 0,
    anchor_weight: float = 0.0,
) -> list[dict]:
    """sample_fn(step, rng) -> list of (uint8 image, query, answer[, aux[, replayed crop]]). With a
    teacher and `anchor_weight`, the replayed crops' visual features stay near the teacher's
    (anchor_terms). `seed` seeds the sampler's rng: a second cycle on the same
    scenes gives it another seed so that it does not replay the first cycle's draws. With an
    `exchange` (data_parallel), this process is rank `rank` of several that share each step.
    `aux_warmup` steps fit the fresh auxiliary head alone first (warm_aux_head; one process only).
    Returns the loss log."""
    aux = AuxHead(model.cfg.hidden_size) if aux_weight > 0 else None
    history = []
    if aux is not None and aux_warmup > 0:
        if exchange is not None:
            raise ValueError("aux_warmup runs in one process; the data-parallel stages do not take it")
        model.train()
        history += warm_aux_head(model, aux, enc, sample_fn, aux_warmup, seed, log, label)
    params = list(model.parameters()) + (list(aux.parameters()) if aux else [])
    opt = torch.optim.AdamW(params, lr=sched.lr, weight_decay=sched.weight_decay, betas=(0.9, 0.98))
    rng = random.Random(seed)
    model.train()
    t0 = time.time()
    run_loss, run_n = 0.0, 0
    if teacher is not None:
        # the training-mode fast paths (exact, see model.py); anchor_terms runs it without gradients
        teacher.train()
    for step in range(sched.steps):
        for g in opt.param_groups:
            g["lr"] = sched.lr_at(step)
        samples = sample_fn(step, rng)
        if exchange is not None:
            samples = exchange.share(samples, rank)
        sums, counts = step_sums(model, enc, samples, aux, teacher, anchor=anchor_weight > 0)
        if exchange is not None:
            counts = exchange.total_counts(counts, rank, step)
        loss = combine_terms(sums, counts, aux_weight, anchor_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        step_value = exchange.sum_gradients(params, loss, rank, step) if exchange is not None else float(loss.detach())
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        run_loss += step_value
        run_n += 1
        if (step + 1) % 50 == 0 or step + 1 == sched.steps:
            el = time.time() - t0
            rate = (step + 1) * sched.batch_size / el
            entry = {"stage": label, "step": step + 1, "loss": run_loss / run_n, "samples_per_s": rate, "elapsed_s": el}
            history.append(entry)
            log(f"[{label}] step {step + 1}/{sched.steps} loss {run_loss / run_n:.4f} {rate:.1f} samples/s {el:.0f}s")
            run_loss, run_n = 0.0, 0
    model.eval()
    if teacher is not None:
        teacher.eval()
    return history


OPEN_FORM_SHARE = 0.4


def _question(r: Record, answer: str, grounded: bool, rng: random.Random) -> tuple[str, str]:
    """Query and target for one sample.

    Multiple-choice items are answered with the chosen option's TEXT, not its letter: binding a
    perceived content to an option letter is a two-step retrieval that a 4-layer model trained for
    minutes does not learn (measured: open answers 70-100% while letters stayed at chance), and
    ZoomBench's rule judge (and Loupe's) maps an answer that names exactly one option to its letter.
    A share of them is also asked open-ended, without the options."""
    if r.question_type == "mcq":
        content = r.content_for(answer)
        if rng.random() < OPEN_FORM_SHARE:
            return world.format_query(r.stem, None, "blank", grounded), content
        return r.query(grounded), content
    return r.query(grounded), answer


def teacher_samples(records: list[Record], glyphs: bool = False, shares: dict[str, float] | None = None):
    """Crop batches with ground-truth answers. glyphs: add per-token glyph targets on text crops;
    shares: draw that share of each batch from the items of each named dimension, the rest from
    the other dimensions (default: as they come)."""
    shares = {d: s for d, s in (shares or {}).items() if s > 0}
    pools = {d: [r for r in records if r.dimension == d] for d in shares}
    rest = [r for r in records if r.dimension not in shares]
    if sum(shares.values()) > 1 or any(not p for p in pools.values()) or (shares and sum(shares.values()) < 1 and not rest):
        raise ValueError(f"teacher_samples: shares {shares} do not fit the records' dimensions")

    def fn(step: int, rng: random.Random):
        batch = []
        for _ in range(16):
            r = None
            # the share variate only where there are shares: without them the sampler draws what it
            # drew before shares existed, the stream the shipped teacher's three cycles trained on.
            # An unconditional draw shifted every later draw, and the first cycle then learnt far
            # less (docs/models.md, commit ca47f21 in "What was tried")
            u = rng.random() if shares else 1.0
            for d, s in shares.items():
                if u < s:
                    r = rng.choice(pools[d])
                    break
                u -= s
            if r is None:
                r = rng.choice(rest if shares else records)
            q, a = _question(r, r.answer, False, rng)
            batch.append((r.crop, q, a, (*aux_targets(r.dimension, r.content), None, glyph_targets(r) if glyphs else [])))
        return batch

    return fn


def student_samples(
    records: list[Record],
    labels: dict[int, str],
    grounded: bool,
    crop_share: float,
    ground_prob_fn=None,
    replay_text_share: float = 0.0,
):
    """Student batches: full-image items (grounded or not) plus a fixed share of crop replay, both with
    the consensus labels of the kept scenes.

    replay_text_share: that share of the replayed crops is drawn from the kept text scenes (the rest
    as they come), for students that read worse than their teacher. 0 draws exactly as before the
    share existed.

    ground_prob_fn(step) -> probability of the grounded view for the R2I student.

    Every replayed crop carries the flag (the fifth element) that the feature anchor reads (anchor_terms)."""
    kept = [r for r in records if r.index in labels]
    kept_text = [r for r in kept if r.dimension == "ocr"]
    if replay_text_share > 0 and not kept_text:
        raise ValueError("student_samples: replay_text_share is set but the consensus kept no text scene")

    def targets(r: Record, ans: str):
        # the auxiliary heads follow the teacher's answer, like the answer token does
        content = r.content_for(ans) or r.content
        return aux_targets(r.dimension, content) if _valid(r.dimension, content) else (-100, [-100] * OCR_POSITIONS)

    def fn(step: int, rng: random.Random):
        batch = []
        p_ground = ground_prob_fn(step) if (grounded and ground_prob_fn) else (1.0 if grounded else 0.0)
        for _ in range(16):
            r = rng.choice(kept)
            ans = labels[r.index]
            if rng.random() < crop_share:
                if replay_text_share > 0 and rng.random() < replay_text_share:
                    r = rng.choice(kept_text)
                    ans = labels[r.index]
                batch.append((r.crop, *_question(r, ans, False, rng), (*targets(r, ans), None), True))
                continue
            cls_chars = targets(r, ans)
            if rng.random() < p_ground:
                cells = region_cells(r.grounded.shape, r.bbox, r.size)
                batch.append((r.grounded, *_question(r, ans, True, rng), (*cls_chars, cells)))
            else:
                cells = region_cells(r.full.shape, r.bbox, r.size)
                batch.append((r.full, *_question(r, ans, False, rng), (*cls_chars, cells)))
        return batch

    return fn


def _valid(dimension: str, content: str) -> bool:
    return world.is_valid_content(dimension, content) and (dimension == "ocr" and len(content) <= OCR_POSITIONS or content in AUX_CLASSES)


def quick_accuracy(model: TinyQwen2VL, enc: PromptEncoder, records: list[Record], view: str, limit: int = 120, chunk: int = 48) -> float:
    """Share of the first `limit` records answered right in one view ('full', 'grounded' or 'crop')."""
    recs = records[:limit]
    ok = 0
    for start in range(0, len(recs), chunk):
        part = recs[start : start + chunk]
        answers = batch_answers(model, enc, [Image.fromarray(getattr(r, view)) for r in part], [r.query(False) for r in part], 6)
        ok += sum(int(judge(a, r.answer, r.options)) for a, r in zip(answers, part))
    return ok / len(recs)
