"""Screenshots as pixels, for the summary's picture tests (Pillow does the decoding).

``read_png(data)`` returns an ``Image`` of RGB pixels; ``luminance`` and ``contrast``
are the WCAG 2 relative luminance and contrast ratio of sRGB colours.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image as PILImage

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    picture: PILImage.Image  # mode "RGB"

    def pixel(self, x: int, y: int) -> RGB:
        r, g, b = self.picture.getpixel((x, y))  # type: ignore[misc]
        return r, g, b

    def pixels(self, step: int = 1) -> list[RGB]:
        """Every ``step``-th pixel of every ``step``-th row, row by row."""
        every = _rgb_triples(self.picture.tobytes())
        if step == 1:
            return every
        w = self.width
        return [every[y * w + x] for y in range(0, self.height, step) for x in range(0, w, step)]

    def region(self, left: int, top: int, right: int, bottom: int) -> list[RGB]:
        """The pixels of the box [left, right) x [top, bottom), clipped to the image."""
        box = (max(left, 0), max(top, 0), min(right, self.width), min(bottom, self.height))
        return _rgb_triples(self.picture.crop(box).tobytes())


def _rgb_triples(raw: bytes) -> list[RGB]:
    return [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 3)]


def read_png(data: bytes) -> Image:
    """Decode PNG ``data`` into RGB pixels; raise ValueError if it is not a PNG."""
    try:
        picture = PILImage.open(io.BytesIO(data), formats=["PNG"])
        picture.load()
    except (OSError, SyntaxError) as exc:  # Pillow's UnidentifiedImageError is an OSError
        raise ValueError(f"not a readable PNG: {exc}") from exc
    rgb = picture.convert("RGB")
    return Image(rgb.width, rgb.height, rgb)


def _channel(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4


def luminance(colour: RGB) -> float:
    """WCAG 2 relative luminance of an sRGB colour, 0 (black) to 1 (white)."""
    r, g, b = (_channel(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """WCAG 2 contrast ratio of two colours, 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
