"""Synthetic fine-grained VQA world (the "Loupe world").

Every item is a cluttered RGB scene with exactly ONE key card: a near-white card
with a THICK BLACK border.  The key card holds a small detail (dots, a short
string, a coloured disc, a shape, a fill pattern or an icon) that is clear at
native resolution but blurs when the full image is downsampled to ~200k pixels.
Distractor cards (thin grey/coloured borders) hold the same kinds of content, so
the question's reference to "the card with the black border" matters.

Everything is deterministic from ``(split, index)``: seed = SPLIT_SEED_BASE[split]
+ index, one ``numpy.random.Generator(PCG64(seed))`` per item, no global RNG.
Fonts come only from Pillow's bundled scalable font (see ``fonts.py``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from .fonts import font

# ---------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------

DIMENSIONS = ("counting", "ocr", "color", "structure", "material", "object")

COLORS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "green": (30, 160, 60),
    "blue": (30, 70, 225),
    "yellow": (240, 215, 20),
    "orange": (245, 135, 15),
    "purple": (125, 45, 180),
    "pink": (250, 120, 195),
    "cyan": (25, 205, 225),
}
COLOR_NAMES = tuple(COLORS)
SHAPES = ("circle", "square", "triangle", "star", "cross", "hexagon", "diamond", "heart")
PATTERNS = ("stripes", "dots", "checker", "grid", "waves", "zigzag", "bricks", "solid")
ICONS = ("arrow", "house", "key", "tree", "bell", "anchor", "lamp", "cup")
OCR_ALPHABET = "ACEFHKLMNPRTXY347"
COUNTS = tuple(str(i) for i in range(1, 10))

VOCAB: dict[str, tuple[str, ...]] = {
    "counting": COUNTS,
    "color": COLOR_NAMES,
    "structure": SHAPES,
    "material": PATTERNS,
    "object": ICONS,
    # "ocr": any 2-4 character string over OCR_ALPHABET (see is_valid_content)
}

STEMS: dict[str, str] = {
    "counting": "How many dots are on the card with the black border?",
    "ocr": "What is written on the card with the black border?",
    "color": "What colour is the disc on the card with the black border?",
    "structure": "What shape is on the card with the black border?",
    "material": "What pattern fills the card with the black border?",
    "object": "Which symbol is on the card with the black border?",
}

OPTION_LETTERS = ("A", "B", "C", "D")
HINT = "\n\nOnly focus on the objects inside the red bounding box in the image to answer this question."
MCQ_INSTRUCTION = "Answer with the option's letter from the given choices."
BLANK_INSTRUCTION = "Answer with a single word or number."

SPLIT_SEED_BASE = {"train": 1_000_000, "val": 2_000_000, "test": 3_000_000}
SPLIT_SIZE_LIMIT = 1_000_000  # indices must stay below this so seed ranges stay disjoint

# dark, neutral ink for shapes, icons and text on cards
_INK = ((35, 35, 40), (45, 40, 55), (30, 45, 60), (55, 45, 40))


# ---------------------------------------------------------------------------
# Query text
# ---------------------------------------------------------------------------


def format_query(stem: str, options: list[str] | None, question_type: str, grounded: bool) -> str:
    """The exact query text used by training and the bench."""
    text = stem + (HINT if grounded else "")
    if question_type == "mcq":
        if not options:
            raise ValueError("mcq query needs options")
        lines = "\n".join(f"{OPTION_LETTERS[i]}. {opt}" for i, opt in enumerate(options))
        return text + "\n" + lines + "\n\n" + MCQ_INSTRUCTION
    if question_type == "blank":
        return text + "\n" + BLANK_INSTRUCTION
    raise ValueError(f"unknown question_type {question_type!r}")


def question_corpus() -> list[str]:
    """Every stem, option word, instruction line and hint (for building a tokenizer)."""
    out: list[str] = []
    out.extend(STEMS[d] for d in DIMENSIONS)
    out.append(HINT.strip())
    out.append(MCQ_INSTRUCTION)
    out.append(BLANK_INSTRUCTION)
    out.extend(f"{letter}." for letter in OPTION_LETTERS)
    out.extend(OPTION_LETTERS)
    out.extend(COUNTS)
    out.extend(COLOR_NAMES)
    out.extend(SHAPES)
    out.extend(PATTERNS)
    out.extend(ICONS)
    out.extend(OCR_ALPHABET)
    return out


def is_valid_content(dimension: str, content: str) -> bool:
    if dimension == "ocr":
        return 2 <= len(content) <= 4 and all(c in OCR_ALPHABET for c in content)
    return content in VOCAB[dimension]


# ---------------------------------------------------------------------------
# Item
# ---------------------------------------------------------------------------


@dataclass
class Item:
    id: str
    seed: int
    split: str
    image: Image.Image
    bbox: tuple[int, int, int, int]
    dimension: str
    question_type: str
    stem: str
    options: list[str] | None
    content: str
    answer: str
    # rendering facts (border width, content colour, ...): useful for tests/diagnostics
    meta: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def query(self) -> str:
        return format_query(self.stem, self.options, self.question_type, grounded=False)

    @property
    def crop(self) -> Image.Image:
        return self.image.crop(self.bbox)

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _ri(rng: np.random.Generator, lo: int, hi: int) -> int:
    """Integer in [lo, hi] inclusive."""
    return int(rng.integers(lo, hi + 1))


def _ru(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _rand_color(rng: np.random.Generator, lo: int = 30, hi: int = 255) -> tuple[int, int, int]:
    c = rng.integers(lo, hi + 1, size=3)
    return (int(c[0]), int(c[1]), int(c[2]))


def _poly(points: list[tuple[float, float]], x0: float, y0: float, s: float) -> list[tuple[float, float]]:
    return [(x0 + px * s, y0 + py * s) for px, py in points]


def _regular(n: int, r: float = 0.5, rot: float = -math.pi / 2, inner: float | None = None) -> list[tuple[float, float]]:
    pts = []
    k = n * 2 if inner is not None else n
    for i in range(k):
        a = rot + 2 * math.pi * i / k
        rr = r if (inner is None or i % 2 == 0) else inner
        pts.append((0.5 + rr * math.cos(a), 0.5 + rr * math.sin(a)))
    return pts


def _heart() -> list[tuple[float, float]]:
    t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    x = (x - x.min()) / (x.max() - x.min())
    y = (y - y.min()) / (y.max() - y.min())
    return [(float(a), float(b)) for a, b in zip(x, y)]


_SHAPE_POLYS = {
    "triangle": [(0.5, 0.04), (0.97, 0.9), (0.03, 0.9)],
    "star": _regular(5, 0.52, inner=0.21),
    "hexagon": _regular(6, 0.5, rot=0.0),
    "diamond": [(0.5, 0.0), (0.82, 0.5), (0.5, 1.0), (0.18, 0.5)],
    "heart": _heart(),
}


def _draw_shape(d: ImageDraw.ImageDraw, name: str, x0: float, y0: float, s: float, color) -> None:
    if name == "circle":
        d.ellipse([x0, y0, x0 + s, y0 + s], fill=color)
    elif name == "square":
        d.rectangle([x0 + 0.08 * s, y0 + 0.08 * s, x0 + 0.92 * s, y0 + 0.92 * s], fill=color)
    elif name == "cross":
        t = 0.17
        d.rectangle([x0 + (0.5 - t) * s, y0, x0 + (0.5 + t) * s, y0 + s], fill=color)
        d.rectangle([x0, y0 + (0.5 - t) * s, x0 + s, y0 + (0.5 + t) * s], fill=color)
    else:
        d.polygon(_poly(_SHAPE_POLYS[name], x0, y0, s), fill=color)


def _draw_icon(d: ImageDraw.ImageDraw, name: str, x0: float, y0: float, s: float, color, bg) -> None:
    P = lambda pts: _poly(pts, x0, y0, s)  # noqa: E731
    R = lambda a, b, c, e: [x0 + a * s, y0 + b * s, x0 + c * s, y0 + e * s]  # noqa: E731
    lw = max(2, int(round(s * 0.09)))
    if name == "arrow":
        d.polygon(P([(0.0, 0.38), (0.55, 0.38), (0.55, 0.15), (1.0, 0.5), (0.55, 0.85), (0.55, 0.62), (0.0, 0.62)]), fill=color)
    elif name == "house":
        d.polygon(P([(0.0, 0.48), (0.5, 0.04), (1.0, 0.48)]), fill=color)
        d.rectangle(R(0.14, 0.46, 0.86, 1.0), fill=color)
        d.rectangle(R(0.40, 0.66, 0.60, 1.0), fill=bg)
    elif name == "key":
        d.ellipse(R(0.0, 0.28, 0.44, 0.72), outline=color, width=lw)
        d.rectangle(R(0.42, 0.44, 1.0, 0.56), fill=color)
        d.rectangle(R(0.72, 0.56, 0.80, 0.76), fill=color)
        d.rectangle(R(0.88, 0.56, 0.96, 0.70), fill=color)
    elif name == "tree":
        d.polygon(P([(0.5, 0.0), (0.82, 0.42), (0.18, 0.42)]), fill=color)
        d.polygon(P([(0.5, 0.2), (0.95, 0.74), (0.05, 0.74)]), fill=color)
        d.rectangle(R(0.41, 0.72, 0.59, 1.0), fill=color)
    elif name == "bell":
        d.ellipse(R(0.44, 0.0, 0.56, 0.12), fill=color)
        d.pieslice(R(0.2, 0.08, 0.8, 0.68), 180, 360, fill=color)
        d.polygon(P([(0.2, 0.38), (0.8, 0.38), (0.84, 0.72), (0.96, 0.84), (0.04, 0.84), (0.16, 0.72)]), fill=color)
        d.ellipse(R(0.4, 0.82, 0.6, 1.0), fill=color)
    elif name == "anchor":
        d.ellipse(R(0.38, 0.0, 0.62, 0.22), outline=color, width=lw)
        d.line([x0 + 0.5 * s, y0 + 0.2 * s, x0 + 0.5 * s, y0 + 0.95 * s], fill=color, width=lw)
        d.line([x0 + 0.26 * s, y0 + 0.34 * s, x0 + 0.74 * s, y0 + 0.34 * s], fill=color, width=lw)
        d.arc(R(0.08, 0.4, 0.92, 0.98), 0, 180, fill=color, width=lw)
        d.polygon(P([(0.0, 0.6), (0.2, 0.6), (0.08, 0.74)]), fill=color)
        d.polygon(P([(1.0, 0.6), (0.8, 0.6), (0.92, 0.74)]), fill=color)
    elif name == "lamp":
        d.polygon(P([(0.3, 0.02), (0.7, 0.02), (0.88, 0.4), (0.12, 0.4)]), fill=color)
        d.rectangle(R(0.45, 0.4, 0.55, 0.86), fill=color)
        d.rectangle(R(0.22, 0.86, 0.78, 0.98), fill=color)
    elif name == "cup":
        d.ellipse(R(0.56, 0.3, 0.98, 0.7), outline=color, width=lw)
        d.polygon(P([(0.05, 0.18), (0.75, 0.18), (0.68, 0.92), (0.12, 0.92)]), fill=color)
    else:
        raise ValueError(name)


def _pattern_mask(rng: np.random.Generator, name: str, h: int, w: int, p: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    ox, oy = _ri(rng, 0, p - 1), _ri(rng, 0, p - 1)
    xx = xx + ox
    yy = yy + oy
    if name == "stripes":
        orient = _ri(rng, 0, 2)
        v = yy if orient == 0 else (xx if orient == 1 else xx + yy)
        return (v % p) < max(2, p // 2)
    if name == "dots":
        cx = (xx % p) - (p - 1) / 2
        cy = (yy % p) - (p - 1) / 2
        return cx * cx + cy * cy <= (p * 0.3) ** 2 + 0.3
    if name == "checker":
        q = max(3, p // 2 + 1)
        return ((xx // q) + (yy // q)) % 2 == 0
    if name == "grid":
        return ((xx % p) < 1) | ((yy % p) < 1)
    if name == "waves":
        lam = p * 2.5
        off = (p * 0.45) * np.sin(2 * np.pi * xx / lam)
        return ((yy + off) % p) < max(2, p // 2 - 1)
    if name == "zigzag":
        lam = p * 2.0
        tri = np.abs(((xx / lam) % 1.0) - 0.5) * 2  # 0..1 triangle wave
        off = tri * p * 0.9
        return ((yy + off) % p) < max(2, p // 2 - 1)
    if name == "bricks":
        bh = p
        bw = 2 * p + 2
        row = yy // bh
        return ((yy % bh) < 1) | (((xx + (row % 2) * (bw // 2)) % bw) < 1)
    if name == "solid":
        return np.ones((h, w), dtype=bool)
    raise ValueError(name)


# ---------------------------------------------------------------------------
# Cards
# ---------------------------------------------------------------------------


def _random_content(rng: np.random.Generator, dimension: str) -> str:
    if dimension == "ocr":
        n = _ri(rng, 2, 4)
        return "".join(OCR_ALPHABET[_ri(rng, 0, len(OCR_ALPHABET) - 1)] for _ in range(n))
    vocab = VOCAB[dimension]
    return vocab[_ri(rng, 0, len(vocab) - 1)]


def _render_card(
    rng: np.random.Generator, w: int, h: int, border_w: int, border_color, fill, dimension: str, content: str
) -> tuple[Image.Image, Image.Image, dict]:
    """Card image (w x h), paste mask (rounded corners) and facts about the rendering."""
    card = Image.new("RGB", (w, h), fill)
    d = ImageDraw.Draw(card)
    radius = _ri(rng, 0, max(0, min(w, h) // 12))
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, w - 1, h - 1], radius=radius, fill=255)
    meta: dict = {"border_width": border_w, "radius": radius}

    # interior (inside the border)
    inset = border_w + max(1, radius // 3)
    ix1, iy1, ix2, iy2 = inset, inset, w - inset, h - inset  # exclusive ends
    iw, ih = ix2 - ix1, iy2 - iy1
    # size of the detail: a fixed share of the card's short side, so the regional crop (upscaled to the
    # processor's minimum budget) always shows it large and clear, while the full image, downsampled
    # about 2x to the pixel budget, blurs the finer details (text, dots, patterns) first
    m = float(min(w, h))
    jit = _ru(rng, 0.88, 1.12)

    def sz(frac: float, lo: float, hi: float) -> int:
        return int(round(float(np.clip(frac * m * jit, lo, hi))))

    if dimension == "material":
        pm = _pattern_mask(rng, content, ih, iw, sz(0.06, 5, 12))
        col = np.array(_INK[_ri(rng, 0, 3)] if rng.random() < 0.5 else _rand_color(rng, 20, 170), dtype=np.uint8)
        arr = np.asarray(card).copy()
        sub = arr[iy1:iy2, ix1:ix2]
        sub[pm] = col
        card = Image.fromarray(arr)
        d = ImageDraw.Draw(card)
        meta["pattern_color"] = tuple(int(c) for c in col)
    elif dimension == "counting":
        n = int(content)
        r = sz(0.06, 3, 18)
        color = COLORS[COLOR_NAMES[_ri(rng, 0, len(COLOR_NAMES) - 1)]]
        square = rng.random() < 0.3
        # scatter inside a central content region, non-touching
        pts: list[tuple[float, float]] = []
        tries = 0
        margin, mind = 0.15, 3.2 * r + 3
        while len(pts) < n:
            tries += 1
            if tries % 400 == 0:  # crowded: use more of the card, pack closer (never touching)
                margin, mind, pts = max(0.0, margin - 0.05), max(2.0 * r + max(4, r), mind - r * 0.4), []
            if tries > 6000:
                raise RuntimeError("could not place dots")
            mx = int(iw * margin) + r + 1
            my = int(ih * margin) + r + 1
            lo_x, hi_x = ix1 + mx, ix2 - mx
            lo_y, hi_y = iy1 + my, iy2 - my
            x = _ru(rng, lo_x, hi_x)
            y = _ru(rng, lo_y, hi_y)
            if all((x - a) ** 2 + (y - b) ** 2 >= mind * mind for a, b in pts):
                pts.append((x, y))
        for x, y in pts:
            if square:
                d.rectangle([x - r, y - r, x + r, y + r], fill=color)
            else:
                d.ellipse([x - r, y - r, x + r, y + r], fill=color)
        meta.update(dot_color=color, dot_radius=r, dot_centers=pts)
    else:
        # one detail of size s placed in the central region
        if dimension == "ocr":
            # as large as fits: the string spans most of the card's width
            fsize = sz(0.34, 12, 90)
            while True:
                f = font(fsize)
                l, t, rr, b = d.textbbox((0, 0), content, font=f)
                cw, ch = rr - l, b - t
                if (cw <= 0.8 * iw and ch <= 0.6 * ih) or fsize <= 10:
                    break
                fsize -= 1
        elif dimension == "color":
            cw = ch = sz(0.66, 20, 200)
        elif dimension == "structure":
            cw = ch = sz(0.66, 20, 200)
        elif dimension == "object":
            cw = ch = sz(0.7, 22, 200)
        else:
            raise ValueError(dimension)
        span_x = max(0, iw - cw - 2 * int(iw * 0.12))
        span_y = max(0, ih - ch - 2 * int(ih * 0.12))
        x0 = ix1 + int(iw * 0.12) + _ri(rng, 0, span_x)
        y0 = iy1 + int(ih * 0.12) + _ri(rng, 0, span_y)
        if dimension == "ocr":
            ink = _INK[_ri(rng, 0, 3)]
            d.text((x0 - l, y0 - t), content, font=f, fill=ink)
            # each character's cell (advance width x text height), left to right, in card pixels
            # (the key card is the regional crop, so these are crop pixels too): training-only
            # supervision of which glyph sits where (data.glyph_targets), and test facts
            cells = []
            for k in range(len(content)):
                a = x0 - l + f.getlength(content[:k])
                cells.append((float(a), float(y0), float(x0 - l + f.getlength(content[: k + 1])), float(y0 + ch)))
            meta.update(font_size=fsize, char_cells=cells)
        elif dimension == "color":
            d.ellipse([x0, y0, x0 + cw, y0 + ch], fill=COLORS[content])
        elif dimension == "structure":
            _draw_shape(d, content, x0, y0, cw, _INK[_ri(rng, 0, 3)])
        else:
            _draw_icon(d, content, x0, y0, cw, _INK[_ri(rng, 0, 3)], fill)
        meta["detail_box"] = (x0, y0, x0 + cw, y0 + ch)
        meta["detail_size"] = (cw, ch)

    # border last, over any pattern
    if border_w > 0:
        d.rounded_rectangle([0, 0, w - 1, h - 1], radius=radius, outline=border_color, width=border_w)
    return card, mask, meta


# ---------------------------------------------------------------------------
# Scene
# ---------------------------------------------------------------------------


def _background(rng: np.random.Generator, W: int, H: int) -> Image.Image:
    # low-resolution gradient + blobs, upsampled (fast)
    gw, gh = 24, max(2, int(round(24 * H / W)))
    c0 = rng.uniform(60, 235, size=3)
    c1 = rng.uniform(60, 235, size=3)
    ang = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:gh, 0:gw]
    tpos = (xx / gw) * math.cos(ang) + (yy / gh) * math.sin(ang)
    tpos = (tpos - tpos.min()) / max(1e-6, tpos.max() - tpos.min())
    small = c0[None, None, :] * (1 - tpos[..., None]) + c1[None, None, :] * tpos[..., None]
    small += rng.normal(0, 14, size=(gh, gw, 3))
    small = np.clip(small, 0, 255).astype(np.uint8)
    return Image.fromarray(small, "RGB").resize((W, H), Image.BILINEAR)


def _noise_layer(rng: np.random.Generator, W: int, H: int, amp: int) -> Image.Image:
    tile = rng.integers(0, 2 * amp + 1, size=(96, 96, 3), dtype=np.uint8)
    reps_y = -(-H // 96)
    reps_x = -(-W // 96)
    big = np.tile(tile, (reps_y, reps_x, 1))[:H, :W]
    return Image.fromarray(big, "RGB")


def _clutter(rng: np.random.Generator, img: Image.Image) -> None:
    W, H = img.size
    d = ImageDraw.Draw(img)
    scale = math.sqrt(W * H) / 900.0
    n_shapes = _ri(rng, 60, 110)
    for _ in range(n_shapes):
        kind = _ri(rng, 0, 5)
        s = _ru(rng, 8, 90) * scale
        x = _ru(rng, -s / 2, W)
        y = _ru(rng, -s / 2, H)
        col = _rand_color(rng, 25, 250)
        if kind == 0:
            d.ellipse([x, y, x + s, y + s * _ru(rng, 0.5, 1.5)], fill=col)
        elif kind == 1:
            d.rectangle([x, y, x + s * _ru(rng, 0.4, 2.0), y + s], fill=col)
        elif kind == 2:
            n = _ri(rng, 3, 7)
            pts = [(x + _ru(rng, 0, s), y + _ru(rng, 0, s)) for _ in range(n)]
            d.polygon(pts, fill=col)
        elif kind == 3:
            d.line([x, y, x + _ru(rng, -2, 2) * s, y + _ru(rng, -2, 2) * s], fill=col, width=_ri(rng, 1, 5))
        elif kind == 4:
            d.ellipse([x, y, x + s, y + s], outline=col, width=_ri(rng, 1, 4))
        else:
            _draw_shape(d, SHAPES[_ri(rng, 0, len(SHAPES) - 1)], x, y, s * 0.6, col)
    # random text fragments
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    for _ in range(_ri(rng, 10, 22)):
        n = _ri(rng, 1, 7)
        txt = "".join(alphabet[_ri(rng, 0, len(alphabet) - 1)] for _ in range(n))
        f = font(int(_ru(rng, 9, 40) * max(0.8, scale)))
        d.text((_ru(rng, -10, W - 10), _ru(rng, -10, H - 10)), txt, font=f, fill=_rand_color(rng, 10, 250))


def _overlaps(a, b, pad: int) -> bool:
    return not (a[2] + pad <= b[0] or b[2] + pad <= a[0] or a[3] + pad <= b[1] or b[3] + pad <= a[1])


def _scene(rng: np.random.Generator, dimension: str, content: str) -> tuple[Image.Image, tuple[int, int, int, int], dict]:
    long_side = _ri(rng, 700, 1100)
    aspect = _ru(rng, 0.6, 1.6)  # width / height
    if aspect >= 1:
        W, H = long_side, int(round(long_side / aspect))
    else:
        W, H = int(round(long_side * aspect)), long_side
    img = _background(rng, W, H)
    _clutter(rng, img)

    # key card geometry: 1.5% - 8% of the image area (log-uniform)
    share = math.exp(_ru(rng, math.log(0.015), math.log(0.08)))
    car = _ru(rng, 0.75, 1.35)  # card width / height
    area = share * W * H
    cw = int(round(math.sqrt(area * car)))
    ch = int(round(area / max(cw, 1)))
    cw = min(cw, W - 10)
    ch = min(ch, H - 10)
    x1 = _ri(rng, 4, W - cw - 4)
    y1 = _ri(rng, 4, H - ch - 4)
    bbox = (x1, y1, x1 + cw, y1 + ch)

    # distractor cards (thin grey / coloured borders, also with content), not touching the key card
    placed = [bbox]
    n_cards = _ri(rng, 2, 4)
    for _ in range(n_cards):
        for _attempt in range(25):
            f = _ru(rng, 0.6, 1.25)
            dw = max(40, int(cw * f * _ru(rng, 0.8, 1.2)))
            dh = max(40, int(ch * f * _ru(rng, 0.8, 1.2)))
            if dw >= W - 8 or dh >= H - 8:
                continue
            dx = _ri(rng, 4, W - dw - 4)
            dy = _ri(rng, 4, H - dh - 4)
            box = (dx, dy, dx + dw, dy + dh)
            if any(_overlaps(box, p, 12) for p in placed):
                continue
            placed.append(box)
            ddim = DIMENSIONS[_ri(rng, 0, len(DIMENSIONS) - 1)]
            dcontent = _random_content(rng, ddim)
            if rng.random() < 0.5:
                g = _ri(rng, 110, 190)
                bcol = (g, g, g)
            else:
                bcol = _rand_color(rng, 60, 230)
            fill = tuple(int(v) for v in rng.integers(228, 256, size=3))
            card, mask, _ = _render_card(rng, dw, dh, _ri(rng, 1, 2), bcol, fill, ddim, dcontent)
            img.paste(card, (dx, dy), mask)
            break

    # the key card: near-white, thick black border
    bw = max(4, int(round(min(cw, ch) * _ru(rng, 0.04, 0.06))))
    fill = tuple(int(v) for v in rng.integers(238, 256, size=3))
    black = tuple(int(v) for v in rng.integers(0, 16, size=3))
    card, mask, meta = _render_card(rng, cw, ch, bw, black, fill, dimension, content)
    img.paste(card, (x1, y1), mask)
    meta.update(card_fill=fill, border_color=black, image_size=(W, H), area_share=cw * ch / (W * H))

    # mild noise over everything
    amp = 3
    img = ImageChops.add(img, _noise_layer(rng, W, H, amp), scale=1.0, offset=-amp)
    meta["noise_amp"] = amp
    return img, bbox, meta


# ---------------------------------------------------------------------------
# Questions
# ---------------------------------------------------------------------------


def _distractors(rng: np.random.Generator, dimension: str, content: str) -> list[str]:
    if dimension == "counting":
        c = int(content)
        cands = [i for i in range(1, 10) if i != c]
        keys = [abs(i - c) + rng.random() * 1.5 for i in cands]
        order = np.argsort(keys, kind="stable")
        return [str(cands[j]) for j in order[:3]]
    if dimension == "ocr":
        out: list[str] = []
        while len(out) < 3:
            s = list(content)
            k = 1 if rng.random() < 0.6 else 2
            pos = rng.choice(len(s), size=min(k, len(s)), replace=False)
            for p in pos:
                choices = [ch for ch in OCR_ALPHABET if ch != s[int(p)]]
                s[int(p)] = choices[_ri(rng, 0, len(choices) - 1)]
            cand = "".join(s)
            if cand != content and cand not in out:
                out.append(cand)
        return out
    vocab = [v for v in VOCAB[dimension] if v != content]
    idx = rng.choice(len(vocab), size=3, replace=False)
    return [vocab[int(i)] for i in idx]


def make_item(index: int, split: str, dimension: str | None = None, question_type: str | None = None) -> Item:
    if split not in SPLIT_SEED_BASE:
        raise ValueError(f"unknown split {split!r}")
    if not 0 <= index < SPLIT_SIZE_LIMIT:
        raise ValueError(f"index {index} out of range [0, {SPLIT_SIZE_LIMIT})")
    seed = SPLIT_SEED_BASE[split] + index
    rng = np.random.Generator(np.random.PCG64(seed))
    if dimension is None:
        dimension = DIMENSIONS[index % len(DIMENSIONS)]
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    u = rng.random()  # always drawn so the scene does not depend on whether question_type was given
    if question_type is None:
        question_type = "blank" if (dimension in ("counting", "ocr") and u < 0.4) else "mcq"
    if question_type not in ("mcq", "blank"):
        raise ValueError(f"unknown question_type {question_type!r}")
    if question_type == "blank" and dimension not in ("counting", "ocr"):
        raise ValueError("blank items exist only for counting and ocr")

    content = _random_content(rng, dimension)
    qrng = np.random.Generator(np.random.PCG64([seed, 1]))  # question randomness, independent of the scene
    image, bbox, meta = _scene(rng, dimension, content)

    stem = STEMS[dimension]
    if question_type == "mcq":
        options = [content] + _distractors(qrng, dimension, content)
        perm = qrng.permutation(4)
        options = [options[int(i)] for i in perm]
        answer = OPTION_LETTERS[options.index(content)]
    else:
        options = None
        answer = content
    return Item(
        id=f"{split}-{seed}",
        seed=seed,
        split=split,
        image=image,
        bbox=bbox,
        dimension=dimension,
        question_type=question_type,
        stem=stem,
        options=options,
        content=content,
        answer=answer,
        meta=meta,
    )


def generate_split(split: str, n: int, start: int = 0) -> Iterator[Item]:
    for i in range(start, start + n):
        yield make_item(i, split)
