"""Environments drawn as RGB images with numpy alone, from their state.

gymnasium's own renderers need pygame and a display; an image stream needs only an array. Each
picture is a few filled rectangles, thick line segments and discs on a small canvas, enough to
see what the agent does: the cart and its pole, the car on its hill, the acrobot's links, the
agent on its grid. Any other environment gets one bar per observation dimension.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .spaces import family

BACKGROUND = (250, 250, 250)
INK = (40, 40, 40)
AGENT = (214, 39, 40)
ACCENT = (31, 119, 180)
GOAL = (44, 160, 44)
CELL_COLOURS = {  # grid cells by map character (FrozenLake's and the workbench grid's)
    b"S": (198, 219, 239), b"F": (235, 242, 250), b".": (235, 242, 250),
    b"H": (8, 48, 107), b"#": (90, 90, 90), b"G": GOAL,
}


class Canvas:
    """An RGB uint8 image with y growing downwards and a few drawing primitives."""

    def __init__(self, height: int, width: int, colour: Sequence[int] = BACKGROUND) -> None:
        self.pixels = np.empty((height, width, 3), dtype=np.uint8)
        self.pixels[:] = colour

    @property
    def shape(self) -> tuple[int, int]:
        return self.pixels.shape[:2]

    def rect(self, top: float, left: float, bottom: float, right: float, colour: Sequence[int]) -> None:
        h, w = self.shape
        t, b = max(int(round(top)), 0), min(int(round(bottom)), h)
        l, r = max(int(round(left)), 0), min(int(round(right)), w)
        if t < b and l < r:
            self.pixels[t:b, l:r] = colour

    def _window(self, top: float, left: float, bottom: float, right: float):
        """Pixel coordinates (column and row vectors) of a box, clipped to the canvas, and the
        box's slice of the pixels: shapes are drawn only where they can be."""
        h, w = self.shape
        t, b = max(int(math.floor(top)), 0), min(int(math.ceil(bottom)) + 1, h)
        l, r = max(int(math.floor(left)), 0), min(int(math.ceil(right)) + 1, w)
        ys, xs = np.ogrid[t:max(b, t), l:max(r, l)]
        return ys, xs, self.pixels[t:max(b, t), l:max(r, l)]

    def line(self, y0: float, x0: float, y1: float, x1: float, width: float, colour: Sequence[int]) -> None:
        """A segment of the given width (pixels within width/2 of it)."""
        half = width / 2
        ys, xs, window = self._window(min(y0, y1) - half, min(x0, x1) - half,
                                      max(y0, y1) + half, max(x0, x1) + half)
        dy, dx = y1 - y0, x1 - x0
        length2 = dy * dy + dx * dx
        t = 0.0 if length2 == 0 else np.clip(((ys - y0) * dy + (xs - x0) * dx) / length2, 0.0, 1.0)
        dist2 = (ys - (y0 + t * dy)) ** 2 + (xs - (x0 + t * dx)) ** 2
        window[dist2 <= half * half] = colour

    def disc(self, y: float, x: float, radius: float, colour: Sequence[int]) -> None:
        ys, xs, window = self._window(y - radius, x - radius, y + radius, x + radius)
        window[(ys - y) ** 2 + (xs - x) ** 2 <= radius * radius] = colour


def draw_cartpole(x: float, angle: float, x_limit: float = 2.4, pole_length: float = 1.0,
                  height: int = 120, width: int = 240) -> np.ndarray:
    """The cart at ``x`` on a track spanning +-``x_limit`` (the failure bounds, marked), its pole
    at ``angle`` radians from upright (positive: leaning right), and the centre marked."""
    canvas = Canvas(height, width)
    scale = (width - 20) / (2 * x_limit)
    track_y = height * 0.75
    centre = width / 2
    canvas.rect(track_y, 0, track_y + 2, width, INK)
    for edge in (-x_limit, x_limit):
        canvas.rect(track_y - 12, centre + edge * scale - 1, track_y + 6, centre + edge * scale + 1, AGENT)
    canvas.rect(track_y + 2, centre - 1, track_y + 8, centre + 1, GOAL)
    cart_x = centre + float(np.clip(x, -x_limit * 1.1, x_limit * 1.1)) * scale
    canvas.rect(track_y - 14, cart_x - 16, track_y, cart_x + 16, INK)
    pole = pole_length * scale * 0.9
    top_y, top_x = track_y - 14 - pole * math.cos(angle), cart_x + pole * math.sin(angle)
    canvas.line(track_y - 14, cart_x, top_y, top_x, 5, ACCENT)
    canvas.disc(track_y - 14, cart_x, 3, BACKGROUND)
    return canvas.pixels


