"""The one colour legend of the workbench.

Every grid view (SDR bits, columns, cells, the synapse inspector) draws uint8 *state codes*
through the same 256-entry lookup table made here, so a colour means the same thing in every
view and the legend on screen (:func:`legend_entries`) is the whole story. Colours are chosen to
stay apart for colour-blind readers (after Okabe and Ito) on the dark plot background, with one
idea per hue: warm = active, blue = predicted, green = correctly predicted / connected,
red = bursting (a surprise), violet = a connected synapse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BACKGROUND = "#15171c"   # plot backgrounds and the gaps between cell bands
OFF = "#2a2e37"          # an inactive bit, column or cell
TEXT = "#d8dde6"
MUTED_TEXT = "#8b93a1"

BIT_ON = "#e9eef5"
COLUMN_CORRECT = "#2ca58d"     # active and predicted
COLUMN_BURSTING = "#e4572e"    # active, not predicted
COLUMN_PREDICTED = "#4ea8de"   # predicted, not active
CELL_ACTIVE = "#f2c14e"
CELL_WINNER = "#ff8c42"
CELL_PREDICTIVE = "#4ea8de"
CELL_ACTIVE_PREDICTIVE = "#a7d676"
SYNAPSE_POTENTIAL = "#7c8aa5"  # brightest potential synapse; dimmer = lower permanence
SYNAPSE_CONNECTED = "#c792ea"  # brightest connected synapse
SELECTION = "#ffffff"

CURVE_COLOURS = ("#4ea8de", "#f2c14e", "#e4572e", "#2ca58d", "#c792ea", "#e9eef5", "#ff8c42")

# -- state codes (indices into LUT) ----------------------------------------------------------
CODE_OFF = 0
CODE_GAP = 1
CODE_BIT_ON = 2
CODE_COLUMN_CORRECT = 3
CODE_COLUMN_BURSTING = 4
CODE_COLUMN_PREDICTED = 5
CODE_CELL_ACTIVE = 6
CODE_CELL_WINNER = 7
CODE_CELL_PREDICTIVE = 8
CODE_CELL_ACTIVE_PREDICTIVE = 9
RAMP_LEVELS = 100
CODE_POTENTIAL_RAMP = 16                       # 16 .. 115: potential synapses by permanence
CODE_CONNECTED_RAMP = CODE_POTENTIAL_RAMP + RAMP_LEVELS  # 116 .. 215: connected synapses

# column state = predicted + 2 * active  ->  code
COLUMN_CODES = np.array([CODE_OFF, CODE_COLUMN_PREDICTED, CODE_COLUMN_BURSTING, CODE_COLUMN_CORRECT],
                        dtype=np.uint8)
# cell state = active + 2 * winner + 4 * predictive  ->  code (a winner is always active)
CELL_CODES = np.array([CODE_OFF, CODE_CELL_ACTIVE, CODE_CELL_WINNER, CODE_CELL_WINNER,
                       CODE_CELL_PREDICTIVE, CODE_CELL_ACTIVE_PREDICTIVE,
                       CODE_CELL_ACTIVE_PREDICTIVE, CODE_CELL_ACTIVE_PREDICTIVE], dtype=np.uint8)


def rgb(colour: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` as an (r, g, b) tuple of ints."""
    text = colour.lstrip("#")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def _ramp(colour: str, levels: int, floor: float = 0.45) -> np.ndarray:
    """``levels`` shades of ``colour`` from ``floor`` of its brightness up to all of it."""
    weights = np.linspace(floor, 1.0, levels)[:, None]
    base = np.array(rgb(OFF), dtype=np.float64)
    return np.round(base + (np.array(rgb(colour)) - base) * weights).astype(np.uint8)


