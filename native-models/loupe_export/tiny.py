"""Tiny random-weight Qwen-VL checkpoints built from configs (no hub access).

`build_tiny_checkpoint(family, out_dir)` writes a folder that looks like a Hugging Face checkpoint:
config.json, model.safetensors, generation_config.json, tokenizer.json, tokenizer_config.json,
preprocessor_config.json, chat_template.json. The exporter then treats it exactly like a real
checkpoint. The tokenizer is a small byte-level BPE trained on a few sentences, with Qwen's special
tokens (their NAMES; the ids are small because the vocabulary is small).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

# Qwen2's pre-tokenizer split pattern (tokenizer.json of Qwen2-VL / Qwen2.5-VL / Qwen3-VL).
QWEN_SPLIT_PATTERN = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"

QWEN_SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
]

# Qwen2-VL's chat template (the one shipped in Qwen2-VL-*-Instruct / Qwen2.5-VL-*-Instruct).
QWEN2_VL_CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# Qwen3-VL's template without tool calling and thinking (the tiny model needs no more): no default system turn.
QWEN3_VL_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}{% endif %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_CORPUS = [
    "You are a helpful assistant.",
    "What colour is the small sign in the top left corner of the image?",
    "Count the red circles. Answer with the option's letter from the given choices.",
    "Only focus on the objects inside the red bounding box in the image to answer this question.",
    "A. red B. green C. blue D. yellow",
    "The answer is 3. There are two cars, one bus and a bicycle on the road.",
    "Write a general description of the image.",
    "system user assistant Picture Video",
    "0123456789 the a an of in on at to is are what which how many where",
]

BASE_VOCAB = 384  # byte alphabet (256) + merges; special tokens are appended after it


def build_tokenizer(vocab_size: int = BASE_VOCAB):
    """A byte-level BPE `tokenizers.Tokenizer` with Qwen's pre-tokenizer and special tokens."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN_SPLIT_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=1,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
        special_tokens=[],
    )
    tok.train_from_iterator(_CORPUS * 4, trainer=trainer)
    tok.add_special_tokens(QWEN_SPECIAL_TOKENS)
    return tok


def special_ids(tok) -> dict[str, int]:
    return {t: tok.token_to_id(t) for t in QWEN_SPECIAL_TOKENS}


