"""What surrounds a label on a synthetic sheet: the plant, a colour chart, a ruler, noise.

The chart's and the ruler's printed words are there so the OCR engine's tests can check that
they never become data.
"""

from __future__ import annotations

import random

from PIL import Image, ImageDraw

from herbx.testing.fonts import font


def draw_plant(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    """A sketched plant: stem, leaves and a root, in the middle of the sheet."""
    x = rng.randint(int(w * 0.35), int(w * 0.6))
    y = int(h * 0.92)
    green = (60 + rng.randint(0, 30), 95 + rng.randint(0, 30), 45)
    stroke = max(2, w // 400)
    for _ in range(3):
        px, py = x + rng.randint(-w // 20, w // 20), y
        for _ in range(12):
            nx = px + rng.randint(-w // 60, w // 60)
            ny = py - rng.randint(h // 30, h // 14)
            draw.line((px, py, nx, ny), fill=green, width=stroke)
            if rng.random() < 0.6:
                leaf = w // 45
                draw.ellipse((nx - leaf, ny - leaf // 3, nx + leaf, ny + leaf // 3), fill=green)
            px, py = nx, max(ny, h // 8)


def draw_colour_chart(img: Image.Image, rng: random.Random, box: tuple[int, int]) -> None:
    """A colour chart with its printed brand words (which must never become data)."""
    w = img.size[0]
    cell = max(8, w // 70)
    x0, y0 = box
    draw = ImageDraw.Draw(img)
    draw.rectangle((x0, y0, x0 + cell * 6 + cell, y0 + cell * 4 + cell * 2), fill=(25, 25, 25))
    for r in range(4):
        for c in range(6):
            colour = tuple(rng.randint(30, 235) for _ in range(3))
            cx, cy = x0 + cell // 2 + c * cell, y0 + cell // 2 + r * cell
            draw.rectangle((cx + 1, cy + 1, cx + cell - 2, cy + cell - 2), fill=colour)
    small = font("sans", max(8, cell // 3))
    draw.text(
        (x0 + cell // 2, y0 + cell * 4 + cell // 2),
        "colorchecker CLASSIC",
        font=small,
        fill=(230, 230, 230),
    )
    draw.text((x0 + cell * 5, y0 + cell * 4 + cell), "calibrite", font=small, fill=(230, 230, 230))


def draw_ruler(img: Image.Image, origin: tuple[int, int], length: int) -> None:
    """A ruler with its digits (which must never become data)."""
    draw = ImageDraw.Draw(img)
    x0, y0 = origin
    height = max(12, length // 12)
    draw.rectangle((x0, y0, x0 + length, y0 + height), fill=(245, 245, 235), outline=(0, 0, 0))
    step = length / 15
    digits = font("sans", max(8, int(height * 0.35)))
    for i in range(16):
        x = int(x0 + i * step)
        draw.line((x, y0, x, y0 + height // 2), fill=(0, 0, 0), width=max(1, length // 500))
        if i < 15:
            draw.text((x + 2, y0 + height // 2), str(i), font=digits, fill=(0, 0, 0))
    draw.text((int(x0 + length - step * 0.9), y0 + 2), "cm", font=digits, fill=(0, 0, 0))


def add_noise(img: Image.Image, rng: random.Random, sigma: float) -> Image.Image:
    """Mild sensor noise and blur, as a photograph has."""
    import numpy as np

    arr = np.asarray(img, dtype=np.float32)
    gen = np.random.default_rng(rng.randint(0, 2**31))
    arr += gen.standard_normal(arr.shape, dtype=np.float32) * np.float32(sigma)
    np.clip(arr, 0, 255, out=arr)
    return Image.fromarray(arr.astype(np.uint8))
