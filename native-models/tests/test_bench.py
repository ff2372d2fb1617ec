import io
import json
import os

import numpy as np
import pyarrow.parquet as pq
from PIL import Image

import make_bench
import write_parquet
from loupe_models.world import DIMENSIONS, make_item

KEYS = {"id", "images", "crop_images", "query", "response", "bbox", "question_type", "dimension", "width", "height"}


def test_bench_plan_counts():
    plan = make_bench.bench_plan(30)
    assert len(plan) == 180
    for d in DIMENSIONS:
        mine = [p for p in plan if p[1] == d]
        assert len(mine) == 30
        kinds = {p[2] for p in mine}
        assert kinds == ({"mcq", "blank"} if d in ("counting", "ocr") else {"mcq"})
    assert len({p[0] for p in plan}) == 180


def test_make_bench_and_parquet(tmp_path):
    out = tmp_path / "bench"
    rows = make_bench.write_bench(str(out), n_per_dim=2, quiet=True)
    data = json.loads((out / "test.json").read_text())
    assert data == rows and len(data) == 12
    meta = json.loads((out / "bench.json").read_text())
    assert meta["name"] == "loupe-mini" and meta["version"] == 1 and meta["items"] == 12
    assert meta["dimensions"] == {d: 2 for d in DIMENSIONS}
    assert meta["question_types"]["blank"] == 2 and meta["question_types"]["mcq"] == 10
    assert meta["generator"] == "native-models/loupe_models/world.py"

    for r in data:
        assert set(r) == KEYS
        assert r["images"] == [f"images/{r['id']}.jpg"] and r["crop_images"] == [f"crops/{r['id']}.jpg"]
        it = make_item(int(r["id"].split("-")[1]) - 3_000_000, "test", r["dimension"], r["question_type"])
        assert r["query"] == it.query and r["response"] == it.answer
        assert r["bbox"] == list(it.bbox) and (r["width"], r["height"]) == it.image.size
        full = Image.open(out / r["images"][0])
        crop = Image.open(out / r["crop_images"][0])
        assert full.format == "JPEG" and full.size == (r["width"], r["height"])
        x1, y1, x2, y2 = r["bbox"]
        assert crop.size == (x2 - x1, y2 - y1)
        # the crop is cut from the saved full image's pixels (tolerance: one more JPEG pass)
        ref = np.asarray(full.convert("RGB").crop(r["bbox"])).astype(int)
        c = np.asarray(crop.convert("RGB")).astype(int)
        diff = np.abs(c - ref).mean()
        assert diff < 8
        shifted = np.asarray(full.convert("RGB").crop((x1 + 3, y1 + 2, x2 + 3, y2 + 2))).astype(int)
        assert diff < np.abs(c - shifted).mean()

    # deterministic
    out2 = tmp_path / "bench2"
    make_bench.write_bench(str(out2), n_per_dim=2, quiet=True)
    assert (out2 / "test.json").read_bytes() == (out / "test.json").read_bytes()
    for r in data:
        assert (out2 / r["images"][0]).read_bytes() == (out / r["images"][0]).read_bytes()

    # parquet round trip
    pq_path = tmp_path / "data" / "test.parquet"
    write_parquet.write_parquet(str(out), str(pq_path))
    table = pq.read_table(str(pq_path))
    assert table.column_names == ["id", "query", "response", "image", "crop_image", "question_type", "bbox", "dimension"]
    assert str(table.schema.field("bbox").type) == "list<element: int64>"
    assert str(table.schema.field("image").type) == "struct<bytes: binary, path: string>"
    back = table.to_pylist()
    assert [b["id"] for b in back] == [r["id"] for r in data]
    for b, r in zip(back, data):
        assert b["query"] == r["query"] and b["response"] == r["response"]
        assert b["question_type"] == r["question_type"] and b["dimension"] == r["dimension"]
        assert b["bbox"] == r["bbox"]
        assert b["image"]["bytes"] == (out / r["images"][0]).read_bytes()
        assert b["crop_image"]["bytes"] == (out / r["crop_images"][0]).read_bytes()
        assert b["image"]["path"] == os.path.basename(r["images"][0])
        Image.open(io.BytesIO(b["crop_image"]["bytes"])).verify()


def test_cli(tmp_path):
    out = tmp_path / "b"
    assert make_bench.main(["--out", str(out), "--n-per-dim", "1", "--quiet"]) == 0
    assert write_parquet.main([str(out), str(tmp_path / "t.parquet")]) == 0
    assert pq.read_table(str(tmp_path / "t.parquet")).num_rows == 6