def tiny_config(family: str, ids: dict[str, int], vocab_size: int):
    """A transformers config for a tiny model of `family` (random weights, real architecture)."""
    common_ids = dict(
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
    )
    text = dict(
        vocab_size=vocab_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=4,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        rms_norm_eps=1e-6,
        bos_token_id=ids["<|endoftext|>"],
        eos_token_id=ids["<|im_end|>"],
        pad_token_id=ids["<|endoftext|>"],
    )
    if family == "qwen2_5_vl":
        from transformers import Qwen2_5_VLConfig

        text["rope_parameters"] = {"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [2, 3, 3]}
        vision = dict(
            depth=4,
            hidden_size=32,
            intermediate_size=64,
            num_heads=2,
            hidden_act="silu",
            patch_size=14,
            spatial_merge_size=2,
            temporal_patch_size=2,
            window_size=56,  # 56 / 14 / 2 = windows of 2x2 merged tokens
            out_hidden_size=64,
            fullatt_block_indexes=[1, 3],
            tokens_per_second=2,
        )
        return Qwen2_5_VLConfig(text_config=text, vision_config=vision, tie_word_embeddings=False, **common_ids)
    if family == "qwen2_vl":
        from transformers import Qwen2VLConfig

        text["rope_parameters"] = {"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [2, 3, 3]}
        vision = dict(
            depth=2,
            embed_dim=32,
            hidden_size=64,
            mlp_ratio=2,
            num_heads=2,
            hidden_act="quick_gelu",
            patch_size=14,
            spatial_merge_size=2,
            temporal_patch_size=2,
        )
        return Qwen2VLConfig(text_config=text, vision_config=vision, tie_word_embeddings=False, **common_ids)
    if family == "qwen3_vl":
        from transformers import Qwen3VLConfig

        text.update(head_dim=16, attention_bias=False)
        text["rope_parameters"] = {
            "rope_type": "default",
            "rope_theta": 5000000.0,
            "mrope_section": [4, 2, 2],
            "mrope_interleaved": True,
        }
        vision = dict(
            depth=4,
            hidden_size=32,
            intermediate_size=64,
            num_heads=2,
            hidden_act="gelu_pytorch_tanh",
            patch_size=16,
            spatial_merge_size=2,
            temporal_patch_size=2,
            out_hidden_size=64,
            num_position_embeddings=64,  # an 8x8 learned grid, bilinearly resampled per image
            deepstack_visual_indexes=[1, 2, 3],
        )
        return Qwen3VLConfig(text_config=text, vision_config=vision, tie_word_embeddings=False, **common_ids)
    raise ValueError(f"unknown family {family!r}")


# Full-size architectures (public config.json values of the base models; random weights) for measuring
# export time, file sizes and latency at real scale without downloading a checkpoint.
FULL_SIZE = {
    # Qwen2.5-VL-7B-Instruct (ZwZ-7B's base)
    "qwen2_5_vl_7b": (
        "qwen2_5_vl",
        dict(
            vocab_size=152064,
            hidden_size=3584,
            intermediate_size=18944,
            num_hidden_layers=28,
            num_attention_heads=28,
            num_key_value_heads=4,
            max_position_embeddings=128000,
            rms_norm_eps=1e-6,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [16, 24, 24]},
        ),
        dict(
            depth=32,
            hidden_size=1280,
            intermediate_size=3420,
            num_heads=16,
            hidden_act="silu",
            patch_size=14,
            spatial_merge_size=2,
            temporal_patch_size=2,
            window_size=112,
            out_hidden_size=3584,
            fullatt_block_indexes=[7, 15, 23, 31],
            tokens_per_second=2,
        ),
    ),
    # Qwen3-VL-8B-Instruct (ZwZ-8B's base)
    "qwen3_vl_8b": (
        "qwen3_vl",
        dict(
            vocab_size=151936,
            hidden_size=4096,
            intermediate_size=12288,
            num_hidden_layers=36,
            num_attention_heads=32,
            num_key_value_heads=8,
            head_dim=128,
            max_position_embeddings=262144,
            rms_norm_eps=1e-6,
            attention_bias=False,
            rope_parameters={"rope_type": "default", "rope_theta": 5000000.0, "mrope_section": [24, 20, 20], "mrope_interleaved": True},
        ),
        dict(
            depth=27,
            hidden_size=1152,
            intermediate_size=4304,
            num_heads=16,
            hidden_act="gelu_pytorch_tanh",
            patch_size=16,
            spatial_merge_size=2,
            temporal_patch_size=2,
            out_hidden_size=4096,
            num_position_embeddings=2304,
            deepstack_visual_indexes=[8, 16, 24],
        ),
    ),
    # Qwen3-VL-4B-Instruct (ZwZ-4B's base; ties input and output embeddings)
    "qwen3_vl_4b": (
        "qwen3_vl",
        dict(
            vocab_size=151936,
            hidden_size=2560,
            intermediate_size=9728,
            num_hidden_layers=36,
            num_attention_heads=32,
            num_key_value_heads=8,
            head_dim=128,
            max_position_embeddings=262144,
            rms_norm_eps=1e-6,
            attention_bias=False,
            rope_parameters={"rope_type": "default", "rope_theta": 5000000.0, "mrope_section": [24, 20, 20], "mrope_interleaved": True},
        ),
        dict(
            depth=24,
            hidden_size=1024,
            intermediate_size=4096,
            num_heads=16,
            hidden_act="gelu_pytorch_tanh",
            patch_size=16,
            spatial_merge_size=2,
            temporal_patch_size=2,
            out_hidden_size=2560,
            num_position_embeddings=2304,
            deepstack_visual_indexes=[5, 11, 17],
        ),
    ),
}


def full_size_config(name: str, ids: dict[str, int]):
    family, text, vision = FULL_SIZE[name]
    text = dict(text, bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"])
    common = dict(
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=name == "qwen3_vl_4b",
    )
    if family == "qwen2_5_vl":
        from transformers import Qwen2_5_VLConfig

        return family, Qwen2_5_VLConfig(text_config=text, vision_config=vision, **common)
    from transformers import Qwen3VLConfig

    return family, Qwen3VLConfig(text_config=text, vision_config=vision, **common)


def build_full_size(name: str, out_dir: str | Path, dtype: torch.dtype, device: str, seed: int = 0):
    """A full-size random-weight model IN MEMORY plus a checkpoint folder without weights (configs,
    tokenizer, processor) for the exporter to copy. Returns (folder, config, model)."""
    from transformers import AutoModelForImageTextToText

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = build_tokenizer()
    ids = special_ids(tok)
    family, config = full_size_config(name, ids)
    config._attn_implementation = "eager"
    torch.manual_seed(seed)
    with torch.device(device):
        try:
            model = AutoModelForImageTextToText.from_config(config, dtype=dtype, attn_implementation="eager")
        except TypeError:
            model = AutoModelForImageTextToText.from_config(config, torch_dtype=dtype, attn_implementation="eager")
    model.eval()
    config.save_pretrained(out)
    write_tokenizer_files(tok, out, family)
    pre = preprocessor_config(family)
    # real-scale processor limits (Qwen2.5-VL: 3136..12845056 px; Qwen3-VL: 65536..16777216 px)
    if family == "qwen3_vl":
        pre.update(min_pixels=65536, max_pixels=16777216, size={"shortest_edge": 65536, "longest_edge": 16777216})
    else:
        pre.update(min_pixels=3136, max_pixels=12845056, size={"shortest_edge": 3136, "longest_edge": 12845056})
    (out / "preprocessor_config.json").write_text(json.dumps(pre, indent=2) + "\n")
    gen_cfg = {"eos_token_id": [ids["<|im_end|>"], ids["<|endoftext|>"]], "pad_token_id": ids["<|endoftext|>"]}
    (out / "generation_config.json").write_text(json.dumps(gen_cfg, indent=2) + "\n")
    return out, config, model


def preprocessor_config(family: str) -> dict:
    """Qwen2VLImageProcessor settings with every step explicit (transformers.js skips unset steps)."""
    if family == "qwen3_vl":
        patch, mean, std = 16, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]
        processor_class = "Qwen3VLProcessor"
    else:
        patch = 14
        mean = [0.48145466, 0.4578275, 0.40821073]
        std = [0.26862954, 0.26130258, 0.27577711]
        processor_class = "Qwen2_5_VLProcessor" if family == "qwen2_5_vl" else "Qwen2VLProcessor"
    factor = patch * 2
    min_pixels = (factor * 2) ** 2  # at least a 2x2 merged grid
    max_pixels = (factor * 6) ** 2  # at most 36 visual tokens: tiny models, tiny tests
    return {
        "image_processor_type": "Qwen2VLImageProcessor",
        "processor_class": processor_class,
        "do_resize": True,
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "do_convert_rgb": True,
        "image_mean": mean,
        "image_std": std,
        "resample": 3,
        "patch_size": patch,
        "merge_size": 2,
        "temporal_patch_size": 2,
        "min_pixels": min_pixels,
        "max_pixels": max_pixels,
        "size": {"shortest_edge": min_pixels, "longest_edge": max_pixels},
    }


def write_tokenizer_files(tok, out: Path, family: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tok.save(str(out / "tokenizer.json"))
    template = QWEN3_VL_CHAT_TEMPLATE if family == "qwen3_vl" else QWEN2_VL_CHAT_TEMPLATE
    added = {
        str(tok.token_to_id(t)): {
            "content": t,
            "lstrip": False,
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }
        for t in QWEN_SPECIAL_TOKENS
    }
    tokenizer_config = {
        "tokenizer_class": "Qwen2Tokenizer",
        "add_prefix_space": False,
        "added_tokens_decoder": added,
        "additional_special_tokens": QWEN_SPECIAL_TOKENS[1:],
        "bos_token": None,
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "unk_token": None,
        "errors": "replace",
        "model_max_length": 4096,
        "split_special_tokens": False,
        "clean_up_tokenization_spaces": False,
        "chat_template": template,
    }
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2, ensure_ascii=False) + "\n")
    (out / "chat_template.json").write_text(json.dumps({"chat_template": template}, indent=2) + "\n")


