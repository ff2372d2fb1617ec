"""The R2I grounding transform (docs/reference.md §5): enlarge the key box by 5% of its
width/height on each side, clip it to the image and draw it as a red rectangle, 5 px wide,
on the original-resolution image."""

from __future__ import annotations

from PIL import Image, ImageDraw

RED = (255, 0, 0)
LINE_WIDTH = 5


def enlarge_box(bbox, width: int, height: int, frac: float = 0.05) -> tuple[int, int, int, int]:
    """Enlarge ``bbox`` = (x1, y1, x2, y2) by ``frac`` of its width/height on each side, clipped
    to ``[0, width] x [0, height]``. Integer pixels (outward rounding)."""
    x1, y1, x2, y2 = (float(v) for v in bbox)
    dx = (x2 - x1) * frac
    dy = (y2 - y1) * frac
    nx1 = max(0, int(x1 - dx))
    ny1 = max(0, int(y1 - dy))
    nx2 = min(int(width), int(-(-(x2 + dx) // 1)))
    ny2 = min(int(height), int(-(-(y2 + dy) // 1)))
    return (nx1, ny1, nx2, ny2)


def ground(image: Image.Image, bbox, width: int = LINE_WIDTH) -> Image.Image:
    """A copy of ``image`` (RGB) with a red rectangle on the enlarged box. The rectangle's outer
    edge is the enlarged box (x2/y2 exclusive) and it is ``width`` px wide, drawn inwards."""
    out = image.convert("RGB").copy()
    x1, y1, x2, y2 = enlarge_box(bbox, out.width, out.height)
    ImageDraw.Draw(out).rectangle([x1, y1, x2 - 1, y2 - 1], outline=RED, width=width)
    return out