def draw_mountain_car(position: float, low: float = -1.2, high: float = 0.6, goal: float = 0.5,
                      height: int = 120, width: int = 240) -> np.ndarray:
    """The hill ``y = sin(3 x)`` from ``low`` to ``high``, the goal flag, and the car."""
    canvas = Canvas(height, width)
    xs = np.linspace(low, high, width)
    ys = (1 - (np.sin(3 * xs) + 1) / 2) * (height - 30) + 20
    canvas.pixels[np.arange(height)[:, None] >= np.round(ys)[None, :]] = (222, 222, 222)
    gx = (goal - low) / (high - low) * (width - 1)
    gy = (1 - (math.sin(3 * goal) + 1) / 2) * (height - 30) + 20
    canvas.rect(gy - 18, gx - 1, gy, gx + 1, INK)
    canvas.rect(gy - 18, gx + 1, gy - 12, gx + 10, GOAL)
    px = (float(np.clip(position, low, high)) - low) / (high - low) * (width - 1)
    py = (1 - (math.sin(3 * position) + 1) / 2) * (height - 30) + 20
    canvas.disc(py - 6, px, 6, AGENT)
    return canvas.pixels


def draw_acrobot(observation: Sequence[float], size: int = 120) -> np.ndarray:
    """Acrobot's two links from its observation (cos and sin of both joint angles)."""
    c1, s1, c2, s2 = (float(v) for v in observation[:4])
    canvas = Canvas(size, size)
    cy, cx, link = size / 2, size / 2, size * 0.22
    y1, x1 = cy + link * c1, cx + link * s1
    a1, a2 = math.atan2(s1, c1), math.atan2(s2, c2)
    y2, x2 = y1 + link * math.cos(a1 + a2), x1 + link * math.sin(a1 + a2)
    canvas.rect(cy - link - 1, 0, cy - link + 1, size, GOAL)  # the height to swing above
    canvas.line(cy, cx, y1, x1, 5, ACCENT)
    canvas.line(y1, x1, y2, x2, 5, ACCENT)
    canvas.disc(cy, cx, 3, INK)
    canvas.disc(y2, x2, 4, AGENT)
    return canvas.pixels


def draw_grid(desc: np.ndarray, state: int, cell: int = 20) -> np.ndarray:
    """Grid cells coloured by kind (start, free, hole, wall, goal), the agent a red disc."""
    rows, cols = desc.shape
    canvas = Canvas(rows * cell, cols * cell)
    for r in range(rows):
        for c in range(cols):
            colour = CELL_COLOURS.get(bytes(desc[r, c]), BACKGROUND)
            canvas.rect(r * cell + 1, c * cell + 1, (r + 1) * cell, (c + 1) * cell, colour)
    r, c = divmod(int(state), cols)
    canvas.disc(r * cell + cell / 2, c * cell + cell / 2, cell * 0.3, AGENT)
    return canvas.pixels


def draw_bars(values: Sequence[float], height: int = 100, bar: int = 24) -> np.ndarray:
    """One bar per value in [-1, 1] (clipped), up from a middle line for positive values."""
    values = np.clip(np.asarray(values, dtype=np.float64).reshape(-1), -1.0, 1.0)
    canvas = Canvas(height, max(len(values), 1) * bar)
    middle = height / 2
    for i, v in enumerate(values):
        top, bottom = (middle - v * (middle - 4), middle) if v >= 0 else (middle, middle - v * (middle - 4))
        canvas.rect(top, i * bar + 3, bottom + 1, (i + 1) * bar - 3, ACCENT)
    canvas.rect(middle, 0, middle + 1, canvas.shape[1], INK)
    return canvas.pixels


def grid_desc(unwrapped: Any) -> np.ndarray | None:
    """The map of a grid environment as one-byte cells, when it has one (FrozenLake and the
    workbench grid keep ``desc``; CliffWalking's cliff becomes holes). Taxi has a ``desc`` too,
    but its states are not its cells: callers check that the map has one cell per state."""
    desc = getattr(unwrapped, "desc", None)
    if desc is not None:
        return np.asarray(desc, dtype="S1")
    cliff = getattr(unwrapped, "_cliff", None)
    if cliff is not None:
        out = np.where(np.asarray(cliff, dtype=bool), b"H", b".").astype("S1")
        out[-1, 0], out[-1, -1] = b"S", b"G"
        return out
    return None


def render(env_id: str, unwrapped: Any, observation: Any,
           scaled: Sequence[float] | None = None) -> np.ndarray:
    """The picture of ``observation`` in the environment ``env_id``; ``scaled`` (the observation
    mapped to about [-1, 1]) draws bars for environments without a picture of their own."""
    name = family(env_id)
    if name == "CartPole":
        return draw_cartpole(float(observation[0]), float(observation[2]),
                             float(getattr(unwrapped, "x_threshold", 2.4)),
                             2 * float(getattr(unwrapped, "length", 0.5)))
    if name == "MountainCar":
        return draw_mountain_car(float(observation[0]), float(getattr(unwrapped, "min_position", -1.2)),
                                 float(getattr(unwrapped, "max_position", 0.6)),
                                 float(getattr(unwrapped, "goal_position", 0.5)))
    if name == "Acrobot":
        return draw_acrobot(observation)
    desc = grid_desc(unwrapped)
    states = getattr(getattr(unwrapped, "observation_space", None), "n", None)
    if desc is not None and np.ndim(observation) == 0 and desc.size == states:  # one state per cell
        return draw_grid(desc, int(observation))
    return draw_bars(scaled if scaled is not None else np.asarray(observation, dtype=np.float64))
