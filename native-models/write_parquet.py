#!/usr/bin/env python3
"""Convert a converted-JSON bench (test.json + images/ + crops/) to the Hugging Face ZoomBench
parquet layout:

    python native-models/write_parquet.py resources/bench/loupe-mini out/data/test.parquet

Columns: id, query, response (strings); image, crop_image (structs {bytes: binary, path: string},
path = the file's name); question_type (string); bbox (list<int64>); dimension (string).
Row order = JSON order.
"""

from __future__ import annotations

import argparse
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq

IMAGE_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("query", pa.string()),
        ("response", pa.string()),
        ("image", IMAGE_TYPE),
        ("crop_image", IMAGE_TYPE),
        ("question_type", pa.string()),
        ("bbox", pa.list_(pa.int64())),
        ("dimension", pa.string()),
    ]
)


def _image(root: str, rel: str) -> dict:
    with open(os.path.join(root, rel), "rb") as f:
        return {"bytes": f.read(), "path": os.path.basename(rel)}


def build_table(bench_dir: str) -> pa.Table:
    with open(os.path.join(bench_dir, "test.json")) as f:
        rows = json.load(f)
    cols: dict[str, list] = {name: [] for name in SCHEMA.names}
    for r in rows:
        cols["id"].append(str(r["id"]))
        cols["query"].append(r["query"])
        cols["response"].append(str(r["response"]))
        cols["image"].append(_image(bench_dir, r["images"][0]))
        cols["crop_image"].append(_image(bench_dir, r["crop_images"][0]))
        cols["question_type"].append(r.get("question_type"))
        bbox = r.get("bbox")
        cols["bbox"].append([int(v) for v in bbox] if bbox is not None else None)
        cols["dimension"].append(r.get("dimension"))
    return pa.Table.from_pydict(cols, schema=SCHEMA)


def write_parquet(bench_dir: str, out_path: str) -> pa.Table:
    table = build_table(bench_dir)
    parent = os.path.dirname(os.path.abspath(out_path))
    os.makedirs(parent, exist_ok=True)
    pq.write_table(table, out_path)
    return table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bench_dir")
    ap.add_argument("out")
    a = ap.parse_args(argv)
    table = write_parquet(a.bench_dir, a.out)
    print(f"wrote {table.num_rows} rows to {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
