"""Linear probes on a checkpoint's visual tokens: what does the vision tower make readable?

A question's accuracy mixes perception (do the tokens the decoder sees encode the detail?) and
reading (does the decoder find it and name it?). A linear classifier fitted on the vision
tower's output tokens measures the first alone. Both probes are fitted on training scenes and
scored on held-out validation scenes:

- content: the key region's mean token -> its content (count, colour, shape, pattern, icon), in
  two views: the regional crop (every token) and the full image (the tokens the key box
  touches). The difference is the zooming gap measured on the representation, before any
  decoding.
- glyph: each token of a text crop -> which character covers it, and that character's rank in
  the string (data.glyph_targets), scored on the tokens that lie on a character. Chance is
  1/17 for the character and 1/4 or better for the rank.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import torch
import torch.nn.functional as F

from . import world
from .data import AUX_CLASSES, GLYPH_NONE, Record, aux_targets, glyph_targets, patchify_torch, region_cells
from .model import TinyQwen2VL
from .processor import MERGE, PATCH


@torch.no_grad()
def visual_tokens(model: TinyQwen2VL, img: np.ndarray) -> torch.Tensor:
    """Resized uint8 image -> the vision tower's merged tokens [rows * cols, hidden] (row-major)."""
    h, w = img.shape[:2]
    cell = PATCH * MERGE
    mh, mw = h // cell, w // cell
    idx = torch.arange(mh * mw)
    rows, cols = (idx // mw).float()[None], (idx % mw).float()[None]
    return model.visual(patchify_torch(img, frames=1)[None], rows, cols, None)[0]


def fit_linear(x: torch.Tensor, y: torch.Tensor, n_classes: int, steps: int = 300, weight_decay: float = 1e-3):
    """Multinomial logistic regression on standardised features (full-batch Adam).

    Returns predict(x) -> class indices."""
    mean, std = x.mean(0), x.std(0) + 1e-5
    lin = torch.nn.Linear(x.shape[1], n_classes)
    # zero start: the problem is convex, and the fit must not depend on the global RNG state (a rebuild
    # from cached stages draws fewer random numbers before the probes than a full run does)
    torch.nn.init.zeros_(lin.weight)
    torch.nn.init.zeros_(lin.bias)
    opt = torch.optim.Adam(lin.parameters(), lr=1e-2, weight_decay=weight_decay)
    xs = (x - mean) / std
    with torch.enable_grad():
        for _ in range(steps):
            loss = F.cross_entropy(lin(xs), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

    @torch.no_grad()
    def predict(z: torch.Tensor) -> torch.Tensor:
        return lin((z - mean) / std).argmax(1)

    return predict


def _content_rows(model: TinyQwen2VL, records: list[Record]) -> dict[str, tuple[torch.Tensor, torch.Tensor, list[str]]]:
    """Per view: (pooled key-region features, content class, dimension) of the items without text."""
    out: dict[str, list] = {"crop": [], "full": []}
    for r in records:
        cls, _ = aux_targets(r.dimension, r.content)
        if cls < 0:
            continue
        out["crop"].append((visual_tokens(model, r.crop).mean(0), cls, r.dimension))
        feats = visual_tokens(model, r.full)
        r1, r2, c1, c2 = region_cells(r.full.shape, r.bbox, r.size)
        mw = r.full.shape[1] // (PATCH * MERGE)
        grid = feats.view(-1, mw, feats.shape[1])
        out["full"].append((grid[r1:r2, c1:c2].reshape(-1, feats.shape[1]).mean(0), cls, r.dimension))
    return {
        v: (torch.stack([a for a, _, _ in rows]), torch.tensor([c for _, c, _ in rows]), [d for _, _, d in rows])
        for v, rows in out.items()
        if rows
    }


def _glyph_rows(model: TinyQwen2VL, records: list[Record]) -> tuple[torch.Tensor, torch.Tensor]:
    xs, ys = [], []
    for r in records:
        t = glyph_targets(r)
        if not t:
            continue
        xs.append(visual_tokens(model, r.crop))
        ys.append(torch.tensor(t))
    if not xs:
        return torch.zeros(0), torch.zeros(0, dtype=torch.long)
    return torch.cat(xs), torch.cat(ys)


def probe(model: TinyQwen2VL, train: list[Record], held_out: list[Record]) -> dict:
    """Content probe per view and dimension, and the glyph probe; accuracies in percent."""
    model.eval()
    result: dict = {"train_items": len(train), "held_out_items": len(held_out), "content": {}, "glyph": None}
    fit_rows, test_rows = _content_rows(model, train), _content_rows(model, held_out)
    for view in ("crop", "full"):
        if view not in fit_rows or view not in test_rows:
            continue
        x, y, _ = fit_rows[view]
        predict = fit_linear(x, y, len(AUX_CLASSES))
        tx, ty, tdims = test_rows[view]
        right = (predict(tx) == ty).tolist()
        by_dim: dict[str, list[bool]] = defaultdict(list)
        for ok, d in zip(right, tdims):
            by_dim[d].append(ok)
        result["content"][view] = {
            "accuracy": 100.0 * sum(right) / len(right),
            "items": len(right),
            "by_dimension": {d: 100.0 * sum(v) / len(v) for d, v in sorted(by_dim.items())},
        }
    gx, gy = _glyph_rows(model, train)
    tx, ty = _glyph_rows(model, held_out)
    if len(gy) and len(ty):
        n_chars = len(world.OCR_ALPHABET)
        on_fit, on_test = gy != GLYPH_NONE, ty != GLYPH_NONE
        fx, fy, hx, hy = gx[on_fit], gy[on_fit], tx[on_test], ty[on_test]
        # on the tokens that lie on a character, two separate questions the decoder must answer:
        # which character is this, and which place in the string does it hold
        ident = fit_linear(fx, fy % n_chars, n_chars)
        rank = fit_linear(fx, fy // n_chars, 4)
        ranks = (fy // n_chars).bincount(minlength=4)
        result["glyph"] = {
            "character_accuracy": 100.0 * float((ident(hx) == hy % n_chars).float().mean()),
            "rank_accuracy": 100.0 * float((rank(hx) == hy // n_chars).float().mean()),
            # what always guessing the most common rank scores, for reading the rank figure
            "rank_majority_baseline": 100.0 * float(((hy // n_chars) == int(ranks.argmax())).float().mean()),
            "tokens_on_characters": int(on_test.sum()),
        }
    return result
