"""The pipeline's train-split layout: each stage's scenes are its own, and the shipped students'
scenes are where their loupe.json says."""

import json
from itertools import combinations
from pathlib import Path

from loupe_models import world
from loupe_models.recipe import SHIPPED as RECIPE
from loupe_models.scene_draws import scene_draws

REPO = Path(__file__).resolve().parents[2]
SHIPPED = dict(
    train_items=RECIPE.train_items,
    text_items=RECIPE.text_items,
    count_items=RECIPE.count_items,
    pool_items=RECIPE.pool_items,
    read_items=RECIPE.read_items,
    focus_items=RECIPE.focus_items,
)


def test_no_two_draws_share_a_scene():
    for sizes in (SHIPPED, dict(SHIPPED, text_items=1000, count_items=4000, focus_items=500), dict(SHIPPED, pool_items=0)):
        draws = scene_draws(**sizes)
        for (a, da), (b, db) in combinations(draws.items(), 2):
            assert not set(da.indices()) & set(db.indices()), f"{a} and {b} share scenes with sizes {sizes}"
        for name, d in draws.items():
            assert len(d.indices()) == d.n, name
            assert all(0 <= i < world.SPLIT_SIZE_LIMIT for i in d.indices()), name


def test_each_draw_asks_about_its_dimension():
    one_dimension = {name: d for name, d in scene_draws(**SHIPPED).items() if d.dimension is not None}
    assert one_dimension, "no draw is of one dimension: the check below would check nothing"
    for name, d in one_dimension.items():
        # world.make_item picks the dimension from the index
        assert {world.DIMENSIONS[i % len(world.DIMENSIONS)] for i in d.indices()} == {d.dimension}, name


def test_the_shipped_students_scenes_are_where_their_manifest_says():
    draws = scene_draws(**SHIPPED)
    pool, read = draws["pool"], draws["read"]
    for name in ("loupe-tiny-base", "loupe-tiny-r2i"):
        training = json.loads((REPO / "resources" / "models" / name / "loupe.json").read_text())["training"]
        assert f"0..{SHIPPED['train_items'] - 1} and {pool.start}..{pool.start + pool.n - 1}" in training["data"]
        assert f"{SHIPPED['text_items']} extra text scenes (train split, from index {draws['text'].start})" in training["teacher"]["data"]
        assert f"{SHIPPED['read_items']} more text scenes (from index {read.start})" in training["teacher"]["data"]
        read_2, focus = draws["read-2"], draws["focus-counting"]
        assert f"adds {SHIPPED['read_items']} more text scenes (from index {read_2.start})" in training["teacher"]["data"]
        assert f"adds {SHIPPED['focus_items']} counting and as many text scenes (from index {focus.start})" in training["teacher"]["data"]
