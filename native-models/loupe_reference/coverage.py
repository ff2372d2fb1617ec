"""The paper's coverage (docs/reference.md §2), once for every Python caller: the students' evaluation,
the exporter's parity fixture and the reference checks."""

import numpy as np


def paper_coverage(att: np.ndarray, bbox, img_w: int, img_h: int) -> float:
    """Share of a [grid_h, grid_w] map's mass inside the box, written as the paper's code does it: cell
    indices by int() truncation of the box scaled to the grid, clamped, the end cell included, and an
    empty range widened to one cell (cx2 <= cx1 -> cx1 + 1). A map without mass gives 0."""
    gh, gw = att.shape
    x1, y1, x2, y2 = bbox
    cx1 = min(max(int(x1 / img_w * gw), 0), gw - 1)
    cx2 = min(max(int(x2 / img_w * gw), 0), gw - 1)
    cy1 = min(max(int(y1 / img_h * gh), 0), gh - 1)
    cy2 = min(max(int(y2 / img_h * gh), 0), gh - 1)
    if cx2 <= cx1:
        cx2 = cx1 + 1
    if cy2 <= cy1:
        cy2 = cy1 + 1
    total = att.sum()
    return float(att[cy1 : cy2 + 1, cx1 : cx2 + 1].sum() / total) if total > 0 else 0.0
