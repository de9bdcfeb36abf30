"""Encoders: values to SDRs, on the host (HTM_SPEC.md, "Encoders")."""

from .base import Encoder
from .category import CategoryEncoder, CategoryEncoderParameters
from .coordinate import CoordinateEncoder, CoordinateEncoderParameters
from .date import DateEncoder, DateEncoderParameters
from .grid_cell import GridCellEncoder, GridCellEncoderParameters
from .murmur import murmur3_32, murmur3_32_words
from .rdse import RDSE, RDSEParameters
from .scalar import ScalarEncoder, ScalarEncoderParameters
from .simhash import SimHashDocumentEncoder, SimHashDocumentEncoderParameters

__all__ = [
    "CategoryEncoder",
    "CategoryEncoderParameters",
    "CoordinateEncoder",
    "CoordinateEncoderParameters",
    "DateEncoder",
    "DateEncoderParameters",
    "Encoder",
    "GridCellEncoder",
    "GridCellEncoderParameters",
    "RDSE",
    "RDSEParameters",
    "ScalarEncoder",
    "ScalarEncoderParameters",
    "SimHashDocumentEncoder",
    "SimHashDocumentEncoderParameters",
    "murmur3_32",
    "murmur3_32_words",
]
