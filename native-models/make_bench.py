#!/usr/bin/env python3
"""Write the mini ZoomBench ("loupe-mini") from the TEST split of the synthetic world.

    python native-models/make_bench.py --out resources/bench/loupe-mini --n-per-dim 30

Layout (converted-JSON, paths relative to test.json):
    images/<id>.jpg   full image (JPEG)
    crops/<id>.jpg    the key-region crop, cut from the DECODED saved JPEG (same pixels as images/)
    test.json         [{id, images, crop_images, query, response, bbox, question_type, dimension, width, height}]
    bench.json        description of the bench
Deterministic: the same command gives identical JSON and (same Pillow) identical JPEG bytes.
"""

from __future__ import annotations

import argparse
import io
import json
import os
from collections import Counter

from PIL import Image

from loupe_models.world import DIMENSIONS, make_item

JPEG_QUALITY = 80
BLANK_SLOTS = (1, 3)  # within every 5 items of counting / ocr: 40% blank


def bench_plan(n_per_dim: int) -> list[tuple[int, str, str]]:
    """(test-split index, dimension, question_type) for every item, in bench order."""
    plan = []
    for j in range(n_per_dim):
        for d_idx, dim in enumerate(DIMENSIONS):
            index = j * len(DIMENSIONS) + d_idx  # = the world's own dimension cycle
            qtype = "blank" if (dim in ("counting", "ocr") and j % 5 in BLANK_SLOTS) else "mcq"
            plan.append((index, dim, qtype))
    return plan


def _jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=JPEG_QUALITY, optimize=False, progressive=False)
    return buf.getvalue()


def write_bench(out: str, n_per_dim: int = 30, quiet: bool = False) -> list[dict]:
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    os.makedirs(os.path.join(out, "crops"), exist_ok=True)
    plan = bench_plan(n_per_dim)
    rows: list[dict] = []
    for k, (index, dim, qtype) in enumerate(plan):
        it = make_item(index, "test", dim, qtype)
        full = _jpeg(it.image)
        decoded = Image.open(io.BytesIO(full)).convert("RGB")
        crop = _jpeg(decoded.crop(it.bbox))
        img_rel = f"images/{it.id}.jpg"
        crop_rel = f"crops/{it.id}.jpg"
        with open(os.path.join(out, img_rel), "wb") as f:
            f.write(full)
        with open(os.path.join(out, crop_rel), "wb") as f:
            f.write(crop)
        rows.append(
            {
                "id": it.id,
                "images": [img_rel],
                "crop_images": [crop_rel],
                "query": it.query,
                "response": it.answer,
                "bbox": [int(v) for v in it.bbox],
                "question_type": it.question_type,
                "dimension": it.dimension,
                "width": it.image.width,
                "height": it.image.height,
            }
        )
        if not quiet and (k + 1) % 30 == 0:
            print(f"{k + 1}/{len(plan)}", flush=True)

    # drop stale files from an earlier, larger run
    keep = {os.path.basename(p) for r in rows for p in r["images"]}
    for sub in ("images", "crops"):
        for name in os.listdir(os.path.join(out, sub)):
            if name.endswith(".jpg") and name not in keep:
                os.remove(os.path.join(out, sub, name))

    with open(os.path.join(out, "test.json"), "w") as f:
        json.dump(rows, f, indent=1)
        f.write("\n")
    dims = Counter(r["dimension"] for r in rows)
    qts = Counter(r["question_type"] for r in rows)
    meta = {
        "name": "loupe-mini",
        "description": (
            "Mini ZoomBench built from Loupe's synthetic fine-grained VQA world: every image is a cluttered scene "
            "with one key card (thick black border) whose small detail (dots, short text, colour, shape, pattern, "
            "symbol) is clear at native resolution but blurs when the full image is downsampled. bbox is the key "
            "card in original pixels; crops are cut from the saved JPEG. Converted-JSON layout of ZoomBench plus "
            "bbox, question_type, dimension, width, height."
        ),
        "version": 1,
        "items": len(rows),
        "dimensions": {d: dims[d] for d in DIMENSIONS},
        "question_types": {q: qts[q] for q in ("mcq", "blank")},
        "seeds": f"test split, indices 0..{len(plan) - 1} (seed = 3000000 + index)",
        "generator": "native-models/loupe_models/world.py",
        "jpeg_quality": JPEG_QUALITY,
    }
    with open(os.path.join(out, "bench.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="resources/bench/loupe-mini")
    ap.add_argument("--n-per-dim", type=int, default=30)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    if a.n_per_dim < 1:
        ap.error("--n-per-dim must be >= 1")
    rows = write_bench(a.out, a.n_per_dim, a.quiet)
    print(f"wrote {len(rows)} items to {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
