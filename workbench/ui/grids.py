"""Where each bit, column or cell sits in a grid image, and the state-code images drawn from frames.

A layout turns a flat index (an SDR bit, a column, a cell) into a pixel of a 2-D uint8 image of
palette codes, and a clicked pixel back into an index. Views keep one layout per stream and
redraw by scattering codes into a copy of a prepared base image, so drawing costs a few numpy
operations on the active indices, not a Python loop over cells.
"""

from __future__ import annotations

import math

import numpy as np

from . import palette


def near_square(n: int) -> tuple[int, int]:
    """(rows, cols) of the most square grid that holds ``n`` items, cols >= rows."""
    cols = max(1, math.ceil(math.sqrt(n)))
    return max(1, math.ceil(n / cols)), cols


class GridLayout:
    """Items laid out row by row: a 2-D shape as given, anything else as a near-square grid."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.size = int(np.prod(shape))
        if len(shape) == 2:
            rows, cols = int(shape[0]), int(shape[1])
        elif len(shape) > 2:
            rows, cols = int(np.prod(shape[:-1])), int(shape[-1])
        else:
            rows, cols = near_square(self.size)
        self.image_shape = (rows, cols)
        self.pixel = np.arange(self.size, dtype=np.int64)
        self.base = np.full(rows * cols, palette.CODE_GAP, dtype=np.uint8)
        self.base[self.pixel] = palette.CODE_OFF
        self._index_of_pixel = np.full(rows * cols, -1, dtype=np.int64)
        self._index_of_pixel[self.pixel] = np.arange(self.size)

    def item_at(self, x: float, y: float) -> int:
        """The index drawn at image coordinates (x = column, y = row), or -1 for none."""
        rows, cols = self.image_shape
        col, row = int(math.floor(x)), int(math.floor(y))
        if not (0 <= row < rows and 0 <= col < cols):
            return -1
        return int(self._index_of_pixel[row * cols + col])

    def rect_of(self, index: int) -> tuple[int, int, int, int]:
        """(x, y, width, height) of item ``index`` in image coordinates."""
        rows, cols = self.image_shape
        pixel = int(self.pixel[index])
        return pixel % cols, pixel // cols, 1, 1

    def image(self, indices: np.ndarray, code: int) -> np.ndarray:
        """The image with ``indices`` drawn in ``code`` and everything else off."""
        out = self.base.copy()
        out[self.pixel[np.asarray(indices, dtype=np.int64)]] = code
        return out.reshape(self.image_shape)

    def image_of_codes(self, codes: np.ndarray) -> np.ndarray:
        """The image with item ``i`` drawn in ``codes[i]`` (one code per item)."""
        out = self.base.copy()
        out[self.pixel] = codes
        return out.reshape(self.image_shape)


class CellLayout(GridLayout):
    """Cells drawn as vertical strips, one strip of ``cells_per_column`` pixels per column.

    Columns run left to right in bands; a one-pixel gap separates bands. The band width is
    chosen so the whole image is close to square (2048 columns x 32 cells -> 256 x 264 pixels).
    Cell ``i`` belongs to column ``i // cells_per_column`` (column-major cells, as streams declare).
    """

    def __init__(self, num_columns: int, cells_per_column: int) -> None:
        self.num_columns = int(num_columns)
        self.cells_per_column = cpc = int(cells_per_column)
        self.size = self.num_columns * cpc
        width = max(1, min(self.num_columns, round(math.sqrt(self.num_columns * (cpc + 1)))))
        bands = math.ceil(self.num_columns / width)
        rows = bands * (cpc + 1) - 1
        self.band_width = width
        self.image_shape = (rows, width)
        column = np.repeat(np.arange(self.num_columns, dtype=np.int64), cpc)
        within = np.tile(np.arange(cpc, dtype=np.int64), self.num_columns)
        row = (column // width) * (cpc + 1) + within
        self.pixel = row * width + column % width
        self.base = np.full(rows * width, palette.CODE_GAP, dtype=np.uint8)
        self.base[self.pixel] = palette.CODE_OFF
        self._index_of_pixel = np.full(rows * width, -1, dtype=np.int64)
        self._index_of_pixel[self.pixel] = np.arange(self.size)

    def column_rect(self, column: int) -> tuple[int, int, int, int]:
        """(x, y, width, height) of a whole column's strip."""
        x, y, _, _ = self.rect_of(int(column) * self.cells_per_column)
        return x, y, 1, self.cells_per_column


def column_codes(num_columns: int, active: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """One palette code per column from the active and predicted column indices."""
    state = np.zeros(num_columns, dtype=np.uint8)
    state[np.asarray(predicted, dtype=np.int64)] = 1
    state[np.asarray(active, dtype=np.int64)] += 2
    return palette.COLUMN_CODES[state]


def cell_codes(num_cells: int, active: np.ndarray, winner: np.ndarray, predictive: np.ndarray) -> np.ndarray:
    """One palette code per cell from the active, winner and predictive cell indices."""
    state = np.zeros(num_cells, dtype=np.uint8)
    state[np.asarray(active, dtype=np.int64)] = 1
    state[np.asarray(winner, dtype=np.int64)] |= 2
    state[np.asarray(predictive, dtype=np.int64)] |= 4
    return palette.CELL_CODES[state]
