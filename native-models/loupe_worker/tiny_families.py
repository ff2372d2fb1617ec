"""Tiny random-weight Hugging Face checkpoints of the families the PyTorch engine runs beyond the ONNX
fixtures (no hub access): Qwen2-VL and Qwen2.5-VL/Qwen3-VL through loupe_export.tiny, Qwen3-VL-MoE and
Gemma 3 here. Each is a real transformers architecture at toy size; the tests check that the taps equal
eager attention on every one, i.e. that the family routes its decoder attention through the interface."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from loupe_export.tiny import (
    QWEN_SPLIT_PATTERN,
    build_tiny_checkpoint,
    build_tokenizer,
    preprocessor_config,
    special_ids,
    write_tokenizer_files,
)

GEMMA_SPECIAL = [
    "<pad>",
    "<eos>",
    "<bos>",
    "<unk>",
    "<start_of_turn>",
    "<end_of_turn>",
    "<start_of_image>",
    "<end_of_image>",
    "<image_soft_token>",
]

# Gemma 3's chat template reduced to what a one-image question needs (the published one adds system turns and tools).
GEMMA3_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}<start_of_turn>{{ 'model' if message['role'] == 'assistant' else message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}<start_of_image>{% elif item['type'] == 'text' %}{{ item['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<end_of_turn>\n{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)

TINY_TEXT = dict(
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=4,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=16,
    max_position_embeddings=4096,
    rms_norm_eps=1e-6,
)


def _widen(model, seed: int) -> None:
    """As loupe_export.tiny does: random init gives near-uniform attention; widen it so taps have structure."""
    with torch.no_grad():
        gen = torch.Generator().manual_seed(seed + 1)
        for name, p in model.named_parameters():
            if p.dim() >= 2 and "embed" not in name:
                p.add_(torch.randn(p.shape, generator=gen) * 0.08)


def _save(model, out: Path, gen_cfg: dict) -> None:
    model.save_pretrained(out, safe_serialization=True)
    (out / "generation_config.json").write_text(json.dumps(gen_cfg, indent=2) + "\n")


def build_qwen3_vl_moe(out: Path, seed: int = 0) -> Path:
    from transformers import AutoModelForImageTextToText, Qwen3VLMoeConfig

    tok = build_tokenizer()
    ids = special_ids(tok)
    vocab = ((tok.get_vocab_size(with_added_tokens=True) + 63) // 64) * 64
    text = dict(
        TINY_TEXT,
        vocab_size=vocab,
        attention_bias=False,
        num_experts=4,
        num_experts_per_tok=2,
        moe_intermediate_size=32,
        decoder_sparse_step=1,
        mlp_only_layers=[],
    )
    text.update(bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"])
    text["rope_parameters"] = {"rope_type": "default", "rope_theta": 5000000.0, "mrope_section": [4, 2, 2], "mrope_interleaved": True}
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
        num_position_embeddings=64,
        deepstack_visual_indexes=[1, 2, 3],
    )
    config = Qwen3VLMoeConfig(
        text_config=text,
        vision_config=vision,
        tie_word_embeddings=False,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
    )
    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config).eval()
    _widen(model, seed)
    out.mkdir(parents=True, exist_ok=True)
    _save(model, out, {"eos_token_id": [ids["<|im_end|>"], ids["<|endoftext|>"]], "pad_token_id": ids["<|endoftext|>"], "do_sample": False})
    write_tokenizer_files(tok, out, "qwen3_vl")
    (out / "preprocessor_config.json").write_text(json.dumps(preprocessor_config("qwen3_vl"), indent=2) + "\n")
    return out


def _gemma_tokenizer():
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    from loupe_export.tiny import _CORPUS

    tok = Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN_SPLIT_PATTERN), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=384, min_frequency=1, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    tok.train_from_iterator(_CORPUS * 4, trainer=trainer)
    tok.add_special_tokens(GEMMA_SPECIAL)
    return tok


def build_gemma3(out: Path, seed: int = 0) -> Path:
    from transformers import AutoModelForImageTextToText, Gemma3Config

    tok = _gemma_tokenizer()
    ids = {t: tok.token_to_id(t) for t in GEMMA_SPECIAL}
    vocab = ((tok.get_vocab_size(with_added_tokens=True) + 63) // 64) * 64
    text = dict(
        TINY_TEXT,
        vocab_size=vocab,
        sliding_window=16,
        query_pre_attn_scalar=16,
        layer_types=["sliding_attention", "sliding_attention", "sliding_attention", "full_attention"],
    )
    text.update(bos_token_id=ids["<bos>"], eos_token_id=ids["<end_of_turn>"], pad_token_id=ids["<pad>"])
    vision = dict(
        hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=64, patch_size=8, vision_use_head=False
    )
    config = Gemma3Config(
        text_config=text,
        vision_config=vision,
        mm_tokens_per_image=16,  # a 4x4 grid pooled from the 8x8 patches
        boi_token_index=ids["<start_of_image>"],
        eoi_token_index=ids["<end_of_image>"],
        image_token_index=ids["<image_soft_token>"],
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config).eval()
    _widen(model, seed)
    out.mkdir(parents=True, exist_ok=True)
    _save(
        model,
        out,
        {
            "bos_token_id": ids["<bos>"],
            "eos_token_id": [ids["<end_of_turn>"], ids["<eos>"]],
            "pad_token_id": ids["<pad>"],
            "do_sample": False,
        },
    )
    tok.save(str(out / "tokenizer.json"))
    added = {
        str(ids[t]): {"content": t, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True}
        for t in GEMMA_SPECIAL
    }
    tokenizer_config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "added_tokens_decoder": added,
        "bos_token": "<bos>",
        "eos_token": "<eos>",
        "pad_token": "<pad>",
        "unk_token": "<unk>",
        "add_bos_token": False,
        "extra_special_tokens": {"boi_token": "<start_of_image>", "eoi_token": "<end_of_image>", "image_token": "<image_soft_token>"},
        "chat_template": GEMMA3_CHAT_TEMPLATE,
        "processor_class": "Gemma3Processor",
    }
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2) + "\n")
    pre = {
        "image_processor_type": "Gemma3ImageProcessor",
        "processor_class": "Gemma3Processor",
        "do_resize": True,
        "size": {"height": 64, "width": 64},
        "resample": 2,
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5],
        "do_convert_rgb": True,
        "do_pan_and_scan": False,
    }
    (out / "preprocessor_config.json").write_text(json.dumps(pre, indent=2) + "\n")
    (out / "processor_config.json").write_text(json.dumps({"processor_class": "Gemma3Processor", "image_seq_length": 16}, indent=2) + "\n")
    return out


def build_tiny(family: str, out: str | Path, seed: int = 0) -> Path:
    out = Path(out)
    if family in ("qwen2_vl", "qwen2_5_vl", "qwen3_vl"):
        return build_tiny_checkpoint(family, out, seed=seed)
    if family == "qwen3_vl_moe":
        return build_qwen3_vl_moe(out, seed)
    if family == "gemma3":
        return build_gemma3(out, seed)
    raise ValueError(f"unknown family {family!r}")


if __name__ == "__main__":
    import sys

    print(build_tiny(sys.argv[1], sys.argv[2]))
