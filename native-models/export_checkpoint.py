#!/usr/bin/env python
"""Export a Qwen2-VL / Qwen2.5-VL / Qwen3-VL checkpoint to a Loupe model package, then check parity.

  python native-models/export_checkpoint.py CHECKPOINT_DIR OUT_DIR [--dtype fp32|fp16] [--device cpu|cuda]
  python native-models/export_checkpoint.py --tiny qwen2_5_vl OUT_DIR        # tiny random model, no downloads
  python native-models/export_checkpoint.py --tiny qwen3_vl OUT_DIR --fixture  # + parity.json for engine tests

CHECKPOINT_DIR is a local Hugging Face folder (config.json, *.safetensors, tokenizer.json,
tokenizer_config.json / chat_template.*, preprocessor_config.json). Nothing is downloaded.
Exit status: 0 exported (and parity passed), 1 parity failed, 2 bad arguments or checkpoint.
See docs/bring-your-own-model.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from loupe_export import FAMILIES  # a script run from any folder has its own folder first on sys.path


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="export_checkpoint.py",
        description="Export a Qwen-VL checkpoint to a Loupe model package (ONNX with attention taps).",
    )
    p.add_argument("checkpoint", nargs="?", help="local checkpoint folder (omit with --tiny)")
    p.add_argument("out", help="output package folder")
    p.add_argument("--tiny", choices=FAMILIES, help="build a tiny random-weight checkpoint of this family first")
    p.add_argument(
        "--random-full",
        choices=["qwen2_5_vl_7b", "qwen3_vl_8b", "qwen3_vl_4b"],
        help="full-size architecture with RANDOM weights (no download): measures export time and sizes at real scale",
    )
    p.add_argument("--tiny-checkpoint", help="where to keep the tiny checkpoint (default: a temp folder)")
    p.add_argument("--dtype", choices=["fp32", "fp16"], default="fp32")
    p.add_argument("--device", default="cpu", help="torch device for loading/tracing: cpu or cuda (default cpu)")
    p.add_argument("--no-taps", action="store_true", help="export without decoder_attentions.N outputs")
    p.add_argument(
        "--with-notap",
        action="store_true",
        help="also write onnx/decoder_model_merged.notap.onnx (same decoder without taps; tests `loupe tap`)",
    )
    p.add_argument(
        "--no-hidden-states",
        action="store_true",
        help="export without the decoder output decoder_hidden_states and onnx/lm_head.onnx (activation maps need both)",
    )
    p.add_argument("--name", help="package name in loupe.json (default: checkpoint folder name)")
    p.add_argument("--skip-parity", action="store_true", help="do not run the parity check")
    p.add_argument(
        "--reference-dtype",
        choices=["fp32", "fp16", "same"],
        default=None,
        help="dtype of the PyTorch model parity runs next to its float64 copy (default: fp32 on cpu, the package dtype on cuda)",
    )
    p.add_argument("--fixture", action="store_true", help="also write parity.json + parity-image.png (test fixtures)")
    p.add_argument("--ort-provider", default="CPUExecutionProvider", help="onnxruntime provider for parity")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    args = p.parse_args(argv)
    given = [x for x in (args.checkpoint, args.tiny, args.random_full) if x]
    if len(given) != 1:
        p.error("give exactly one of CHECKPOINT_DIR, --tiny FAMILY, --random-full NAME")
    if args.fixture and args.no_taps:
        p.error("--fixture needs taps")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch

    from loupe_export.export import ExportError, export_package, load_checkpoint
    from loupe_export.parity import check_parity, record_parity

    torch.set_num_threads(max(1, min(torch.get_num_threads(), 4)))
    tmp = None
    model = config = None
    guard_estimate = None  # only a checkpoint folder is checked before loading
    if args.random_full:
        from loupe_export.tiny import build_full_size

        tmp = tempfile.TemporaryDirectory(prefix="loupe-full-")
        t0 = time.perf_counter()
        torch_dtype = torch.float16 if args.dtype == "fp16" else torch.float32
        ck, config, model = build_full_size(args.random_full, Path(tmp.name) / args.random_full, torch_dtype, args.device)
        print(f"built random-weight {args.random_full} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        name = args.name or f"random-{args.random_full}"
    elif args.tiny:
        from loupe_export.tiny import build_tiny_checkpoint

        if args.tiny_checkpoint:
            ck = Path(args.tiny_checkpoint)
        else:
            tmp = tempfile.TemporaryDirectory(prefix="loupe-tiny-")
            ck = Path(tmp.name) / f"tiny-{args.tiny}"
        build_tiny_checkpoint(args.tiny, ck)
        name = args.name or f"tiny-{args.tiny}"
    else:
        ck = Path(args.checkpoint)
        if not (ck / "config.json").exists():
            print(f"error: {ck}/config.json not found: CHECKPOINT_DIR must be a local Hugging Face folder", file=sys.stderr)
            return 2
        name = args.name
        from loupe_export.export_memory import check_export_fits, export_peak_bytes

        guard_estimate = export_peak_bytes(ck, args.dtype)
        too_big = None if os.environ.get("LOUPE_EXPORT_IGNORE_MEMORY") else check_export_fits(ck, args.dtype)
        if too_big:  # refused before loading anything: a kill halfway through would leave a broken package
            print(f"error: {too_big}", file=sys.stderr)
            return 2
    try:
        t0 = time.perf_counter()
        if model is None:
            config, model = load_checkpoint(ck, dtype=args.dtype, device=args.device)
        load_s = time.perf_counter() - t0
        result = export_package(
            ck,
            args.out,
            dtype=args.dtype,
            taps=not args.no_taps,
            name=name,
            device=args.device,
            model=model,
            config=config,
            notap_copy=args.with_notap,
            hidden_states=not args.no_hidden_states,
        )
        if args.tiny or args.random_full:  # the temp path means nothing to a reader of the package
            what = args.tiny or args.random_full
            result.manifest["source"]["checkpoint"] = f"random-weight {what} built by loupe_export.tiny (no checkpoint)"
            (Path(args.out) / "loupe.json").write_text(json.dumps(result.manifest, indent=2) + "\n")
    except (ExportError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    result.seconds["load"] = load_s
    report = None
    status = 0
    if not args.skip_parity and not args.no_taps:
        ref_dtype = args.reference_dtype or ("fp32" if args.device == "cpu" else "same")
        if ref_dtype == "fp32":
            model = model.float()
        elif ref_dtype == "fp16":
            model = model.half()
        t = time.perf_counter()
        report = check_parity(args.out, model, config, providers=[args.ort_provider], raise_on_failure=False)
        # the outcome, passed or not, goes into loupe.json: the engine warns about packages without a pass
        record_parity(args.out, report)
        if not report.ok:
            print(report.summary(), file=sys.stderr)
            print("error: parity check FAILED: the package does not reproduce the PyTorch model", file=sys.stderr)
            status = 1
        result.seconds["parity"] = time.perf_counter() - t
        if status == 0 and args.fixture:
            from loupe_export.fixture import write_parity_fixture

            write_parity_fixture(args.out, model.float(), config)
    from loupe_export.export import file_sizes

    sizes = file_sizes(Path(args.out))
    if args.json:
        print(
            json.dumps(
                {
                    "out": str(args.out),
                    "seconds": result.seconds,
                    "peak_rss_bytes": result.peak_rss,
                    "guard_estimate_bytes": guard_estimate,
                    "sizes": sizes,
                    "parity": None if report is None else report.summary(),
                    "ok": status == 0,
                },
                indent=2,
            )
        )
    else:
        print(f"wrote {args.out} ({result.manifest['family']}, {args.dtype}, taps: {not args.no_taps})")
        for k, v in result.seconds.items():
            print(f"  {k}: {v:.2f} s")
        for k, v in sizes.items():
            print(f"  {k}: {v / 1e6:.3f} MB")
        if report is not None:
            print(report.summary())
    if tmp is not None:
        tmp.cleanup()
    return status


if __name__ == "__main__":
    sys.exit(main())
