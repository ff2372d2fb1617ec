"""The worker's methods: load a checkpoint, analyse an image, report the environment."""

from __future__ import annotations

import numpy as np

from .engine import Engine, WorkerError
from .envcheck import environment
from .multi_image import answer_images


class Server:
    def __init__(self) -> None:
        from transformers.utils import logging

        # Progress bars would fill the engine log and the stderr tail a death report quotes.
        logging.disable_progress_bar()
        self.engine: Engine | None = None

    def handle(self, header: dict, blobs: dict[str, np.ndarray]) -> tuple[dict, dict]:
        method, params = header.get("method"), header.get("params") or {}
        if method == "load":
            self.engine = None  # frees the previous model before the next one loads
            self.engine = Engine(params["folder"], params.get("dtype", "fp32"), params.get("device", "auto"))
            return self.engine.info(), {}
        if method == "analyze":
            if self.engine is None:
                raise WorkerError("bad-request", "analyze before load: no model is loaded in the worker.")
            rgb = blobs.get("rgb")
            if rgb is None or rgb.ndim != 3 or rgb.shape[2] != 3:
                raise WorkerError("bad-request", "analyze needs the image as an rgb blob [height, width, 3] uint8.", field="rgb")
            return self.engine.analyze(
                rgb,
                str(params["question"]),
                int(params.get("maxNewTokens", 16)),
                bool(params.get("withGeneric", True)),
                str(params.get("protocol", "paper")),
                params.get("maxPixels"),
                bool(params.get("hiddenStates", False)),
                bool(params.get("firstLogits", False)),
            )
        if method == "answerImages":
            if self.engine is None:
                raise WorkerError("bad-request", "answerImages before load: no model is loaded in the worker.")
            count = int(params.get("images", 0))
            rgbs = [blobs.get(f"rgb{i}") for i in range(count)]
            if count < 1 or any(r is None or r.ndim != 3 or r.shape[2] != 3 for r in rgbs):
                raise WorkerError(
                    "bad-request", "answerImages needs `images` rgb blobs rgb0..rgbN-1, each [height, width, 3] uint8.", field="images"
                )
            return answer_images(
                self.engine,
                rgbs,
                str(params["question"]),
                int(params.get("maxNewTokens", 16)),
                str(params.get("protocol", "paper")),
                params.get("maxPixels"),
            )
        if method == "env":
            return environment(), {}
        if method == "shutdown":
            return {}, {}
        raise WorkerError("bad-request", f"unknown worker method {method!r}.", field="method")

    @staticmethod
    def error_payload(err: Exception) -> dict:
        if isinstance(err, WorkerError):
            out = {"code": err.code, "message": str(err)}
            if err.file:
                out["file"] = err.file
            if err.field:
                out["field"] = err.field
            return out
        if isinstance(err, MemoryError) or "out of memory" in str(err).lower():
            return {
                "code": "unavailable",
                "message": f"the worker ran out of memory: {err}. Lower the pixel budget (--max-pixels), use --dtype bf16, or another device.",
            }
        if isinstance(err, (OSError, ValueError, KeyError)):
            return {"code": "invalid-model", "message": f"{type(err).__name__}: {err}"}
        return {"code": "internal", "message": f"{type(err).__name__}: {err}"}
