"""IDX files (the MNIST and Fashion-MNIST format), gzipped or not, from a folder the user chose.

An IDX file is two zero bytes, a type code, the number of dimensions, each dimension as a
big-endian uint32, then the values big-endian in C order. Files are recognised as gzip by their
first two bytes, not their name, since downloads are often renamed or unpacked.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from .split import DataSplit

_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"

# (role, stem): Yann LeCun's names; some mirrors write "train-images.idx3-ubyte" instead.
MNIST_FILES = (("train images", "train-images-idx3-ubyte"), ("train labels", "train-labels-idx1-ubyte"),
               ("test images", "t10k-images-idx3-ubyte"), ("test labels", "t10k-labels-idx1-ubyte"))


class IDXFormatError(ValueError):
    """A file is not a valid IDX file (or a set of them does not fit together)."""


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in an IDX file (plain or gzipped), in native byte order."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    raw = path.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise IDXFormatError(f"{path}: corrupt gzip data ({exc}); download the file again") from None
    if len(raw) < 4 or raw[:2] != b"\x00\x00":
        raise IDXFormatError(f"{path}: not an IDX file (it must start with two zero bytes, a type "
                             f"code and a dimension count; got {raw[:4].hex(' ') or 'an empty file'})")
    code, ndim = raw[2], raw[3]
    if code not in _TYPES:
        raise IDXFormatError(f"{path}: unknown IDX type code 0x{code:02x} (expected one of "
                             f"{', '.join(f'0x{c:02x}' for c in _TYPES)})")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXFormatError(f"{path}: truncated header ({len(raw)} bytes, {ndim} dimensions need {header})")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_TYPES[code])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise IDXFormatError(f"{path}: the header declares shape {shape} ({expected} bytes of data) but "
                             f"the file holds {len(raw) - header}; it is truncated or corrupt")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def find_mnist_files(folder: str | os.PathLike) -> dict[str, Path]:
    """The four MNIST-layout files in ``folder`` (each may end in ``.gz``), by role."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"data folder not found: {folder}")
    found, missing = {}, []
    for role, stem in MNIST_FILES:
        dotted = stem.replace("-idx", ".idx")
        names = (stem, stem + ".gz", dotted, dotted + ".gz")
        hit = next((folder / n for n in names if (folder / n).is_file()), None)
        if hit is None:
            missing.append(f"{stem}[.gz]")
        else:
            found[role] = hit
    if missing:
        raise FileNotFoundError(f"{folder} lacks {', '.join(missing)}; put the four MNIST or "
                                f"Fashion-MNIST IDX files there (gzipped or not)")
    return found


def load_mnist_folder(folder: str | os.PathLike) -> DataSplit:
    """MNIST or Fashion-MNIST (same file names and format) from ``folder``: uint8 images
    (n, rows, cols) and int64 labels, in the files' order (the official train/test split)."""
    files = find_mnist_files(folder)
    parts = {role: read_idx(path) for role, path in files.items()}
    for kind in ("train", "test"):
        images, labels = parts[f"{kind} images"], parts[f"{kind} labels"]
        if images.ndim != 3 or labels.ndim != 1:
            raise IDXFormatError(f"{kind}: expected images of 3 dimensions and labels of 1 (got "
                                 f"{images.ndim} in {files[f'{kind} images'].name} and {labels.ndim} "
                                 f"in {files[f'{kind} labels'].name})")
        if len(images) != len(labels):
            raise IDXFormatError(f"{kind}: {len(images)} images but {len(labels)} labels "
                                 f"({files[f'{kind} images'].name}, {files[f'{kind} labels'].name})")
    return DataSplit(parts["train images"].astype(np.uint8, copy=False),
                     parts["train labels"].astype(np.int64),
                     parts["test images"].astype(np.uint8, copy=False),
                     parts["test labels"].astype(np.int64))
