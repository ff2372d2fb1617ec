import numpy as np
from PIL import Image

from loupe_models.grounding import enlarge_box, ground
from loupe_models.world import make_item


def test_enlarge_box_and_clip():
    assert enlarge_box((100, 200, 300, 300), 1000, 1000) == (90, 195, 310, 305)
    # clipped at every side
    assert enlarge_box((0, 0, 100, 50), 100, 50) == (0, 0, 100, 50)
    assert enlarge_box((2, 1, 98, 49), 100, 50) == (0, 0, 100, 50)
    x1, y1, x2, y2 = enlarge_box((10, 10, 50, 40), 100, 80)
    assert (x1, y1, x2, y2) == (8, 8, 52, 42)


def test_ground_draws_5px_red_border_and_keeps_original():
    img = Image.new("RGB", (200, 120), (10, 200, 30))
    before = np.asarray(img).copy()
    out = ground(img, (50, 30, 150, 90))
    assert np.array_equal(np.asarray(img), before)  # original untouched
    assert out.size == img.size and out.mode == "RGB"
    a = np.asarray(out)
    x1, y1, x2, y2 = enlarge_box((50, 30, 150, 90), 200, 120)  # (45, 27, 155, 93)
    red = np.all(a == (255, 0, 0), axis=2)
    exp = np.zeros_like(red)
    exp[y1:y2, x1:x2] = True
    exp[y1 + 5 : y2 - 5, x1 + 5 : x2 - 5] = False
    assert np.array_equal(red, exp)
    # a horizontal scan through the middle crosses exactly 5 red pixels on each side
    row = red[(y1 + y2) // 2]
    assert row[x1 : x1 + 5].all() and not row[x1 + 5] and row[x2 - 5 : x2].all() and not row[x2 - 6]
    # outside the rectangle: unchanged
    assert np.array_equal(a[~exp], before[~exp])


def test_ground_on_world_item_at_edge():
    it = make_item(0, "train", "color")
    out = ground(it.image, it.bbox)
    assert out.size == it.image.size
    ex = enlarge_box(it.bbox, *it.image.size)
    a = np.asarray(out)
    assert tuple(a[ex[1], ex[0]]) == (255, 0, 0)
    assert tuple(a[ex[3] - 1, ex[2] - 1]) == (255, 0, 0)
    # box at the image corner: drawn along the clipped edge
    out2 = np.asarray(ground(it.image, (0, 0, 40, 30)))
    assert np.all(out2[0, 0:42] == (255, 0, 0)) and np.all(out2[0:31, 0] == (255, 0, 0))
