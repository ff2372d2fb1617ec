"""Parity: package (onnxruntime) vs the PyTorch model with eager attention and output_attentions.

For each case (prompt + images) it compares
  * the last-position logits,
  * every layer's last-query attention row (package tap vs row -1 of transformers' attentions),
  * the position ids (Loupe's transformers.js-style rope index vs transformers' get_rope_index),
and then one cached decoding step (package with past_key_values vs transformers on the prompt plus
that token, no cache). Any error beyond tolerance raises ParityError listing every failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .runtime import PackageRunner, Prepared, prepare

TOLERANCES = {
    # max |a - b| on logits is taken relative to the largest |logit|; attention is absolute (0..1)
    "fp32": {"logits_rel": 1e-4, "attention_abs": 1e-5},
    "fp16": {"logits_rel": 2e-2, "attention_abs": 5e-3},
}


class ParityError(AssertionError):
    pass


@dataclass
class CaseResult:
    name: str
    tokens: int
    visual_tokens: int
    logits_max_abs: float
    logits_rel: float
    attention_max_abs: float
    attention_per_layer: list[float]
    step_logits_rel: float | None = None
    step_attention_max_abs: float | None = None
    argmax_equal: bool = True


@dataclass
class ParityReport:
    dtype: str
    tolerances: dict
    cases: list[CaseResult] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        lines = [f"parity ({self.dtype}; tolerances {self.tolerances})"]
        for c in self.cases:
            step = (
                f", step logits rel {c.step_logits_rel:.2e}, step attn {c.step_attention_max_abs:.2e}"
                if c.step_logits_rel is not None
                else ""
            )
            lines.append(
                f"  {c.name}: {c.tokens} tokens ({c.visual_tokens} visual): logits max|d| {c.logits_max_abs:.2e} "
                f"(rel {c.logits_rel:.2e}), attention max|d| {c.attention_max_abs:.2e}{step}"
            )
        for f in self.failures:
            lines.append(f"  FAIL {f}")
        return "\n".join(lines)


def default_images(pkg: Path):
    """Synthetic images sized to the processor's factor (no resampling: processors agree exactly)."""
    import json

    from PIL import Image

    pre = json.loads((pkg / "preprocessor_config.json").read_text())
    f = int(pre["patch_size"]) * int(pre.get("merge_size", 2))
    rng = np.random.RandomState(7)

    def img(h, w):
        yy, xx = np.mgrid[0:h, 0:w]
        base = np.stack([(xx * 255 // max(w - 1, 1)), (yy * 255 // max(h - 1, 1)), ((xx + yy) * 3) % 256], -1)
        noise = rng.randint(0, 40, size=(h, w, 3))
        return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8))

    return img(2 * f, 3 * f), img(3 * f, 2 * f)


def default_cases(pkg: Path) -> list[tuple[str, str, list]]:
    a, b = default_images(pkg)
    return [
        ("one-image", "What colour is the small sign in the top left corner of the image?", [a]),
        ("two-images", "Which picture shows more red?", [a, b]),
        ("text-only", "Count to three.", []),
    ]


def _accepts(fn, name: str) -> bool:
    import inspect

    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def reference(model, config, prep: Prepared, extra_token: int | None = None):
    """transformers forward (eager, output_attentions) -> (logits[-1], [layer attn row -1], position_ids)."""
    ids = prep.input_ids
    if extra_token is not None:
        ids = np.concatenate([ids, [[extra_token]]], axis=1)
    input_ids = torch.from_numpy(ids)
    kwargs = dict(input_ids=input_ids, attention_mask=torch.ones_like(input_ids))
    if prep.pixel_values is not None:
        kwargs["pixel_values"] = torch.from_numpy(prep.pixel_values)
        kwargs["image_grid_thw"] = torch.from_numpy(prep.image_grid_thw)
        if _accepts(model.forward, "mm_token_type_ids"):  # transformers 5 (Qwen3-VL needs it)
            kwargs["mm_token_type_ids"] = (input_ids == config.image_token_id).to(torch.int32)
    device = next(model.parameters()).device
    kwargs = {k: v.to(device) for k, v in kwargs.items()}
    if "pixel_values" in kwargs:
        kwargs["pixel_values"] = kwargs["pixel_values"].to(next(model.parameters()).dtype)
    with torch.no_grad():
        out = model(**kwargs, output_attentions=True, use_cache=False)
    logits = out.logits[0, -1].float().cpu().numpy()
    rows = [a[0, :, -1, :].float().cpu().numpy() for a in out.attentions]
    pos = None
    if prep.pixel_values is not None:
        rope_kwargs = dict(input_ids=kwargs["input_ids"], image_grid_thw=kwargs["image_grid_thw"], attention_mask=kwargs["attention_mask"])
        if "mm_token_type_ids" in kwargs:
            rope_kwargs["mm_token_type_ids"] = kwargs["mm_token_type_ids"]
        pos = model.model.get_rope_index(**rope_kwargs)[0].cpu().numpy()
    return logits, rows, pos


def _compare(report: ParityReport, name: str, logits_pkg, logits_ref, taps_pkg, rows_ref):
    tol = report.tolerances
    d = float(np.abs(logits_pkg - logits_ref).max())
    rel = d / max(float(np.abs(logits_ref).max()), 1e-6)
    per_layer = [float(np.abs(t - r).max()) for t, r in zip(taps_pkg, rows_ref)]
    att = max(per_layer) if per_layer else 0.0
    if rel > tol["logits_rel"]:
        report.failures.append(f"{name}: logits differ by {d:.3e} (relative {rel:.3e} > {tol['logits_rel']})")
    for i, e in enumerate(per_layer):
        if e > tol["attention_abs"]:
            report.failures.append(f"{name}: layer {i} attention row differs by {e:.3e} > {tol['attention_abs']}")
    return d, rel, att, per_layer


def check_parity(
    pkg: str | Path,
    model,
    config,
    *,
    cases: list[tuple[str, str, list]] | None = None,
    dtype: str | None = None,
    raise_on_failure: bool = True,
    providers: list[str] | None = None,
) -> ParityReport:
    pkg = Path(pkg)
    runner = PackageRunner(pkg, providers=providers)
    dtype = dtype or runner.manifest["dtype"]
    if not runner.manifest.get("taps"):
        raise ParityError(f"{pkg} was exported without taps (--no-taps): nothing to compare attention with.")
    report = ParityReport(dtype, TOLERANCES[dtype])
    for name, question, images in cases or default_cases(pkg):
        prep = prepare(pkg, question, images)
        out = runner.prefill(prep)
        logits_ref, rows_ref, pos_ref = reference(model, config, prep)
        taps = [out[f"decoder_attentions.{i}"][0, :, 0, :] for i in range(runner.layers)]
        d, rel, att, per_layer = _compare(report, name, out["logits"][0, -1], logits_ref, taps, rows_ref)
        if pos_ref is not None and not np.array_equal(pos_ref, out["position_ids"]):
            report.failures.append(f"{name}: position ids differ from transformers' get_rope_index")
        visual = int((prep.input_ids == runner.cfg["image_token_id"]).sum())
        res = CaseResult(name, prep.input_ids.shape[1], visual, d, rel, att, per_layer)
        # one cached decoding step
        token = int(np.argmax(out["logits"][0, -1]))
        res.argmax_equal = token == int(np.argmax(logits_ref))
        mask2 = np.ones((1, prep.input_ids.shape[1] + 1), dtype=np.int64)
        step = runner.step(out, mask2, token)
        logits_ref2, rows_ref2, _ = reference(model, config, prep, extra_token=token)
        taps2 = [step[f"decoder_attentions.{i}"][0, :, 0, :] for i in range(runner.layers)]
        _, rel2, att2, _ = _compare(report, f"{name}+1", step["logits"][0, -1], logits_ref2, taps2, rows_ref2)
        res.step_logits_rel, res.step_attention_max_abs = rel2, att2
        report.cases.append(res)
    if raise_on_failure and not report.ok:
        raise ParityError(report.summary())
    return report
