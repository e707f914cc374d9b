"""Geometry of OCR results: boxes, lines, and grouping boxes into label regions.

Pure functions over plain numbers, so they are cheap to test without running a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Box = tuple[float, float, float, float]
"""An axis-aligned box ``(x0, y0, x1, y1)`` in pixels."""


@dataclass(frozen=True)
class OcrLine:
    """One piece of text the recognizer read.

    ``box`` is in the coordinates of the (upright) region it was read in; ``region`` numbers
    the region on the sheet; ``score`` is the recognizer's confidence in 0..1.
    """

    text: str
    score: float
    box: Box
    region: int = 0

    @property
    def height(self) -> float:
        """Height of the box."""
        return self.box[3] - self.box[1]

    @property
    def center_y(self) -> float:
        """Vertical centre of the box."""
        return (self.box[1] + self.box[3]) / 2


def quad_to_box(quad: Sequence[Sequence[float]]) -> Box:
    """The bounding box of a 4-point polygon as RapidOCR returns it."""
    xs = [float(p[0]) for p in quad]
    ys = [float(p[1]) for p in quad]
    return (min(xs), min(ys), max(xs), max(ys))


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def group_regions(boxes: Sequence[Box], *, reach: float = 1.6) -> list[list[int]]:
    """Group text boxes that belong to one label, stamp or slip.

    Each box is grown by ``reach`` times its text height (its short side) on every side;
    boxes whose grown rectangles touch, directly or through others, form one region.
    Returns lists of box indices, largest region first.

    Example::

        >>> group_regions([(0, 0, 100, 10), (0, 15, 80, 25), (500, 500, 560, 510)])
        [[0, 1], [2]]
    """
    if not boxes:
        return []
    # A detector box sometimes swallows a whole paragraph; its short side is then no text
    # height, so each box's reach is capped by twice the sheet's median text height.
    shorts = sorted(max(1.0, min(x1 - x0, y1 - y0)) for x0, y0, x1, y1 in boxes)
    cap = 2.0 * shorts[len(shorts) // 2]
    grown: list[Box] = []
    for x0, y0, x1, y1 in boxes:
        pad = reach * min(cap, max(1.0, min(x1 - x0, y1 - y0)))
        grown.append((x0 - pad, y0 - pad, x1 + pad, y1 + pad))
    parent = list(range(len(boxes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(grown)):
        for j in range(i + 1, len(grown)):
            if _overlaps(grown[i], grown[j]):
                ri, rj = find(i), find(j)
                if ri != rj:
                    parent[rj] = ri
    groups: dict[int, list[int]] = {}
    for i in range(len(boxes)):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def union_box(boxes: Sequence[Box]) -> Box:
    """The smallest box holding all ``boxes``."""
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def is_vertical(boxes: Sequence[Box], *, ratio: float = 2.5) -> bool:
    """Whether most of the text (by area) in ``boxes`` runs vertically.

    Single characters and digits are square-ish or a little tall and say nothing; only
    clearly elongated boxes (lines of several characters) vote.
    """
    tall = wide = 0.0
    for x0, y0, x1, y1 in boxes:
        w, h = x1 - x0, y1 - y0
        if h > ratio * w:
            tall += w * h
        elif w > ratio * h:
            wide += w * h
    return tall > wide


def group_rows(lines: Sequence[OcrLine]) -> list[list[OcrLine]]:
    """Lines of one region grouped into rows (top to bottom), each row left to right.

    Two pieces are on the same row when the vertical centre of either lies within the
    other's height, so "No. 1302" and a date far to its right form one row, and so does a
    short box holding only a dotted leader.
    """
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda ln: ln.center_y):
        for row in rows:
            ref = row[-1]
            if (ref.box[1] <= line.center_y <= ref.box[3]) or (
                line.box[1] <= ref.center_y <= line.box[3]
            ):
                row.append(line)
                break
        else:
            rows.append([line])
    for row in rows:
        row.sort(key=lambda ln: ln.box[0])
    rows.sort(key=lambda r: min(ln.box[1] for ln in r))
    return rows
