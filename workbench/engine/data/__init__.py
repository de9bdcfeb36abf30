"""Data sets for the networks: scikit-learn's digits (bundled) and MNIST-format IDX files."""

from .digits import load_digits_split
from .idx import IDXFormatError, find_mnist_files, load_mnist_folder, read_idx
from .split import DataSplit

__all__ = ["DataSplit", "load_digits_split", "read_idx", "find_mnist_files", "load_mnist_folder",
           "IDXFormatError"]
