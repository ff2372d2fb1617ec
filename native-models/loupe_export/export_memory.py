"""What an export will hold in memory, from the checkpoint's safetensors headers, checked before loading.

The TorchScript exporter keeps the whole PyTorch model (in the export dtype) for the whole export, and
while it writes each graph it needs more on top. The per-graph peaks of two full-size fp32 exports
(`export_package`'s `peak_rss`: VmHWM reset before each graph; `npm run bench -- fullsize-onnx`,
2026-12-03), beyond the model and about 0.5 GB of runtime:
- a graph under 2 GB is serialised in memory before it is written: about 2.9x its weights (embed_tokens
  and lm_head, 1.24 GB each, +3.7 GB in both models; Qwen3-VL-2B's vision encoder, 1.63 GB, +4.9 GB);
- a graph over 2 GB is streamed to external data tensor by tensor: Qwen2.5-VL-3B's vision encoder
  (2.67 GB) added almost nothing; the decoders added 4.2 GB (2B, 6.88 GB) and 4.9 GB (3B, 12.3 GB), which
  is the vocabulary matrix they hold (1.24 GB, the tied lm_head) costing what an inline graph costs plus
  about 0.13x the rest.
The estimate is the model, plus the largest graph's extra (3x inline; 0.15x streamed, with the decoder's
vocabulary matrix at 3x), plus 1 GiB: 13.5 GiB for Qwen3-VL-2B against 13.0 GiB measured (its vision
encoder drives it) and 20.0 GiB for Qwen2.5-VL-3B against 19.1 GiB (its decoder). A full-size export that
cannot fit is refused here, before anything is loaded, with what to do, instead of being killed by the
kernel halfway through.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

# Python + torch + transformers + the traced graph, beyond the weights.
RUNTIME_BYTES = 1 * 1024**3
# Fraction of MemAvailable an export may plan to use (the rest: page cache the writes need, other programs).
HEADROOM = 0.9
# Over this a graph's weights go to external data (the exporter's and onnx's protobuf limit).
INLINE_LIMIT = 2 * 1024**3
# Extra bytes while a graph is written, per byte of its weights (measured about 2.9x and 0.13x; see above).
INLINE_FACTOR = 3.0
EXTERNAL_FACTOR = 0.15


def _headers(checkpoint: Path):
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
            yield name, n


def checkpoint_parameters(checkpoint: Path) -> tuple[int, int]:
    """(all parameters, vision-tower parameters) from the safetensors headers; reads no weights."""
    total = vision = 0
    for name, n in _headers(checkpoint):
        total += n
        if ".visual." in f".{name}":
            vision += n
    return total, vision


def graph_parameters(checkpoint: Path) -> dict[str, int]:
    """Parameters in each graph the exporter writes (a tied lm_head counts in the decoder and lm_head.onnx)."""
    total = vision = embed = head = 0
    for name, n in _headers(checkpoint):
        total += n
        if ".visual." in f".{name}":
            vision += n
        elif name.endswith("embed_tokens.weight"):
            embed = n
        elif name.endswith("lm_head.weight"):
            head = n
    unembedding = head or embed  # tied: lm_head is embed_tokens' matrix
    return {
        "vision_encoder": vision,
        "embed_tokens": embed,
        "decoder_model_merged": total - vision - embed + unembedding,
        "lm_head": unembedding,
    }


def export_peak_bytes(checkpoint: Path, dtype: str) -> int:
    """The exporter's expected peak resident memory for `checkpoint` exported at `dtype` (fp32 or fp16)."""
    total, _ = checkpoint_parameters(checkpoint)
    graphs = graph_parameters(checkpoint)
    per = 2 if dtype == "fp16" else 4

    def extra(name: str) -> float:
        size = graphs[name] * per
        if size < INLINE_LIMIT:
            return INLINE_FACTOR * size
        # streamed; the decoder's vocabulary matrix (lm_head) still costs what an inline graph costs
        vocab = graphs["lm_head"] * per if name == "decoder_model_merged" else 0
        return INLINE_FACTOR * vocab + EXTERNAL_FACTOR * (size - vocab)

    return int(total * per + max(extra(name) for name in graphs) + RUNTIME_BYTES)


def available_bytes() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def reset_peak() -> bool:
    """Start a new peak: the kernel's high-water mark (VmHWM) of this process back to its current RSS.

    False where /proc/self/clear_refs cannot be written (not Linux, or a kernel without it)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_bytes() -> int:
    """This process's peak resident memory since the last reset_peak() (VmHWM), or 0 where unknown."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def check_export_fits(checkpoint: Path, dtype: str) -> str | None:
    """None when the export should fit in this machine's available memory, else the message to refuse with."""
    need = export_peak_bytes(checkpoint, dtype)
    have = available_bytes()
    if have == 0 or need <= have * HEADROOM:
        return None
    gib = 1024**3
    return (
        f"exporting {checkpoint} at {dtype} needs about {need / gib:.1f} GiB (the model, and more while each graph "
        f"is written) but {have / gib:.1f} GiB is available (MemAvailable). Export on a machine with more "
        f"memory{' or with --dtype fp16 (half the bytes)' if dtype == 'fp32' else ''}, or close other programs; "
        "LOUPE_EXPORT_IGNORE_MEMORY=1 tries anyway."
    )
