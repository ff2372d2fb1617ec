"""Loupe exporter: Qwen2-VL / Qwen2.5-VL / Qwen3-VL checkpoints -> Loupe model packages.

A Loupe package is transformers.js's Qwen-VL session layout (vision_encoder, embed_tokens,
decoder_model_merged) plus `decoder_attentions.N` outputs: the softmaxed attention of the LAST
query position of each decoder layer. See docs/model-packages.md.
"""

__all__ = ["FAMILIES", "SCHEMA_VERSION"]

FAMILIES = ("qwen2_vl", "qwen2_5_vl", "qwen3_vl")
SCHEMA_VERSION = 1
