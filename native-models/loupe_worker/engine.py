"""One loaded Hugging Face checkpoint and the analysis the TypeScript engine asks for: image + question ->
greedy answer with per-token probabilities and, at the last prompt token and at each generated token,
the attention of every decoder layer and head over the visual tokens (taps.py), plus the generic prompt's
query-0 attention. The same result the ONNX engine computes (electron/engine/analysis/analyze.ts)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from loupe_preprocess import PAPER_FETCH_MAX_PIXELS, processor_size_for, smart_resize_qwen_vl_utils

from . import families, taps
from .memory import peak_rss_bytes
from .processor import CheckpointProcessor

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
GENERIC_PROMPT = "Write a general description of the image."


class WorkerError(Exception):
    """An error the TypeScript side shows as it is: code, message, and the file/field at fault."""

    def __init__(self, code: str, message: str, file: str | None = None, field: str | None = None):
        super().__init__(message)
        self.code, self.file, self.field = code, file, field


def choose_device(requested: str) -> str:
    if requested in ("auto", "cuda"):
        if torch.cuda.is_available():
            return "cuda"
        if requested == "cuda":
            raise WorkerError(
                "unavailable",
                f"device cuda requested but torch.cuda.is_available() is False (torch {torch.__version__}, built for CUDA {torch.version.cuda}); run `loupe doctor`.",
            )
    if requested not in ("auto", "cpu", "cuda"):
        raise WorkerError("bad-request", f"device must be auto, cpu or cuda; got {requested!r}.", field="device")
    return "cpu"


class Engine:
    def __init__(self, folder: str, dtype: str = "fp32", device: str = "auto", model=None):
        from transformers import AutoConfig, AutoModelForImageTextToText

        if dtype not in DTYPES:
            raise WorkerError("bad-request", f"dtype must be one of {', '.join(DTYPES)}; got {dtype!r}.", field="dtype")
        self.folder = Path(folder)
        self.device = choose_device(device)
        self.dtype = dtype
        t0 = time.perf_counter()
        impl = taps.register()
        self.config = AutoConfig.from_pretrained(folder)
        self.family = self.config.model_type
        if self.family not in families.FAMILIES:
            raise WorkerError(
                "invalid-model",
                f"model_type {self.family!r} is not one of {', '.join(families.FAMILIES)}.",
                file="config.json",
                field="model_type",
            )
        if model is None:
            model = AutoModelForImageTextToText.from_pretrained(folder, dtype=DTYPES[dtype], attn_implementation=impl)
        else:  # an in-memory model (full-size random weights, tests)
            model.set_attn_implementation(impl)
        model = model.to(device=self.device, dtype=DTYPES[dtype])
        self.model = model.eval()
        self.processor = CheckpointProcessor(folder, self.config)
        self.layers_modules = families.decoder_attention_modules(self.model)
        taps.COLLECTOR.watch(self.layers_modules)
        tc = families.text_config(self.config)
        self.num_layers = len(self.layers_modules)
        self.num_heads = int(tc.num_attention_heads)
        eos = getattr(self.model.generation_config, "eos_token_id", None) or tc.eos_token_id
        self.eos = set(eos if isinstance(eos, list) else [eos])
        self.load_seconds = time.perf_counter() - t0
        self._vision_seconds = 0.0
        vision = families.vision_module(self.model)
        if vision is not None:
            vision.register_forward_pre_hook(self._vision_start)
            vision.register_forward_hook(self._vision_end)
        self._hidden_hook = None

    def info(self) -> dict:
        tc = families.text_config(self.config)
        return {
            "family": self.family,
            "numLayers": self.num_layers,
            "numHeads": self.num_heads,
            "numKvHeads": int(getattr(tc, "num_key_value_heads", self.num_heads)),
            "hiddenSize": int(tc.hidden_size),
            "device": self.device,
            "dtype": self.dtype,
            "loadSeconds": self.load_seconds,
            "torch": torch.__version__,
            "cuda": torch.version.cuda,
            "parameters": sum(p.numel() for p in self.model.parameters()),
        }

    # -- timing of the vision tower inside the prefill call
    def _sync(self) -> None:
        if self.device == "cuda":
            torch.cuda.synchronize()

    def _vision_start(self, *_):
        self._sync()
        self._t_vision = time.perf_counter()

    def _vision_end(self, *_):
        self._sync()
        self._vision_seconds += time.perf_counter() - self._t_vision

    # -- preprocessing
    def prepare_image(self, rgb: np.ndarray, protocol: str, max_pixels: int | None) -> Image.Image:
        image = Image.fromarray(rgb, "RGB")
        if protocol == "paper" and self.family in families.QWEN_FAMILIES:
            # qwen_vl_utils.fetch_image as the paper's scripts call it (loupe_preprocess.paper_fetch_image on pixels)
            factor = 28
            budget = PAPER_FETCH_MAX_PIXELS if max_pixels is None else min(PAPER_FETCH_MAX_PIXELS, max_pixels)
            h, w = smart_resize_qwen_vl_utils(image.height, image.width, factor=factor, min_pixels=4 * factor * factor, max_pixels=budget)
            if (w, h) != image.size:
                image = image.resize((w, h))
        return image

    def processor_kwargs(self, protocol: str, max_pixels: int | None) -> dict:
        if self.family not in families.QWEN_FAMILIES:
            return {}
        ip = self.processor.image_processor
        size = getattr(ip, "size", None) or {}
        lo = int(size.get("shortest_edge", getattr(ip, "min_pixels", 3136)))
        hi = int(size.get("longest_edge", getattr(ip, "max_pixels", 12845056)))
        return {"size": processor_size_for(protocol, lo, hi, max_pixels)}

    def preprocess_record(
        self, rgb: np.ndarray, fetch_size: tuple[int, int], grid, enc, protocol: str, max_pixels: int | None, kwargs: dict
    ) -> dict:
        """What the engine reports beside every number (the contract's PreprocessInfo, less the decode's warnings)."""
        if "image_grid_thw" in enc:
            grid_thw = [int(x) for x in enc["image_grid_thw"][0]]
        else:  # a fixed-size tower (Gemma 3): one frame of the merged grid
            grid_thw = [1, grid.grid_h, grid.grid_w]
        record = {
            "protocol": protocol,
            "maxPixels": int(kwargs["size"]["longest_edge"]) if "size" in kwargs else grid.resized_h * grid.resized_w,
            "sourceWidth": int(rgb.shape[1]),
            "sourceHeight": int(rgb.shape[0]),
            "resizedWidth": grid.resized_w,
            "resizedHeight": grid.resized_h,
            "gridThw": grid_thw,
        }
        if max_pixels is not None:
            record["userMaxPixels"] = int(max_pixels)
        if protocol == "paper" and self.family in families.QWEN_FAMILIES:
            record["fetchWidth"], record["fetchHeight"] = int(fetch_size[0]), int(fetch_size[1])
        return record

    def prompt_text(self, question: str) -> str:
        messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": question}]}]
        return self.processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)

    def encode(self, image: Image.Image, question: str, kwargs: dict) -> tuple[str, dict]:
        text = self.prompt_text(question)
        try:
            out = self.processor(text=[text], images=[image], return_tensors="pt", **kwargs)
        except ValueError as err:
            raise WorkerError(
                "invalid-image", f"the image ({image.width}x{image.height}) cannot be prepared for this model: {err}"
            ) from err
        return text, out

    # -- the decoder
    def _forward(self, inputs: dict, cache):
        inputs = {k: (v.to(self.device) if hasattr(v, "to") else v) for k, v in inputs.items()}
        if "pixel_values" in inputs and inputs["pixel_values"].is_floating_point():
            inputs["pixel_values"] = inputs["pixel_values"].to(DTYPES[self.dtype])
        with torch.inference_mode():
            out = self.model(**inputs, past_key_values=cache, use_cache=True, logits_to_keep=1)
        logits = out.logits[0, -1].float()
        return logits, taps.COLLECTOR.take(self.num_layers), out.past_key_values

    def rope_delta(self) -> int:
        """The model's stored multimodal rope delta of the last prefill (0 where the family has none)."""
        base = getattr(self.model, "model", self.model)
        delta = getattr(base, "rope_deltas", None)
        return int(delta.reshape(-1)[0]) if delta is not None else 0

    def greedy(self, logits, cache, length: int, rope_delta: int, max_new_tokens: int, tokens: list, on_rows=None) -> None:
        """Greedy decoding from the prompt's last logits, appending {id, text, prob} to tokens. Each token is
        fed back; its forward's tap rows go to on_rows. Without on_rows the last token's forward, which
        nobody reads, is skipped."""
        for i in range(max_new_tokens):
            token = int(torch.argmax(logits))
            if token in self.eos:
                break
            prob = float(torch.softmax(logits, dim=-1)[token])
            tokens.append({"id": token, "text": self.processor.tokenizer.decode([token], skip_special_tokens=False), "prob": prob})
            if on_rows is None and i == max_new_tokens - 1:
                break
            step = {"input_ids": torch.tensor([[token]]), "position_ids": self._step_positions(length, rope_delta)}
            logits, rows, cache = self._forward(step, cache)
            length += 1
            if on_rows is not None:
                on_rows(rows)

    def _step_positions(self, length: int, rope_delta: int) -> torch.Tensor:
        if self.family in families.QWEN_FAMILIES:
            return torch.full((3, 1, 1), length + rope_delta, dtype=torch.long)
        return torch.tensor([[length]], dtype=torch.long)

    def _visual_rows(self, rows: list[torch.Tensor], start: int, cells: int) -> np.ndarray:
        total = max(r.shape[-1] for r in rows)
        out = []
        for r in rows:
            # A sliding-window layer (Gemma 3) holds only the last keys: its row ends at the same position as
            # the full layers' rows, and the evicted positions get no attention.
            if r.shape[-1] < total:
                r = torch.nn.functional.pad(r, (total - r.shape[-1], 0))
            out.append(r[:, start : start + cells])
        return torch.stack(out).cpu().numpy().astype(np.float32)

    def analyze(
        self,
        rgb: np.ndarray,
        question: str,
        max_new_tokens: int,
        with_generic: bool,
        protocol: str,
        max_pixels: int | None,
        hidden_states: bool,
        first_logits: bool = False,
    ) -> tuple[dict, dict]:
        timings = {"preprocessMs": 0.0, "visionMs": 0.0, "prefillMs": 0.0, "decodeMs": 0.0, "metricsMs": 0.0}
        t = time.perf_counter()
        image = self.prepare_image(rgb, protocol, max_pixels)
        fetch_size = image.size  # after the paper's fetch_image resize (the source size when there is none)
        kwargs = self.processor_kwargs(protocol, max_pixels)
        text, enc = self.encode(image, question, kwargs)
        ids = enc["input_ids"][0].tolist()
        try:
            start, count = families.visual_span(self.family, self.config, ids)
        except LookupError as err:
            raise WorkerError("invalid-model", str(err), file="config.json") from err
        grid = families.grid_of(self.family, self.config, enc)
        cells = grid.grid_h * grid.grid_w
        if count != cells:
            raise WorkerError(
                "invalid-model",
                f"the prompt holds {count} visual tokens but the image's grid gives {cells}: image_token_id or merge_size disagree with the tokenizer.",
                file="config.json",
                field="image_token_id",
            )
        generic = None
        if with_generic:
            generic = self.encode(image, GENERIC_PROMPT, kwargs)[1]
        timings["preprocessMs"] = (time.perf_counter() - t) * 1000

        # Activation maps (docs/metrics.md "Activation maps") read the final normalised hidden states: the
        # visual positions' from the prompt's prefill, and each answer token's own position's from the
        # decode step that feeds it (the context correction's weights).
        hidden: dict = {"steps": []}
        handle = None
        if hidden_states:
            norm = families.final_norm(self.model)

            def keep(_module, _inputs, output) -> None:  # returns None: the output itself is left as it is
                if "h" not in hidden:
                    hidden["h"] = output[0, start : start + cells].float().cpu().numpy()
                else:
                    hidden["steps"].append(output[0, -1].float().cpu().numpy())

            handle = norm.register_forward_hook(keep)
        self._sync()
        self._vision_seconds = 0.0
        t = time.perf_counter()
        tap_bytes = 0
        try:
            logits, rows, cache = self._forward(dict(enc), None)
        except BaseException:
            if handle is not None:
                handle.remove()
            raise
        # The generic prompt's prefill is no answer step: the hook sleeps through it.
        if handle is not None:
            handle.remove()
        tap_bytes += sum(r.numel() * 4 for r in rows)
        # The faithfulness analysis scores a given token (the original answer's first) at this position.
        prompt_logits = logits.cpu().numpy().astype("<f4") if first_logits else None
        kv_len = max(r.shape[-1] for r in rows)
        # Qwen's multimodal rope: a generated token sits at (cache length + delta) on all three axes. Kept
        # now, before the generic prompt's prefill replaces the model's stored delta.
        rope_delta = self.rope_delta()
        maps = [self._visual_rows(rows, start, cells)]
        generic_map = None
        if generic is not None:
            g_ids = generic["input_ids"][0].tolist()
            g_start, _ = families.visual_span(self.family, self.config, g_ids)
            _, g_rows, _ = self._forward(dict(generic), None)
            tap_bytes += sum(r.numel() * 4 for r in g_rows)
            generic_map = self._visual_rows(g_rows, g_start, cells)
        self._sync()
        timings["visionMs"] = self._vision_seconds * 1000
        timings["prefillMs"] = (time.perf_counter() - t) * 1000 - timings["visionMs"]

        t = time.perf_counter()
        if hidden_states:
            handle = norm.register_forward_hook(keep)
        tokens = []
        try:
            tap_bytes += self._decode(logits, cache, kv_len, rope_delta, max_new_tokens, (start, cells), tokens, maps)
        finally:
            if handle is not None:
                handle.remove()
        self._sync()
        timings["decodeMs"] = (time.perf_counter() - t) * 1000
        answer = self.processor.tokenizer.decode([x["id"] for x in tokens], skip_special_tokens=True) if tokens else ""

        attention = np.ascontiguousarray(np.stack(maps), dtype="<f4")  # [queries, layers, heads, cells]
        stats = {
            "tapBytes": tap_bytes,
            "promptLength": kv_len,
            "fullAttentionBytes": full_attention_bytes(self.num_layers, self.num_heads, kv_len, len(tokens), 4),
            "peakRssBytes": peak_rss_bytes(),
        }
        if self.device == "cuda":
            stats["peakGpuBytes"] = int(torch.cuda.max_memory_allocated())
        result = {
            "prompt": text,
            "answer": answer,
            "tokens": tokens,
            "geometry": geometry_record(rgb, grid),
            "preprocess": self.preprocess_record(rgb, fetch_size, grid, enc, protocol, max_pixels, kwargs),
            "visualStart": start,
            "inputIds": ids,
            "timings": timings,
            "stats": stats,
        }
        blobs = {"attention": attention}
        if generic_map is not None:
            blobs["genericAttention"] = np.ascontiguousarray(generic_map[None], dtype="<f4")
        if prompt_logits is not None:
            blobs["firstLogits"] = np.ascontiguousarray(prompt_logits)
        if "h" in hidden:
            blobs["hiddenStates"] = np.ascontiguousarray(hidden["h"], dtype="<f4")
            blobs.update(self.activation_inputs([x["id"] for x in tokens], hidden["steps"]))
        return result, blobs

    def _decode(self, logits, cache, length: int, rope_delta: int, max_new_tokens: int, span, tokens: list, maps: list) -> int:
        """Greedy decoding with the taps: appends to tokens and maps, returns the bytes tapped."""
        start, cells = span
        tapped = [0]

        def keep(rows: list[torch.Tensor]) -> None:
            tapped[0] += sum(r.numel() * 4 for r in rows)
            maps.append(self._visual_rows(rows, start, cells))

        self.greedy(logits, cache, length, rope_delta, max_new_tokens, tokens, on_rows=keep)
        return tapped[0]

    def activation_inputs(self, ids: list[int], steps: list) -> dict:
        """The answer tokens' unembedding rows (lm_head.weight rows: right for tied and untied heads alike,
        gathered, never a logits matrix) and the final hidden state at each answer token's own position."""
        hidden = int(families.text_config(self.config).hidden_size)
        weight = self.model.get_output_embeddings().weight
        with torch.inference_mode():
            rows = weight[torch.tensor(ids, dtype=torch.long, device=weight.device)].float().cpu().numpy() if ids else None
        token_hidden = np.stack(steps[: len(ids)]) if ids else None
        return {
            "unembedding": np.ascontiguousarray(rows if rows is not None else np.zeros((0, hidden)), dtype="<f4"),
            "tokenHidden": np.ascontiguousarray(token_hidden if token_hidden is not None else np.zeros((0, hidden)), dtype="<f4"),
        }


def geometry_record(rgb: np.ndarray, grid) -> dict:
    """The contract's GridGeometry (less cropInFull) of an image [height, width, 3] and its merged grid."""
    return {
        "imageWidth": int(rgb.shape[1]),
        "imageHeight": int(rgb.shape[0]),
        "resizedWidth": grid.resized_w,
        "resizedHeight": grid.resized_h,
        "gridH": grid.grid_h,
        "gridW": grid.grid_w,
        "tokenPx": grid.token_px,
    }


def full_attention_bytes(layers: int, heads: int, prompt: int, generated: int, itemsize: int) -> int:
    """What output_attentions=True would hold for the same calls: prompt^2 per head and layer for the
    prefill, plus one row of the growing length per generated token."""
    per_layer_head = prompt * prompt + sum(prompt + i + 1 for i in range(generated))
    return layers * heads * per_layer_head * itemsize
