"""The two image-preparation protocols Loupe offers, as the Python reference states them.

`paper`: the chain of the paper's scripts (utils/eval_coverage.py, mm-eval/infer_without_tool.py in
inclusionAI/Zooming-without-Zooming): qwen_vl_utils 0.0.14's `fetch_image` (its logic restated here
from its public source; the package is not a dependency), then the checkpoint's HF processor loaded
with `max_pixels=2048*2048`.

`hf`: what transformers does on its own: `load_image` (EXIF applied, `convert("RGB")`), then the
checkpoint's processor with its own min/max pixels.

Both the TypeScript implementation's conformance suite and the PyTorch engine's worker use this module,
so the two engines prepare images from one statement of each protocol.
"""

from .chains import (
    PAPER_FETCH_MAX_PIXELS,
    PAPER_PROCESSOR_MAX_PIXELS,
    PROTOCOLS,
    fetch_resize,
    open_hf,
    open_paper,
    paper_fetch_image,
    processor_size_for,
    smart_resize_hf,
    smart_resize_qwen_vl_utils,
    to_rgb_qwen_vl_utils,
)

__all__ = [
    "PAPER_FETCH_MAX_PIXELS",
    "PAPER_PROCESSOR_MAX_PIXELS",
    "PROTOCOLS",
    "fetch_resize",
    "open_hf",
    "open_paper",
    "paper_fetch_image",
    "processor_size_for",
    "smart_resize_hf",
    "smart_resize_qwen_vl_utils",
    "to_rgb_qwen_vl_utils",
]
