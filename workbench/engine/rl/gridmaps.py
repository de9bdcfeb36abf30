"""Maps of the workbench grid world (:mod:`.gridworld`), kept apart from the environment class
so that listing them (for an experiment's parameter choices) does not import gymnasium.

A map is rows of characters, FrozenLake's convention: ``S`` start, ``G`` goal, ``#`` wall
(blocks a move), ``.`` free.
"""

from __future__ import annotations

import numpy as np

MAPS: dict[str, tuple[str, ...]] = {
    "open-5x5": ("S....", ".....", ".....", ".....", "....G"),
    "walls-5x5": ("S....", ".##..", "...#.", ".#...", "...#G"),
    "rooms-7x7": ("S..#...", "...#...", ".......", "...#...", "##.####", "......G", "...#..."),
}


def check_map(rows: tuple[str, ...]) -> np.ndarray:
    """The map as a (rows, columns) array of one-byte cells, checked: rectangular, one S, one G,
    only known characters."""
    if not rows or not rows[0] or any(len(r) != len(rows[0]) for r in rows):
        raise ValueError(f"a grid map is rows of equal, non-zero length (got {list(rows)})")
    desc = np.array([[c.encode() for c in r] for r in rows], dtype="S1")
    unknown = {c.decode() for c in np.unique(desc).tolist()} - set("SG#.")
    if unknown:
        raise ValueError(f"a grid map holds only S, G, # and . (got {sorted(unknown)})")
    for mark in (b"S", b"G"):
        count = int((desc == mark).sum())
        if count != 1:
            raise ValueError(f"a grid map needs exactly one {mark.decode()} (got {count})")
    return desc
