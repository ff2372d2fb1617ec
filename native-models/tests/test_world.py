import numpy as np
import pytest

from loupe_models import world as W
from loupe_models.world import (
    COLORS,
    DIMENSIONS,
    ICONS,
    OCR_ALPHABET,
    PATTERNS,
    SHAPES,
    SPLIT_SEED_BASE,
    format_query,
    generate_split,
    make_item,
    question_corpus,
)


# a few items of every dimension, generated once per test session
@pytest.fixture(scope="module")
def items():
    return [make_item(i, "test") for i in range(24)]


def _inner(item):
    """Crop pixels strictly inside the key card's border (and rounded corners)."""
    a = np.asarray(item.crop).astype(np.int16)
    b = item.meta["border_width"] + item.meta["radius"] + 1
    return a[b:-b, b:-b]


def _saturated(a, thr=100):
    return (a.max(axis=2) - a.min(axis=2)) > thr


def _components(mask):
    h, w = mask.shape
    seen = np.zeros_like(mask, dtype=bool)
    sizes = []
    for y, x in zip(*np.nonzero(mask)):
        if seen[y, x]:
            continue
        stack = [(y, x)]
        seen[y, x] = True
        n = 0
        while stack:
            cy, cx = stack.pop()
            n += 1
            for ny, nx in ((cy + 1, cx), (cy - 1, cx), (cy, cx + 1), (cy, cx - 1)):
                if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    stack.append((ny, nx))
        sizes.append(n)
    return sizes


def test_dimensions_cycle_and_vocab(items):
    assert [it.dimension for it in items[:6]] == list(DIMENSIONS)
    for it in items:
        assert W.is_valid_content(it.dimension, it.content)
        if it.dimension == "color":
            assert it.content in COLORS
        if it.dimension == "structure":
            assert it.content in SHAPES
        if it.dimension == "material":
            assert it.content in PATTERNS
        if it.dimension == "object":
            assert it.content in ICONS
        if it.dimension == "ocr":
            assert 2 <= len(it.content) <= 4 and set(it.content) <= set(OCR_ALPHABET)
    assert len(COLORS) == len(SHAPES) == len(PATTERNS) == len(ICONS) == 8


def test_geometry(items):
    for it in items:
        x1, y1, x2, y2 = it.bbox
        w, h = it.image.size
        assert all(isinstance(v, int) for v in it.bbox)
        assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
        assert 700 <= max(w, h) <= 1100
        share = (x2 - x1) * (y2 - y1) / (w * h)
        assert 0.01 <= share <= 0.10, (it.id, share)
        assert it.image.mode == "RGB"
        crop = it.crop
        assert crop.size == (x2 - x1, y2 - y1)
        assert np.array_equal(np.asarray(crop), np.asarray(it.image)[y1:y2, x1:x2])