def build_tiny_checkpoint(family: str, out_dir: str | Path, seed: int = 0) -> Path:
    """Write a tiny random-weight checkpoint folder for `family` and return its path."""
    from transformers import AutoModelForImageTextToText

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = build_tokenizer()
    ids = special_ids(tok)
    vocab = tok.get_vocab_size(with_added_tokens=True)
    vocab = ((vocab + 63) // 64) * 64  # pad like real checkpoints do
    config = tiny_config(family, ids, vocab)
    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config, attn_implementation="eager")
    model.eval()
    # Random init gives near-uniform attention; widen the weights a little so that the taps and
    # logits have structure worth comparing (parity must hold for peaked softmaxes too).
    with torch.no_grad():
        gen = torch.Generator().manual_seed(seed + 1)
        for name, p in model.named_parameters():
            if p.dim() >= 2 and "embed" not in name:
                p.add_(torch.randn(p.shape, generator=gen) * 0.08)
    model.save_pretrained(out, safe_serialization=True)
    gen_cfg = {
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": [ids["<|im_end|>"], ids["<|endoftext|>"]],
        "pad_token_id": ids["<|endoftext|>"],
        "do_sample": False,
    }
    (out / "generation_config.json").write_text(json.dumps(gen_cfg, indent=2) + "\n")
    write_tokenizer_files(tok, out, family)
    (out / "preprocessor_config.json").write_text(json.dumps(preprocessor_config(family), indent=2) + "\n")
    return out