def _make_lut() -> np.ndarray:
    lut = np.zeros((256, 4), dtype=np.uint8)
    lut[:, :3] = rgb(OFF)
    lut[:, 3] = 255
    for code, colour in ((CODE_OFF, OFF), (CODE_GAP, BACKGROUND), (CODE_BIT_ON, BIT_ON),
                         (CODE_COLUMN_CORRECT, COLUMN_CORRECT), (CODE_COLUMN_BURSTING, COLUMN_BURSTING),
                         (CODE_COLUMN_PREDICTED, COLUMN_PREDICTED), (CODE_CELL_ACTIVE, CELL_ACTIVE),
                         (CODE_CELL_WINNER, CELL_WINNER), (CODE_CELL_PREDICTIVE, CELL_PREDICTIVE),
                         (CODE_CELL_ACTIVE_PREDICTIVE, CELL_ACTIVE_PREDICTIVE)):
        lut[code, :3] = rgb(colour)
    lut[CODE_POTENTIAL_RAMP:CODE_POTENTIAL_RAMP + RAMP_LEVELS, :3] = _ramp(SYNAPSE_POTENTIAL, RAMP_LEVELS)
    lut[CODE_CONNECTED_RAMP:CODE_CONNECTED_RAMP + RAMP_LEVELS, :3] = _ramp(SYNAPSE_CONNECTED, RAMP_LEVELS)
    lut.flags.writeable = False
    return lut


LUT = _make_lut()
"""The lookup table every grid ImageItem uses (256 x RGBA uint8, levels fixed at 0..255)."""


def permanence_codes(permanences: np.ndarray, connected: float) -> np.ndarray:
    """Codes for synapses: below ``connected`` a step of the potential ramp (0 .. connected),
    at or above it a step of the connected ramp (connected .. 1), so the shades use the whole
    ramp whatever the threshold is."""
    perm = np.clip(np.asarray(permanences, dtype=np.float64), 0.0, 1.0)
    threshold = min(max(float(connected), 1e-6), 1.0 - 1e-6)
    is_connected = perm >= threshold
    fraction = np.where(is_connected, (perm - threshold) / (1.0 - threshold), perm / threshold)
    shade = np.minimum((fraction * RAMP_LEVELS).astype(np.int64), RAMP_LEVELS - 1)
    base = np.where(is_connected, CODE_CONNECTED_RAMP, CODE_POTENTIAL_RAMP)
    return (base + shade).astype(np.uint8)


@dataclass(frozen=True)
class LegendEntry:
    """One swatch of the legend: its colour, label and what it means."""

    group: str
    label: str
    colour: str
    meaning: str


def legend_entries() -> list[LegendEntry]:
    """Every colour the grid views use, grouped as the legend shows them."""
    return [
        LegendEntry("", "inactive", OFF, "an inactive bit, column or cell"),
        LegendEntry("Bits", "on", BIT_ON, "an active bit of an SDR (encoder output)"),
        LegendEntry("Columns", "predicted + active", COLUMN_CORRECT,
                    "an active column that had a predictive cell: a correct prediction"),
        LegendEntry("Columns", "bursting", COLUMN_BURSTING,
                    "an active column with no predictive cell: every cell fires"),
        LegendEntry("Columns", "predicted, inactive", COLUMN_PREDICTED,
                    "a column with a predictive cell that did not become active"),
        LegendEntry("Cells", "active", CELL_ACTIVE, "an active cell"),
        LegendEntry("Cells", "winner", CELL_WINNER, "an active cell chosen to learn"),
        LegendEntry("Cells", "predictive", CELL_PREDICTIVE, "a cell depolarised for the next step"),
        LegendEntry("Cells", "active + predictive", CELL_ACTIVE_PREDICTIVE,
                    "an active cell that is also predictive for the next step"),
        LegendEntry("Synapses", "potential", SYNAPSE_POTENTIAL,
                    "in the potential pool, below the connected threshold (dimmer = lower permanence)"),
        LegendEntry("Synapses", "connected", SYNAPSE_CONNECTED,
                    "permanence at or above the connected threshold (dimmer = lower permanence)"),
    ]
