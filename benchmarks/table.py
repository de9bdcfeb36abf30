"""One way to print a benchmark's rows: a plain aligned table, floats to 4 significant digits."""

from __future__ import annotations


def print_table(name: str, rows: list[dict]) -> None:
    """Print ``rows`` (dicts; the union of their keys are the columns) under a ``name`` heading."""
    if not rows:
        return
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    cells = [[_fmt(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print(f"\n== {name} ==")
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    for r in cells:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)))


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
