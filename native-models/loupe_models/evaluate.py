"""Evaluate a student on the mini bench exactly as the app sees it (the shipped JPEG files).

Reports regional- and global-view accuracy, the zooming gap, and attention coverage in the
paper's definition (docs/reference.md §2: last prompt token, head mean, one layer, truncating
cell mapping with an inclusive end cell) for every layer, and picks the best layer.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from PIL import Image

from loupe_reference.coverage import paper_coverage as paper_coverage  # the one definition, named here too

from .infer import prepare, torch_infer
from .model import TinyQwen2VL
from .processor import MERGE
from .tokenizer import PromptEncoder


def judge(pred: str, answer: str, options: list[str] | None = None) -> bool:
    """Rule judge: the letter, or (multiple choice) the text of exactly the right option."""
    p = pred.strip().rstrip(".").strip()
    if p.upper() == answer.strip().upper():
        return True
    if options:
        hits = [i for i, o in enumerate(options) if o.lower() == p.lower()]
        letters = "ABCDEFGH"
        return len(hits) == 1 and letters[hits[0]] == answer.strip().upper()
    return False


def options_from_query(query: str) -> list[str] | None:
    """The 'A. text' lines of a multiple-choice query."""
    opts = []
    for line in query.split("\n"):
        if len(line) > 3 and line[0] in "ABCDEFGH" and line[1:3] == ". ":
            opts.append(line[3:])
    return opts or None


def evaluate(model: TinyQwen2VL, enc: PromptEncoder, bench_dir: Path, limit: int | None = None) -> dict:
    items = json.loads((Path(bench_dir) / "test.json").read_text())
    if limit:
        items = items[:limit]
    n_layers = model.cfg.num_hidden_layers
    rows = []
    for it in items:
        img = Image.open(Path(bench_dir) / it["images"][0]).convert("RGB")
        crop = Image.open(Path(bench_dir) / it["crop_images"][0]).convert("RGB")
        g_inp = prepare(img, it["query"], enc)
        g = torch_infer(model, g_inp, enc, max_new_tokens=6)
        r = torch_infer(model, prepare(crop, it["query"], enc), enc, max_new_tokens=6)
        vis = np.array(g_inp.input_ids) == enc.image_pad
        _, gh, gw = g_inp.grid_thw
        covs = []
        for layer in range(n_layers):
            att = g.prefill_attn[layer][:, vis].mean(0).reshape(gh // MERGE, gw // MERGE)
            covs.append(paper_coverage(att, it["bbox"], img.width, img.height))
        x1, y1, x2, y2 = it["bbox"]
        rows.append(
            {
                "id": it["id"],
                "dimension": it.get("dimension"),
                "question_type": it["question_type"],
                "global_correct": judge(g.answer, it["response"], options_from_query(it["query"])),
                "regional_correct": judge(r.answer, it["response"], options_from_query(it["query"])),
                "global_answer": g.answer,
                "regional_answer": r.answer,
                "coverage": covs,
                "area_share": (x2 - x1) * (y2 - y1) / (img.width * img.height),
            }
        )
    return summarise(rows, n_layers)


def summarise(rows: list[dict], n_layers: int) -> dict:
    def acc(rs, key):
        return 100.0 * sum(r[key] for r in rs) / max(1, len(rs))

    cov = np.array([r["coverage"] for r in rows])
    mean_cov = cov.mean(0)
    best = int(mean_cov.argmax())
    area = float(np.mean([r["area_share"] for r in rows]))
    dims = sorted({r["dimension"] for r in rows if r["dimension"]})
    out = {
        "items": len(rows),
        "global_accuracy": acc(rows, "global_correct"),
        "regional_accuracy": acc(rows, "regional_correct"),
        "coverage_by_layer": {str(i + 1): float(mean_cov[i]) for i in range(n_layers)},
        "best_layer": best + 1,
        "mean_coverage_best_layer": float(mean_cov[best]),
        "mean_area_share": area,
        "coverage_over_area_share": float(mean_cov[best] / area) if area > 0 else None,
        "by_dimension": {},
        "by_question_type": {},
    }
    out["zooming_gap"] = out["regional_accuracy"] - out["global_accuracy"]
    # per-item correctness, so two students can be compared item by item (paired_comparison)
    out["per_item"] = [{"id": r["id"], "global": bool(r["global_correct"]), "regional": bool(r["regional_correct"])} for r in rows]
    for d in dims:
        rs = [r for r in rows if r["dimension"] == d]
        out["by_dimension"][d] = {"global": acc(rs, "global_correct"), "regional": acc(rs, "regional_correct"), "n": len(rs)}
    for qt in ("mcq", "blank"):
        rs = [r for r in rows if r["question_type"] == qt]
        if rs:
            out["by_question_type"][qt] = {"global": acc(rs, "global_correct"), "regional": acc(rs, "regional_correct"), "n": len(rs)}
    return out


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pairs (a binomial test at 1/2)."""
    n = only_a + only_b
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(only_a, only_b) + 1)) / 2**n
    return min(1.0, 2 * tail)


