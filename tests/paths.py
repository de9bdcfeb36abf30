"""Where the test data lives (tests/data, with a README saying where each file came from)."""

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
HELLO_GOLDEN = DATA / "htmcore_hello_golden.json"
NAB = DATA / "nab"