def test_key_card_has_thick_black_border(items):
    for it in items:
        a = np.asarray(it.crop).astype(int)
        bw = it.meta["border_width"]
        assert bw >= 4
        r = it.meta["radius"]
        # middle of each side, within the border band: near black
        h, w = a.shape[:2]
        for band in (
            a[bw // 2, r + 2 : w - r - 2],
            a[h - 1 - bw // 2, r + 2 : w - r - 2],
            a[r + 2 : h - r - 2, bw // 2],
            a[r + 2 : h - r - 2, w - 1 - bw // 2],
        ):
            assert band.max() <= 30, it.id


def test_answers_consistent(items):
    for it in items:
        if it.question_type == "mcq":
            assert it.options is not None and len(it.options) == 4
            assert len(set(it.options)) == 4
            assert it.answer in "ABCD" and len(it.answer) == 1
            assert it.options[ord(it.answer) - ord("A")] == it.content
            for o in it.options:
                assert W.is_valid_content(it.dimension, o)
            if it.dimension == "ocr":
                for o in it.options:
                    assert len(o) == len(it.content)
                    assert 0 <= sum(a != b for a, b in zip(o, it.content)) <= 2
        else:
            assert it.dimension in ("counting", "ocr")
            assert it.options is None
            assert it.answer == it.content
        assert it.stem == W.STEMS[it.dimension]


def test_both_question_types_and_explicit_args():
    kinds = {make_item(i, "train", "counting").question_type for i in range(12)}
    assert kinds == {"mcq", "blank"}
    a = make_item(5, "train", "ocr", "mcq")
    b = make_item(5, "train", "ocr", "blank")
    assert a.content == b.content and np.array_equal(np.asarray(a.image), np.asarray(b.image))
    assert b.answer == b.content and b.options is None
    with pytest.raises(ValueError):
        make_item(0, "train", "color", "blank")
    with pytest.raises(ValueError):
        make_item(0, "nope")


def test_counting_recount_from_pixels():
    checked = 0
    for i in range(10):
        it = make_item(i, "val", "counting")
        sizes = _components(_saturated(_inner(it)))
        assert len(sizes) == int(it.content), (it.id, sizes, it.content)
        checked += 1
    assert checked == 10


def test_color_dominant_matches_name():
    for i in range(8):
        it = make_item(i, "val", "color")
        a = _inner(it)
        m = _saturated(a)
        assert m.sum() > 30
        mean = a[m].mean(axis=0)
        nearest = min(COLORS, key=lambda n: float(((np.array(COLORS[n]) - mean) ** 2).sum()))
        assert nearest == it.content, (it.id, mean, it.content)


def test_determinism_and_seeds():
    a = make_item(3, "train")
    b = make_item(3, "train")
    assert a.id == b.id == "train-1000003" and a.seed == 1_000_003
    assert a.bbox == b.bbox and a.options == b.options and a.answer == b.answer
    assert np.array_equal(np.asarray(a.image), np.asarray(b.image))
    c = make_item(3, "val")
    assert c.seed != a.seed and not np.array_equal(np.asarray(c.image.resize((8, 8))), np.asarray(a.image.resize((8, 8))))
    bases = sorted(SPLIT_SEED_BASE.values())
    assert all(hi - lo >= W.SPLIT_SIZE_LIMIT for lo, hi in zip(bases, bases[1:]))
    with pytest.raises(ValueError):
        make_item(W.SPLIT_SIZE_LIMIT, "train")
    ids = [it.id for it in generate_split("val", 3, start=10)]
    assert ids == ["val-2000010", "val-2000011", "val-2000012"]


def test_format_query_exact():
    stem = "What shape is on the card with the black border?"
    opts = ["star", "circle", "heart", "cross"]
    assert format_query(stem, opts, "mcq", False) == (
        stem + "\nA. star\nB. circle\nC. heart\nD. cross\n\nAnswer with the option's letter from the given choices."
    )
    assert format_query(stem, None, "blank", False) == stem + "\nAnswer with a single word or number."
    hint = "\n\nOnly focus on the objects inside the red bounding box in the image to answer this question."
    assert format_query(stem, opts, "mcq", True) == (
        stem + hint + "\nA. star\nB. circle\nC. heart\nD. cross\n\nAnswer with the option's letter from the given choices."
    )
    assert format_query(stem, None, "blank", True) == stem + hint + "\nAnswer with a single word or number."
    it = make_item(0, "test", "color")
    assert it.query == format_query(it.stem, it.options, it.question_type, False)


def test_question_corpus_covers_everything(items):
    corpus = question_corpus()
    text = " ".join(corpus)
    for it in items:
        for word in it.query.replace("\n", " ").split():
            w = word.strip(".?,'")
            assert w in text or all(ch in OCR_ALPHABET for ch in w), word
        for ch in it.content:
            assert ch in text


def test_ocr_char_cells_tile_the_text_left_to_right(items):
    """Every OCR item records one cell per character: inside the card, contiguous, in reading
    order, and each cell holds ink (a character, not the card's background)."""
    ocr = [it for it in items if it.dimension == "ocr"]
    assert ocr
    for it in ocr:
        cells = it.meta["char_cells"]
        assert len(cells) == len(it.content)
        w, h = it.crop.size
        ink = np.asarray(it.crop.convert("L")) < 128
        for k, (x1, y1, x2, y2) in enumerate(cells):
            assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
            if k:
                assert x1 == pytest.approx(cells[k - 1][2])  # contiguous, left to right
            assert ink[int(y1) : int(y2), int(x1) : int(x2)].any()
    assert all("char_cells" not in it.meta for it in items if it.dimension != "ocr")
