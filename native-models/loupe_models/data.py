"""Training data: scenes from the synthetic world, preprocessed once into the model's input size.

Each record keeps three uint8 images at the processor's resized size: the full view, the
R2I grounded view (red box drawn at ORIGINAL resolution, then resized, as docs/reference.md §5
says) and the regional crop. Patchifying happens per batch, so memory stays at uint8.
"""

from __future__ import annotations

import math
import multiprocessing as mp
from dataclasses import dataclass

import numpy as np
import torch

from . import world
from .grounding import ground
from .processor import IMAGE_MEAN, IMAGE_STD, MERGE, PATCH, TEMPORAL, resize_for_model, rope_index
from .tokenizer import PromptEncoder


@dataclass
class Record:
    index: int
    dimension: str
    question_type: str
    stem: str
    options: list[str] | None
    content: str
    answer: str
    bbox: tuple[int, int, int, int]
    size: tuple[int, int]  # original (w, h)
    full: np.ndarray | None  # None in crop-only records (build_records(crop_only=True))
    grounded: np.ndarray | None
    crop: np.ndarray
    char_cells: tuple | None = None  # OCR only: each character's cell in crop pixels (world meta)
    # the key region at original resolution (build_records(keep_region=True)): the consensus stage
    # cuts its views from it instead of regenerating the scene
    region: np.ndarray | None = None

    def query(self, grounded: bool) -> str:
        return world.format_query(self.stem, self.options, self.question_type, grounded)

    def content_for(self, answer: str) -> str:
        """Content named by an answer: an option's text, the option a letter names, or a blank answer."""
        if self.question_type == "mcq":
            if answer in self.options:
                return answer
            letters = list(world.OPTION_LETTERS)
            return self.options[letters.index(answer)] if answer in letters else ""
        return answer


def _make(args: tuple[int, str, bool, bool]) -> Record:
    index, split, keep_region, crop_only = args
    item = world.make_item(index, split)
    return Record(
        index=index,
        dimension=item.dimension,
        question_type=item.question_type,
        stem=item.stem,
        options=item.options,
        content=item.content,
        answer=item.answer,
        bbox=tuple(item.bbox),
        size=item.image.size,
        full=None if crop_only else np.asarray(resize_for_model(item.image)),
        grounded=None if crop_only else np.asarray(resize_for_model(ground(item.image, item.bbox))),
        crop=np.asarray(resize_for_model(item.crop)),
        char_cells=tuple(item.meta["char_cells"]) if "char_cells" in item.meta else None,
        region=np.asarray(item.crop) if keep_region else None,
    )


def scene_indices(start: int, n: int, dimension: str | None = None) -> range:
    """The next n indices from `start` on, or with `dimension` the next n whose scenes ask about it
    (world.make_item cycles the dimensions by index, so every sixth)."""
    if dimension is None:
        return range(start, start + n)
    k = world.DIMENSIONS.index(dimension)
    first = start + (k - start) % len(world.DIMENSIONS)
    return range(first, first + n * len(world.DIMENSIONS), len(world.DIMENSIONS))


def build_records(
    split: str,
    n: int,
    start: int = 0,
    workers: int = 2,
    dimension: str | None = None,
    keep_region: bool = False,
    crop_only: bool = False,
) -> list[Record]:
    """Records of `split` from index `start` on: the next n indices, or with `dimension` the next n
    indices of that dimension (world.make_item cycles the dimensions by index). keep_region: also
    keep each key region at original resolution (Record.region, about 80 KB a scene). crop_only:
    leave out the full and grounded views, for scenes only the crop teacher sees (the two views are
    27 of a scene's 59 ms and most of its memory)."""
    jobs = [(i, split, keep_region, crop_only) for i in scene_indices(start, n, dimension)]
    if workers <= 1:
        return [_make(j) for j in jobs]
    with mp.get_context("fork").Pool(workers) as pool:
        return list(pool.imap(_make, jobs, chunksize=16))


