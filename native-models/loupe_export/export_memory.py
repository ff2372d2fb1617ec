"""What an export will hold in memory, from the checkpoint's safetensors headers, checked before loading.

The TorchScript exporter keeps the whole PyTorch model (in the export dtype) and, while it writes a graph,
its weights again (the traced graph's initializers, folded constants). The estimate counts the model plus
the decoder's weights plus 1 GiB; on Qwen3-VL-2B at fp32 (docs/pytorch-engine.md, "Full size") it says
15.3 GiB where the exporter's sampled peak was 12.9 GiB (the model, 7.9 GiB, plus 5 GiB while the vision
encoder was written): high on purpose. A full-size export that cannot fit is refused here, before anything
is loaded, with what to do, instead of being killed by the kernel halfway through.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

# Python + torch + transformers + the traced graph, beyond the weights.
RUNTIME_BYTES = 1 * 1024**3
# Fraction of MemAvailable an export may plan to use (the rest: page cache the writes need, other programs).
HEADROOM = 0.9


def checkpoint_parameters(checkpoint: Path) -> tuple[int, int]:
    """(all parameters, vision-tower parameters) from the safetensors headers; reads no weights."""
    total = vision = 0
    for shard in sorted(Path(checkpoint).glob("*.safetensors")):
        with open(shard, "rb") as f:
            (size,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(size))
        for name, meta in header.items():
            if name == "__metadata__":
                continue
            n = 1
            for d in meta["shape"]:
                n *= int(d)
            total += n
            if ".visual." in f".{name}":
                vision += n
    return total, vision


def export_peak_bytes(checkpoint: Path, dtype: str) -> int:
    """The exporter's expected peak resident memory for `checkpoint` exported at `dtype` (fp32 or fp16)."""
    total, vision = checkpoint_parameters(checkpoint)
    per = 2 if dtype == "fp16" else 4
    return total * per + (total - vision) * per + RUNTIME_BYTES


def available_bytes() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def check_export_fits(checkpoint: Path, dtype: str) -> str | None:
    """None when the export should fit in this machine's available memory, else the message to refuse with."""
    need = export_peak_bytes(checkpoint, dtype)
    have = available_bytes()
    if have == 0 or need <= have * HEADROOM:
        return None
    gib = 1024**3
    return (
        f"exporting {checkpoint} at {dtype} needs about {need / gib:.1f} GiB (the model, and its weights again while a graph "
        f"is written) but {have / gib:.1f} GiB is available (MemAvailable). Export on a machine with more "
        f"memory{' or with --dtype fp16 (half the bytes)' if dtype == 'fp32' else ''}, or close other programs; "
        "LOUPE_EXPORT_IGNORE_MEMORY=1 tries anyway."
    )
