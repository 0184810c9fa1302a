"""A group photo composed from the sample photos: each person's face cut out with a margin, scaled to a chosen
size and pasted side by side on a grey canvas. Returns the JPEG and where each face landed."""

import io
from pathlib import Path

from PIL import Image

# The face boxes `facegate detect` finds in the sample photos (left, top, right, bottom).
FACES = {
    "obama2.jpg": (164, 302, 475, 612),
    "biden2.jpg": (434, 286, 882, 733),
    "kit_harington.jpeg": (673, 107, 799, 232),
    "alex-lacamoire.png": (174, 134, 354, 314),
}


def group_photo(photos: Path, people: list[tuple[str, int]]) -> tuple[bytes, list[tuple[int, int, int, int]]]:
    """`people`: (sample photo, face size in px) from left to right. The JPEG and each face's box in it."""
    tiles, boxes = [], []
    for name, size in people:
        left, top, right, bottom = FACES[name]
        margin = (right - left) // 2
        with Image.open(photos / name) as source:
            tile = source.convert("RGB").crop((left - margin, top - margin, right + margin, bottom + margin))
        scale = size / (right - left)
        tiles.append(tile.resize((round(tile.width * scale), round(tile.height * scale))))
    canvas = Image.new("RGB", (sum(t.width for t in tiles) + 40 * (len(tiles) + 1), max(t.height for t in tiles) + 80),
                       (128, 128, 128))  # fmt: skip
    x = 40
    for tile, (_, size) in zip(tiles, people, strict=True):
        canvas.paste(tile, (x, 40))
        margin = (tile.width - size) // 2
        boxes.append((x + margin, 40 + margin, x + margin + size, 40 + margin + size))
        x += tile.width + 40
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=92)
    return out.getvalue(), boxes
