"""The small parity JSON committed beside each tiny test package (for the TypeScript engine's tests).

`parity.json` holds one prompt with one image: the exact token ids, the processor's pixel_values
(base64 little-endian float32), grid, position ids, and what PyTorch (eager, output_attentions)
computed: last-position logits, every layer's last-query attention row, the head-mean attention
over the visual tokens at `coverage.layer`, and the paper-compatible coverage of a box.
`parity-image.png` is the image, sized to a multiple of patch*merge so no resampling happens
(any correct processor reproduces pixel_values up to float rounding).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

from loupe_reference.coverage import paper_coverage

from .parity import default_images, reference
from .runtime import PackageRunner, prepare

QUESTION = "What colour is the small sign in the top left corner of the image?"


def _b64(a: np.ndarray) -> dict:
    a = np.ascontiguousarray(a, dtype="<f4")
    return {"dtype": "float32", "shape": list(a.shape), "base64": base64.b64encode(a.tobytes()).decode()}


def write_parity_fixture(pkg: str | Path, model, config, layer: int | None = None) -> Path:
    pkg = Path(pkg)
    image, _ = default_images(pkg)
    image.save(pkg / "parity-image.png")
    prep = prepare(pkg, QUESTION, [image])
    runner = PackageRunner(pkg)
    out = runner.prefill(prep)
    logits_ref, rows_ref, pos_ref = reference(model, config, prep)
    layers = runner.layers
    layer = layers // 2 if layer is None else layer
    ids = prep.input_ids[0]
    vis = np.nonzero(ids == runner.cfg["image_token_id"])[0]
    merge = int(runner.cfg["vision_config"]["spatial_merge_size"])
    _, gh, gw = (int(x) for x in prep.image_grid_thw[0])
    grid_h, grid_w = gh // merge, gw // merge
    head_mean = rows_ref[layer].mean(0)[vis]
    w, h = image.size
    box = [0, 0, w * 0.4, h * 0.45]
    taps = np.stack([out[f"decoder_attentions.{i}"][0, :, 0, :] for i in range(layers)])
    fixture = {
        "family": runner.manifest["family"],
        "question": QUESTION,
        "image": "parity-image.png",
        "image_size": [w, h],
        "text": prep.text,
        "input_ids": ids.tolist(),
        "image_grid_thw": prep.image_grid_thw.tolist(),
        "pixel_values": _b64(prep.pixel_values),
        "position_ids": pos_ref[:, 0, :].tolist(),
        "rope_delta": int(out["rope_deltas"][0]),
        "visual_token_range": [int(vis[0]), int(vis[-1]) + 1],
        "expected": {
            "source": "PyTorch (transformers, eager attention, output_attentions=True)",
            "last_logits": [float(x) for x in logits_ref],
            "argmax": int(np.argmax(logits_ref)),
            "last_row_attention": [[[float(x) for x in row] for row in lay] for lay in rows_ref],
        },
        "coverage": {
            "layer": layer,
            "layer_one_based": layer + 1,
            "grid": [grid_h, grid_w],
            "head_mean_visual_attention": [float(x) for x in head_mean],
            "box": box,
            "paper_coverage": paper_coverage(np.asarray(head_mean).reshape(grid_h, grid_w), box, w, h),
        },
        "onnxruntime_vs_pytorch": {
            "logits_max_abs": float(np.abs(out["logits"][0, -1] - logits_ref).max()),
            "attention_max_abs": float(np.abs(taps - np.stack(rows_ref)).max()),
        },
        "tolerance": {"logits_abs": 1e-4, "attention_abs": 1e-5, "pixel_values_abs": 1e-5},
    }
    path = pkg / "parity.json"
    path.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    return path
