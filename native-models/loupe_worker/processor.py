"""The checkpoint's own Hugging Face processor pieces: its image processor (AutoImageProcessor: resize,
rescale, normalise, patchify as transformers does), its tokenizer and chat template.

For the Qwen families the text side is joined here rather than through Qwen2VLProcessor, because that
class insists on a video processor, which needs torchvision (not in the project's environment); the
join is the processor's own rule: each <|image_pad|> becomes grid_t*grid_h*grid_w / merge^2 copies.
Gemma 3's processor has no video part and is used as it is.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import families


def read_chat_template(folder: Path, tokenizer) -> str | None:
    for name in ("chat_template.jinja", "chat_template.json"):
        p = folder / name
        if p.is_file():
            text = p.read_text()
            return json.loads(text)["chat_template"] if name.endswith(".json") else text
    return getattr(tokenizer, "chat_template", None)


class CheckpointProcessor:
    def __init__(self, folder: str | Path, config):
        from transformers import AutoImageProcessor, AutoTokenizer

        folder = Path(folder)
        self.family = config.model_type
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.chat_template = read_chat_template(folder, self.tokenizer)
        if self.family == "gemma3":
            from transformers import AutoProcessor

            self.full = AutoProcessor.from_pretrained(folder)
            self.image_processor = self.full.image_processor
        else:
            self.full = None
            self.image_processor = AutoImageProcessor.from_pretrained(folder)
        if self.chat_template is None:
            raise FileNotFoundError(
                "no chat template: add chat_template.jinja or chat_template.json, or chat_template in tokenizer_config.json"
            )

    def apply_chat_template(self, messages, add_generation_prompt: bool = True, tokenize: bool = False) -> str:
        return self.tokenizer.apply_chat_template(
            messages, chat_template=self.chat_template, add_generation_prompt=add_generation_prompt, tokenize=tokenize
        )

    def __call__(self, text: list[str], images: list, return_tensors: str = "pt", **kwargs):
        if self.full is not None:
            return self.full(text=text, images=images, return_tensors=return_tensors, **kwargs)
        from transformers import BatchFeature

        enc = self.image_processor(images=images, return_tensors=return_tensors, **kwargs)
        merge = int(getattr(self.image_processor, "merge_size", 2))
        pad = "<|image_pad|>"
        out_text = []
        for t in text:
            pieces = t.split(pad)
            if len(pieces) - 1 != len(images):
                raise ValueError(f"the prompt holds {len(pieces) - 1} {pad} but {len(images)} images were given")
            joined = pieces[0]
            for i, rest in enumerate(pieces[1:]):
                joined += pad * (int(enc["image_grid_thw"][i].prod()) // (merge * merge)) + rest
            out_text.append(joined)
        tok = self.tokenizer(out_text, return_tensors=return_tensors)
        # 1 at image tokens, 0 elsewhere: what the Qwen processors return for multimodal rope
        image_id = self.tokenizer.convert_tokens_to_ids(pad)
        tok["mm_token_type_ids"] = (tok["input_ids"] == image_id).long()
        return BatchFeature({**tok, **enc})


__all__ = ["CheckpointProcessor", "families"]