def paired_comparison(a: dict, b: dict) -> dict:
    """Item-by-item comparison of two summaries on the same items: per view, how many items only
    `a` gets right, only `b` gets right, and the exact McNemar p-value."""
    b_by_id = {r["id"]: r for r in b["per_item"]}
    out = {}
    for view in ("global", "regional"):
        pairs = [(r[view], b_by_id[r["id"]][view]) for r in a["per_item"] if r["id"] in b_by_id]
        only_a = sum(1 for x, y in pairs if x and not y)
        only_b = sum(1 for x, y in pairs if y and not x)
        out[view] = {"items": len(pairs), "only_this": only_a, "only_other": only_b, "mcnemar_p": mcnemar_exact(only_a, only_b)}
    return out


def model_card(name: str, summary: dict, other: dict | None, recipe: dict, probes: dict | None = None) -> str:
    lines = [
        f"# {name}",
        "",
        "Generated by `native-models/pipeline.py` (evaluation stage); do not edit by hand.",
        "",
        f"Recipe: {recipe['description']}",
        "",
        "## Mini bench (resources/bench/loupe-mini, 180 items, shipped JPEGs)",
        "",
        "| metric | value |",
        "| --- | --- |",
        f"| regional-view accuracy | {summary['regional_accuracy']:.1f}% |",
        f"| global-view accuracy | {summary['global_accuracy']:.1f}% |",
        f"| zooming gap (regional - global) | {summary['zooming_gap']:.1f} pp |",
        f"| mean coverage, paper definition, best layer ({summary['best_layer']}) | {summary['mean_coverage_best_layer']:.3f} |",
        f"| mean key-region area share | {summary['mean_area_share']:.3f} |",
        f"| coverage / area share | {summary['coverage_over_area_share']:.2f}x |",
        "",
        "Coverage by layer (1-based): " + ", ".join(f"L{k} {v:.3f}" for k, v in summary["coverage_by_layer"].items()),
        "",
        "| dimension | global | regional |",
        "| --- | --- | --- |",
    ]
    for d, v in summary["by_dimension"].items():
        lines.append(f"| {d} | {v['global']:.1f}% | {v['regional']:.1f}% |")
    if other:
        lines += [
            "",
            f"## Against {other['name']}",
            "",
            f"Global {summary['global_accuracy']:.1f}% vs {other['summary']['global_accuracy']:.1f}%, "
            f"regional {summary['regional_accuracy']:.1f}% vs {other['summary']['regional_accuracy']:.1f}%, "
            f"gap {summary['zooming_gap']:.1f} vs {other['summary']['zooming_gap']:.1f} pp, "
            f"best-layer coverage {summary['mean_coverage_best_layer']:.3f} vs {other['summary']['mean_coverage_best_layer']:.3f}.",
            "",
            "Item by item (exact McNemar test on the discordant items):",
            "",
            "| view | right only here | right only there | p |",
            "| --- | --- | --- | --- |",
        ]
        for view, v in paired_comparison(summary, other["summary"]).items():
            lines.append(f"| {view} | {v['only_this']} | {v['only_other']} | {v['mcnemar_p']:.3f} |")
    if probes:
        lines += probe_table(probes)
    return "\n".join(lines) + "\n"


def probe_table(probes: dict) -> list[str]:
    """Card section: linear-probe accuracy on the vision tower's tokens (loupe_models/probe.py)."""
    first = next(iter(probes.values()))
    dims = sorted(first["content"].get("crop", {}).get("by_dimension", {}))
    lines = [
        "",
        "## Perception probes (what the visual tokens encode, before decoding)",
        "",
        f"Linear classifiers fitted on {first['train_items']} training scenes, scored on {first['held_out_items']} unseen "
        "validation scenes. Content: the key region's mean token names its content (crop view: every token; full view: "
        "the tokens the key box touches). Glyph: a token on a text character names that character (chance 6%) and its "
        "place in the string (the majority place scores the figure in brackets).",
        "",
        "| model | view | content | " + " | ".join(dims) + " | glyph character | glyph rank |",
        "| --- | --- | --- | " + " | ".join("---" for _ in dims) + " | --- | --- |",
    ]
    for model, p in probes.items():
        g = p.get("glyph") or {}
        for view in ("crop", "full"):
            c = p["content"].get(view)
            if not c:
                continue
            glyph = (
                [f"{g['character_accuracy']:.0f}%", f"{g['rank_accuracy']:.0f}% ({g['rank_majority_baseline']:.0f}%)"]
                if (g and view == "crop")
                else ["", ""]
            )
            cells = [f"{c['by_dimension'].get(d, float('nan')):.0f}%" for d in dims]
            lines.append(f"| {model} | {view} | {c['accuracy']:.0f}% | " + " | ".join(cells) + " | " + " | ".join(glyph) + " |")
    return lines
