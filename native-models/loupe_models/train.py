"""Training loops: the crop teacher, consensus labelling, and the two students.

Region-to-Image Distillation in miniature (reference.md §5):
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
from collections import Counter
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

from . import world
from .data import AUX_CLASSES, GLYPH_CLASSES, OCR_POSITIONS, Record, aux_targets, collate, glyph_targets, region_cells
from .evaluate import judge
from .infer import prepare, torch_infer
from .model import TinyQwen2VL
from .tokenizer import PromptEncoder


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

    def loss(self, feats: torch.Tensor, batch: dict) -> torch.Tensor:
        m = batch["aux_region"].float()[..., None]
        pooled = (feats * m).sum(1) / m.sum(1).clamp(min=1.0)
        l1 = F.cross_entropy(self.cls(pooled), batch["aux_class"], ignore_index=-100) if (batch["aux_class"] >= 0).any() else pooled.sum() * 0
        chars = self.chars(pooled).view(-1, OCR_POSITIONS, len(world.OCR_ALPHABET) + 1)
        t = batch["aux_chars"]
        l2 = F.cross_entropy(chars.reshape(-1, chars.shape[-1]), t.reshape(-1), ignore_index=-100) if (t >= 0).any() else pooled.sum() * 0
        g = batch["aux_glyphs"]
        l3 = F.cross_entropy(self.glyphs(feats[g >= 0]), g[g >= 0]) if (g >= 0).any() else pooled.sum() * 0
        return l1 + l2 + l3


def train_loop(model: TinyQwen2VL, enc: PromptEncoder, sample_fn, sched: Schedule, log, label: str, aux_weight: float = 0.0) -> list[dict]:
    """sample_fn(step, rng) -> list of (uint8 image, query, answer[, aux]). Returns the loss log."""
    aux = AuxHead(model.cfg.hidden_size) if aux_weight > 0 else None
    params = list(model.parameters()) + (list(aux.parameters()) if aux else [])
    opt = torch.optim.AdamW(params, lr=sched.lr, weight_decay=sched.weight_decay, betas=(0.9, 0.98))
    rng = random.Random(1234)
    model.train()
    history = []
    t0 = time.time()
    run_loss, run_n = 0.0, 0
    for step in range(sched.steps):
        for g in opt.param_groups:
            g["lr"] = sched.lr_at(step)
        batch = collate(sample_fn(step, rng), enc)
        hidden, feats = model.forward_train(batch)
        sel = batch["labels"] != -100
        loss = F.cross_entropy(model.lm_head(hidden[sel]), batch["labels"][sel])
        if aux is not None:
            loss = loss + aux_weight * aux.loss(feats, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        run_loss += float(loss.detach())
        run_n += 1
        if (step + 1) % 50 == 0 or step + 1 == sched.steps:
            el = time.time() - t0
            rate = (step + 1) * sched.batch_size / el
            entry = {"stage": label, "step": step + 1, "loss": run_loss / run_n, "samples_per_s": rate, "elapsed_s": el}
            history.append(entry)
            log(f"[{label}] step {step + 1}/{sched.steps} loss {run_loss / run_n:.4f} {rate:.1f} samples/s {el:.0f}s")
            run_loss, run_n = 0.0, 0
    model.eval()
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
            u = rng.random()
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


def crop_views(r_img: Image.Image, bbox, size) -> list[Image.Image]:
    """K = 4 teacher views of the key region, all close to the tight crop the teacher was trained on:
    the crop, a 4% inset, a 3% context margin, and the crop enlarged 1.5x (a different token grid).
    (Wider context margins put clutter into the view that a crop-trained tiny teacher never saw, and
    its views then disagree on most items: measured 22% kept with 8-25% margins.)"""
    x1, y1, x2, y2 = bbox
    w, h = x2 - x1, y2 - y1
    W, H = size
    tight = r_img.crop(bbox)
    inset = r_img.crop((int(x1 + 0.04 * w), int(y1 + 0.04 * h), int(x2 - 0.04 * w), int(y2 - 0.04 * h)))
    margin = r_img.crop((max(0, int(x1 - 0.03 * w)), max(0, int(y1 - 0.03 * h)), min(W, int(x2 + 0.03 * w)), min(H, int(y2 + 0.03 * h))))
    big = tight.resize((int(w * 1.5), int(h * 1.5)), Image.BICUBIC)
    return [tight, inset, margin, big]


def consensus_labels(teacher: TinyQwen2VL, enc: PromptEncoder, records: list[Record], full_images, log, agree: float = 0.75) -> dict:
    """Teacher answers each item on K views; keep items with >= agree majority share.

    full_images(index) -> the ORIGINAL full PIL image (regenerated from the seed), so views with
    context margins can be cut. Returns {index: label} and stats."""
    labels: dict[int, str] = {}
    n_agree_gt = 0
    t0 = time.time()
    for k, r in enumerate(records):
        img = full_images(r.index)
        answers = []
        for j, v in enumerate(crop_views(img, r.bbox, r.size)):
            out = torch_infer(teacher, prepare(v, r.query(False), enc), enc, max_new_tokens=6)
            answers.append(out.answer.strip())
            # three agreeing views already make a >= 75% majority of four: the fourth cannot change it
            if j == 2 and len(set(answers)) == 1:
                answers.append(answers[0])
                break
        top, cnt = Counter(answers).most_common(1)[0]
        if cnt / len(answers) >= agree and top:
            labels[r.index] = top
            n_agree_gt += int(judge(top, r.answer, r.options))
        if (k + 1) % 500 == 0:
            log(f"[consensus] {k + 1}/{len(records)} kept {len(labels)} ({time.time() - t0:.0f}s)")
    stats = {
        "items": len(records),
        "kept": len(labels),
        "kept_share": len(labels) / max(1, len(records)),
        "kept_label_accuracy_vs_ground_truth": n_agree_gt / max(1, len(labels)),
        "views": 4,
        "agreement_threshold": agree,
    }
    return {"labels": labels, "stats": stats}


def student_samples(records: list[Record], labels: dict[int, str], grounded: bool, crop_share: float, ground_prob_fn=None):
    """Student batches: full-image items (grounded or not) plus a fixed share of crop replay.

    ground_prob_fn(step) -> probability of the grounded view for the R2I student."""
    kept = [r for r in records if r.index in labels]

    def fn(step: int, rng: random.Random):
        batch = []
        p_ground = ground_prob_fn(step) if (grounded and ground_prob_fn) else (1.0 if grounded else 0.0)
        for _ in range(16):
            r = rng.choice(kept)
            ans = labels[r.index]
            # the auxiliary heads follow the teacher's label, like the answer does
            content = r.content_for(ans) or r.content
            cls_chars = aux_targets(r.dimension, content) if _valid(r.dimension, content) else (-100, [-100] * OCR_POSITIONS)
            if rng.random() < crop_share:
                batch.append((r.crop, *_question(r, ans, False, rng), (*cls_chars, None)))
            elif rng.random() < p_ground:
                cells = region_cells(r.grounded.shape, r.bbox, r.size)
                batch.append((r.grounded, *_question(r, ans, True, rng), (*cls_chars, cells)))
            else:
                cells = region_cells(r.full.shape, r.bbox, r.size)
                batch.append((r.full, *_question(r, ans, False, rng), (*cls_chars, cells)))
        return batch

    return fn


def _valid(dimension: str, content: str) -> bool:
    return world.is_valid_content(dimension, content) and (dimension == "ocr" and len(content) <= OCR_POSITIONS or content in AUX_CLASSES)


def quick_accuracy(model: TinyQwen2VL, enc: PromptEncoder, records: list[Record], view: str, limit: int = 120) -> float:
    ok = 0
    for r in records[:limit]:
        img = Image.fromarray(getattr(r, view))
        out = torch_infer(model, prepare(img, r.query(False), enc), enc, max_new_tokens=6)
        ok += int(judge(out.answer, r.answer, r.options))
    return ok / min(limit, len(records))
