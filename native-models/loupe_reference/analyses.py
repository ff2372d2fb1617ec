"""numpy references for self-zoom crops, deletion, rank correlation and activation maps.

Run as a module: reads a JSON list of cases on stdin, writes the answers as JSON on stdout (the
Vitest test electron/engine/metrics/analyses-reference.test.ts drives it).
"""

from __future__ import annotations

import json
import sys

import numpy as np

VICROP_RATIOS = [1, 1.2, 1.4, 1.6, 1.8, 2]


def cell_box(row, col, rows, cols, grid_h, grid_w, width, height):
    cw, ch = width / grid_w, height / grid_h
    return [
        max(0, int(np.floor(col * cw))),
        max(0, int(np.floor(row * ch))),
        min(width, int(np.ceil((col + cols) * cw))),
        min(height, int(np.ceil((row + rows) * ch))),
    ]


TIE = 1e-9  # sums within this share of the map's total are ties (the first window wins)


def best_window(m, rows, cols):
    """Brute force over every placement; ties go to the first in row-major order."""
    best, pos = -np.inf, (0, 0)
    tol = TIE * abs(m.sum())
    for r in range(m.shape[0] - rows + 1):
        for c in range(m.shape[1] - cols + 1):
            s = m[r : r + rows, c : c + cols].sum()
            if s > best + tol:
                best, pos = s, (r, c)
    return pos, best


def fixed_crop(m, fraction, width, height):
    gh, gw = m.shape
    rows = min(gh, max(1, int(np.floor(fraction * gh + 0.5))))
    cols = min(gw, max(1, int(np.floor(fraction * gw + 0.5))))
    (r, c), _ = best_window(m, rows, cols)
    return {"box": cell_box(r, c, rows, cols, gh, gw, width, height), "window": [r, c, rows, cols]}


def adaptive_crop(m, base_side, width, height, ratios=VICROP_RATIOS):
    gh, gw = m.shape
    cw, ch = width / gw, height / gh
    candidates = []
    for i, ratio in enumerate(ratios):
        side = base_side * ratio
        cols, rows = min(int(side // cw), gw), min(int(side // ch), gh)
        if cols < 1 or rows < 1:
            continue
        if gw - cols < 1 and gh - rows < 1:
            if i == 0:
                return {"box": [0, 0, width, height], "window": [0, 0, gh, gw]}
            continue
        sums = np.array([[m[r : r + rows, c : c + cols].sum() for c in range(gw - cols + 1)] for r in range(gh - rows + 1)])
        (r, c), best = best_window(m, rows, cols)
        around = [
            sums[r + dr, c + dc]
            for dr, dc in ((0, -1), (0, 1), (-1, 0), (1, 0))
            if 0 <= r + dr < sums.shape[0] and 0 <= c + dc < sums.shape[1]
        ]
        sharp = (best - (np.mean(around) if around else 0.0)) / (rows * cols)
        candidates.append((sharp, i, side, r, c, rows, cols))
    if not candidates:
        (r, c), _ = best_window(m, 1, 1)
        return {"box": cell_box(r, c, 1, 1, gh, gw, width, height), "window": [r, c, 1, 1]}
    # a later ratio wins only when it is sharper by more than the tie tolerance
    chosen = candidates[0]
    for cand in candidates[1:]:
        if cand[0] > chosen[0] + TIE * abs(m.sum()):
            chosen = cand
    sharp, _, side, r, c, rows, cols = chosen
    half = side / 2
    cx = min(max((c + cols / 2) * cw, half), width - half)
    cy = min(max((r + rows / 2) * ch, half), height - half)
    box = [
        max(0, int(np.floor(cx - half))),
        max(0, int(np.floor(cy - half))),
        min(width, int(np.ceil(cx + half))),
        min(height, int(np.ceil(cy + half))),
    ]
    return {"box": box, "window": [r, c, rows, cols]}


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def top_cells(values, count):
    v = np.asarray(values)
    order = np.lexsort((np.arange(v.size), -v))  # by value descending, then index ascending
    return order[:count].tolist()


def deletion_area(fractions, probs):
    order = np.argsort(fractions, kind="stable")
    f, p = np.asarray(fractions)[order], np.asarray(probs)[order]
    return float(np.sum((p[1:] + p[:-1]) / 2 * np.diff(f)) / (f[-1] - f[0]))


def spearman(a, b):
    def ranks(x):
        x = np.asarray(x, dtype=float)
        uniq, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        avg = starts + (counts + 1) / 2  # 1-based average rank of each distinct value
        return avg[inverse]

    ra, rb = ranks(a), ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return None
    return float(np.corrcoef(ra, rb)[0, 1])


def context_corrected(m, maps, weights):
    m = np.asarray(m, dtype=float)
    w = np.clip(np.asarray(weights, dtype=float), 0, None)
    if len(maps) == 0 or w.sum() <= 0:
        return m.tolist()
    interference = (np.asarray(maps, dtype=float) * (w / w.sum())[:, None]).sum(0)
    alpha = np.linalg.lstsq(interference[:, None], m, rcond=None)[0][0]
    return np.clip(m - alpha * interference, 0, None).tolist()


def rank_gaussian(m, k=3):
    m = np.asarray(m, dtype=float)
    p = k // 2
    padded = np.pad(m, p, mode="reflect")
    ax = np.arange(k * k) - (k * k) // 2
    out = np.zeros_like(m)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            w = np.sort(padded[i : i + k, j : j + k].ravel())
            mean = w.mean()
            if mean <= 0:
                continue
            sigma = w.std() / mean
            if sigma == 0:
                out[i, j] = w[len(w) // 2]
                continue
            kern = np.exp(-(ax**2) / (2 * sigma**2))
            out[i, j] = (w * kern / kern.sum()).sum()
    return out.ravel().tolist()


def answer(case):
    kind = case["kind"]
    if kind in ("fixed", "adaptive"):
        m = np.asarray(case["map"], dtype=float).reshape(case["gridH"], case["gridW"])
        if kind == "fixed":
            return fixed_crop(m, case["fraction"], case["width"], case["height"])
        return adaptive_crop(m, case["baseSide"], case["width"], case["height"])
    if kind == "iou":
        return iou(case["a"], case["b"])
    if kind == "top":
        return top_cells(case["map"], case["count"])
    if kind == "deletion":
        return deletion_area(case["fractions"], case["probs"])
    if kind == "spearman":
        return spearman(case["a"], case["b"])
    if kind == "context":
        return context_corrected(case["map"], case["maps"], case["weights"])
    if kind == "rank-gaussian":
        return rank_gaussian(np.asarray(case["map"]).reshape(case["gridH"], case["gridW"]))
    raise ValueError(f"unknown case kind {kind!r}")


if __name__ == "__main__":
    json.dump([answer(c) for c in json.load(sys.stdin)], sys.stdout)