_MEAN = torch.tensor(IMAGE_MEAN).view(3, 1, 1)
_STD = torch.tensor(IMAGE_STD).view(3, 1, 1)


def patchify_torch(img: np.ndarray, frames: int = TEMPORAL) -> torch.Tensor:
    """uint8 HWC (already resized) -> [gh*gw, C*frames*14*14] in the processor's order (see
    processor.patchify). frames=1 gives the single-frame patches training feeds to
    `VisionTower.embed_patches` (a still image repeats the same frame)."""
    # copy: records hold read-only arrays (np.asarray of a PIL image), which torch warns about
    x = (torch.from_numpy(np.array(img)).permute(2, 0, 1).float() / 255.0 - _MEAN) / _STD
    c, h, w = x.shape
    gh, gw = h // PATCH, w // PATCH
    x = x.unsqueeze(0).expand(frames, c, h, w)
    x = x.reshape(1, frames, c, gh // MERGE, MERGE, PATCH, gw // MERGE, MERGE, PATCH)
    x = x.permute(0, 3, 6, 4, 7, 2, 1, 5, 8)
    return x.reshape(gh * gw, c * frames * PATCH * PATCH)


# Training-only perception targets (never exported): one class over every non-OCR content word,
# and per-position characters for OCR strings (index len(OCR_ALPHABET) = no character).
AUX_CLASSES = list(world.COUNTS) + list(world.COLOR_NAMES) + list(world.SHAPES) + list(world.PATTERNS) + list(world.ICONS)
OCR_POSITIONS = 4


def aux_targets(dimension: str, content: str) -> tuple[int, list[int]]:
    if dimension == "ocr":
        chars = [world.OCR_ALPHABET.index(c) for c in content] + [len(world.OCR_ALPHABET)] * (OCR_POSITIONS - len(content))
        return -100, chars
    return AUX_CLASSES.index(content), [-100] * OCR_POSITIONS


GLYPH_NONE = OCR_POSITIONS * len(world.OCR_ALPHABET)  # the class of a token on no character
GLYPH_CLASSES = GLYPH_NONE + 1


def glyph_targets(r: Record) -> list[int]:
    """Per merged token of the resized crop: which character (position in the string x glyph) its
    centre falls on, or GLYPH_NONE. Empty for items without text.

    Why: the pooled probe above says which characters a string holds, but not where; a 4-layer
    decoder then reads the first one or two and loses its place. Tagging each token with its
    glyph and its rank in the string gives the decoder an ordered sequence to look up."""
    if r.char_cells is None:
        return []
    h, w = r.crop.shape[:2]
    cw, ch = r.bbox[2] - r.bbox[0], r.bbox[3] - r.bbox[1]
    cell = PATCH * MERGE
    mh, mw = h // cell, w // cell
    out = [GLYPH_NONE] * (mh * mw)
    for k, (x1, y1, x2, y2) in enumerate(r.char_cells[:OCR_POSITIONS]):
        g = k * len(world.OCR_ALPHABET) + world.OCR_ALPHABET.index(r.content[k])
        for row in range(mh):
            cy = (row + 0.5) * cell * ch / h
            if not y1 <= cy < y2:
                continue
            for col in range(mw):
                cx = (col + 0.5) * cell * cw / w
                if x1 <= cx < x2:
                    out[row * mw + col] = g
    return out


def region_cells(img_shape, bbox, size) -> tuple[int, int, int, int]:
    """Merged-token cell range (r1, r2, c1, c2), end-exclusive, that a box in original pixels touches."""
    h, w = img_shape[:2]
    W, H = size
    cell = PATCH * MERGE
    x1, y1, x2, y2 = bbox
    c1, c2 = int(x1 * w / W) // cell, int(math.ceil(x2 * w / W / cell))
    r1, r2 = int(y1 * h / H) // cell, int(math.ceil(y2 * h / H / cell))
    return r1, max(r2, r1 + 1), c1, max(c2, c1 + 1)


def collate(samples: list[tuple], enc: PromptEncoder) -> dict:
    """samples: (resized uint8 image, query, answer[, aux]) with aux = (class, ocr chars, cell range or
    None[, glyph targets]); glyph targets (see glyph_targets) only for crops of text items.

    Right-padded batch with loss labels; `aux_*` tensors when aux is given. An answer of None leaves
    the prompt alone (batched generation, infer.batch_answers)."""
    pats, grids, seqs, labels, poss = [], [], [], [], []
    for img, query, answer, *_ in samples:
        h, w = img.shape[:2]
        gh, gw = h // PATCH, w // PATCH
        n_vis = gh * gw // (MERGE * MERGE)
        prompt = enc.prompt_ids(query, n_vis)
        ans = enc.answer_ids(answer) if answer is not None else []
        ids = prompt + ans
        pos = rope_index(ids, (1, gh, gw), enc.image_pad, enc.vision_start)
        pats.append(patchify_torch(img, frames=1))
        grids.append((gh, gw))
        seqs.append(ids)
        labels.append([-100] * (len(prompt) - 1) + ans + [-100])  # predict token t+1 at position t
        poss.append(pos)
    b = len(samples)
    n_max = max(p.shape[0] for p in pats)
    l_max = max(len(s) for s in seqs)
    m2 = MERGE * MERGE
    patches = torch.zeros(b, n_max, pats[0].shape[1])
    rows = torch.zeros(b, n_max // m2)
    cols = torch.zeros(b, n_max // m2)
    vis_mask = torch.zeros(b, n_max // m2, dtype=torch.bool)
    input_ids = torch.full((b, l_max), enc.endoftext, dtype=torch.long)
    attn = torch.zeros(b, l_max, dtype=torch.long)
    position_ids = torch.zeros(3, b, l_max, dtype=torch.long)
    lab = torch.full((b, l_max), -100, dtype=torch.long)
    for i in range(b):
        n = pats[i].shape[0]
        patches[i, :n] = pats[i]
        gh, gw = grids[i]
        mw = gw // MERGE
        idx = torch.arange(n // m2)
        rows[i, : n // m2] = (idx // mw).float()
        cols[i, : n // m2] = (idx % mw).float()
        vis_mask[i, : n // m2] = True
        L = len(seqs[i])
        input_ids[i, :L] = torch.tensor(seqs[i])
        attn[i, :L] = 1
        position_ids[:, i, :L] = torch.from_numpy(poss[i])
        lab[i, :L] = torch.tensor(labels[i][:L])
    out_aux = {}
    if all(len(smp) > 3 for smp in samples):
        region = torch.zeros(b, n_max // m2, dtype=torch.bool)
        glyphs = torch.full((b, n_max // m2), -100, dtype=torch.long)
        for i, smp in enumerate(samples):
            cls, chars, cells, *rest = smp[3]
            if rest and rest[0]:
                glyphs[i, : len(rest[0])] = torch.tensor(rest[0])
            gh, gw = grids[i]
            mh, mw = gh // MERGE, gw // MERGE
            grid = torch.zeros(mh, mw, dtype=torch.bool)
            if cells is None:
                grid[:] = True
            else:
                r1, r2, c1, c2 = cells
                grid[min(r1, mh - 1) : min(r2, mh), min(c1, mw - 1) : min(c2, mw)] = True
            region[i, : mh * mw] = grid.flatten()
        out_aux = {
            "aux_region": region,
            "aux_class": torch.tensor([smp[3][0] for smp in samples]),
            "aux_chars": torch.tensor([smp[3][1] for smp in samples]),
            "aux_glyphs": glyphs,
        }
    return {
        **out_aux,
        "patches": patches,
        "patch_rows": rows,
        "patch_cols": cols,
        "vis_mask": vis_mask,
        "input_ids": input_ids,
        "attention_mask": attn,
        "position_ids": position_ids,
        "image_slots": input_ids == enc.image_pad,
        "labels": lab,
    }
