"""One deterministic font source for every machine.

Pillow (>= 10.1) bundles a scalable font ("Aileron Regular") that
``ImageFont.load_default(size=N)`` returns as a ``FreeTypeFont``.  Using it
always (never a system TrueType font) gives identical renderings on any machine
with the same Pillow version, whether or not fonts are installed.
"""

from __future__ import annotations

from functools import lru_cache

from PIL import ImageFont


@lru_cache(maxsize=128)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The bundled scalable font at ``size`` px (cached)."""
    size = max(4, int(size))
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: no sized default font; bitmap fallback
        return ImageFont.load_default()
