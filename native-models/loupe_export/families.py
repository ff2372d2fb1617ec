"""What differs between Qwen2-VL, Qwen2.5-VL and Qwen3-VL, in one place."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import FAMILIES


@dataclass
class FamilySpec:
    family: str
    # vision encoder
    vision_grid_input: str  # name transformers.js feeds the grid under
    windowed_vision: bool  # Qwen2.5-VL: window attention except in fullatt_block_indexes
    learned_vision_pos: bool  # Qwen3-VL: learned pos_embed grid resampled bilinearly
    deepstack_layers: list[int] = field(default_factory=list)  # decoder layers that receive deepstack features
    # decoder
    interleaved_mrope: bool = False  # Qwen3-VL: T/H/W frequencies interleaved instead of chunked
    qk_norm: bool = False  # Qwen3-VL: RMSNorm on q and k per head


def family_of(config) -> str:
    mt = getattr(config, "model_type", None)
    if mt not in FAMILIES:
        raise ValueError(
            f"config.json has model_type {mt!r}; the Loupe exporter handles {', '.join(FAMILIES)} "
            "(ZwZ-7B is qwen2_5_vl, ZwZ-2B/4B/8B are qwen3_vl)."
        )
    return mt


def spec_for(config) -> FamilySpec:
    fam = family_of(config)
    if fam == "qwen2_vl":
        return FamilySpec(fam, "grid_thw", windowed_vision=False, learned_vision_pos=False)
    if fam == "qwen2_5_vl":
        return FamilySpec(fam, "image_grid_thw", windowed_vision=True, learned_vision_pos=False)
    n_deep = len(config.vision_config.deepstack_visual_indexes)
    return FamilySpec(
        fam,
        "image_grid_thw",
        windowed_vision=False,
        learned_vision_pos=True,
        deepstack_layers=list(range(n_deep)),
        interleaved_mrope=True,
        qk_norm=True,
    )


def text_config(config):
    return getattr(config, "text_config", None) or config


def mrope_source_rows(config, spec: FamilySpec) -> list[int]:
    """For each rotary frequency j (head_dim / 2 of them), which row of position_ids [3, B, L] it reads.

    Qwen2-VL / Qwen2.5-VL: contiguous chunks of `mrope_section` (T, then H, then W).
    Qwen3-VL: interleaved, THWTHW..., H at j % 3 == 1 for j < 3 * section[1], W at j % 3 == 2 for
    j < 3 * section[2], T elsewhere (transformers' Qwen3VLTextRotaryEmbedding.recomposition_frequencies).
    """
    tc = text_config(config)
    # transformers 5: rope_parameters; transformers 4.x: rope_scaling
    rp = getattr(tc, "rope_parameters", None) or getattr(tc, "rope_scaling", None) or {}
    section = list(rp.get("mrope_section") or [])
    head_dim = getattr(tc, "head_dim", None) or tc.hidden_size // tc.num_attention_heads
    half = head_dim // 2
    if spec.interleaved_mrope:
        if not section:
            section = [24, 20, 20]
        rows = [0] * half
        for dim, offset in ((1, 1), (2, 2)):
            for j in range(offset, min(section[dim] * 3, half), 3):
                rows[j] = dim
        return rows
    if not section:
        section = [16, 24, 24]
    if sum(section) != half:
        raise ValueError(f"mrope_section {section} does not sum to head_dim/2 = {half}")
    rows = []
    for i, n in enumerate(section):
        rows += [i % 3] * n
    return rows
