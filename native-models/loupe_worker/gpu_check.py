"""The device check (native-models/gpu_check.sh): full-size Qwen3-VL-8B and Qwen2.5-VL-7B architectures
with random bf16 weights built straight on the GPU, 20 ZoomBench-layout items each through the PyTorch
engine's Python side with taps at the paper's pixel budget; prints per-item latency, peak GPU memory and
tap memory. Needs PyTorch, transformers and a CUDA GPU; no network, no npm, no checkpoint download.
`--tiny` runs the same path on CPU with the tiny random checkpoints (CI-size)."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .engine import Engine
from .full_size import build, write_items
from .tiny_families import build_tiny

FULL = ("qwen3_vl_8b", "qwen2_5_vl_7b")
TINY = ("qwen3_vl", "qwen2_5_vl")
GIB = 1024**3


def run_model(name: str, work: Path, items_dir: Path, n: int, tiny: bool, max_new_tokens: int) -> dict:
    device = "cpu" if tiny else "cuda"
    t0 = time.perf_counter()
    if tiny:
        folder = build_tiny(name, work / name)
        engine = Engine(str(folder), "fp32", "cpu")
    else:
        torch.cuda.reset_peak_memory_stats()
        with torch.device("cuda"):
            folder, model, _ = build(name, work / name, None, dtype=torch.bfloat16, save=False)
        engine = Engine(str(folder), "bf16", "cuda", model=model)
    build_s = time.perf_counter() - t0
    items = json.loads((items_dir / "test.json").read_text())[:n]
    rows = []
    for item in items:
        rgb = np.asarray(Image.open(items_dir / item["images"][0]).convert("RGB"))
        if not tiny:
            torch.cuda.synchronize()
        t = time.perf_counter()
        result, blobs = engine.analyze(rgb, item["query"], max_new_tokens, True, "paper", None, False)
        seconds = time.perf_counter() - t
        s = result["stats"]
        g = result["geometry"]
        rows.append(
            {
                "item": item["id"],
                "seconds": seconds,
                "visualTokens": g["gridH"] * g["gridW"],
                "promptLength": s["promptLength"],
                "tapBytes": s["tapBytes"],
                "fullAttentionBytes": s["fullAttentionBytes"],
                "peakGpuBytes": s.get("peakGpuBytes"),
                "answer": result["answer"],
                "timings": result["timings"],
            }
        )
        gpu = f", peak GPU {s['peakGpuBytes'] / GIB:.2f} GiB" if s.get("peakGpuBytes") else ""
        print(
            f"  {name} item {item['id']}: {seconds:.3f} s ({g['gridH']}x{g['gridW']} = {g['gridH'] * g['gridW']} visual tokens, prompt {s['promptLength']} tokens){gpu}, taps {s['tapBytes'] / 2**20:.2f} MiB vs full attention {s['fullAttentionBytes'] / GIB:.2f} GiB",
            flush=True,
        )
    per_item = [r["seconds"] for r in rows[1:]] or [r["seconds"] for r in rows]  # the first item includes warm-up
    summary = {
        "model": name,
        "device": device,
        "dtype": engine.dtype,
        "buildSeconds": build_s,
        "items": len(rows),
        "medianSecondsPerItem": statistics.median(per_item),
        "peakGpuBytes": int(torch.cuda.max_memory_allocated()) if not tiny else None,
        "medianTapBytes": statistics.median(r["tapBytes"] for r in rows),
        "medianFullAttentionBytes": statistics.median(r["fullAttentionBytes"] for r in rows),
        "rows": rows,
    }
    del engine
    if not tiny:
        torch.cuda.empty_cache()
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tiny", action="store_true", help="tiny random checkpoints on CPU (tests, CI)")
    ap.add_argument("--items", type=int, default=None, help="items per model (default 20; --tiny 3)")
    ap.add_argument("--max-new-tokens", type=int, default=8)
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    n = args.items or (3 if args.tiny else 20)
    if not args.tiny and not torch.cuda.is_available():
        print(
            f"gpu_check: no CUDA device (torch {torch.__version__}, built for CUDA {torch.version.cuda}); run `loupe doctor`, or --tiny on CPU.",
            file=sys.stderr,
        )
        return 2
    if not args.tiny:
        p = torch.cuda.get_device_properties(0)
        print(
            f"device: {p.name}, {p.total_memory / GIB:.0f} GiB; torch {torch.__version__} (CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()})",
            flush=True,
        )
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="loupe-gpu-check-") as tmp:
        work = Path(tmp)
        # The paper's budget: fetch_image resizes to at most 2048*1024 px; these 2560x1440 items are above it.
        items_dir = write_items(work / "items", n, size=(320, 240) if args.tiny else (2560, 1440))
        summaries = [run_model(m, work, items_dir, n, args.tiny, args.max_new_tokens) for m in (TINY if args.tiny else FULL)]
    print("\nsummary (median over items after the first):")
    for s in summaries:
        gpu = f", peak GPU memory {s['peakGpuBytes'] / GIB:.2f} GiB" if s["peakGpuBytes"] else ""
        print(
            f"  {s['model']} ({s['device']}, {s['dtype']}): {s['medianSecondsPerItem']:.3f} s per item over {s['items']} items{gpu}; tap memory {s['medianTapBytes'] / 2**20:.2f} MiB per item vs {s['medianFullAttentionBytes'] / GIB:.2f} GiB of full attention matrices; built in {s['buildSeconds']:.1f} s"
        )
    print(f"total {time.perf_counter() - t0:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(summaries, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
