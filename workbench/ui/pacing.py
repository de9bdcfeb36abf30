"""Pacing the GUI's drawing while the model runs flat out.

Python has one interpreter lock, so every millisecond the GUI thread spends drawing is a
millisecond the model's thread does not step, and a long burst of drawing delays every other
event (a click, a key). The pacer keeps both in check while running:

* views are drawn a few per timer tick (round robin over one snapshot of the state, so all views
  still show the same step once a round completes), which keeps each tick short: the event loop
  is never blocked for long;
* the next tick is scheduled so that drawing takes about :data:`DUTY` of the wall time, measured
  from what the last ticks actually cost (drawing plus the paint that follows it).

Paused, single-stepping or scrubbing, everything is drawn at once: nothing competes then.
"""

from __future__ import annotations

MIN_INTERVAL_S = 1 / 30
MAX_INTERVAL_S = 0.5
DUTY = 0.12
TICK_BUDGET_S = 0.012


class FramePacer:
    """Decides how many views to draw per tick and when the next tick comes."""

    def __init__(self) -> None:
        self.cost_per_view = 0.002
        self.interval = MIN_INTERVAL_S

    def views_per_tick(self, total: int) -> int:
        return max(1, min(total, int(TICK_BUDGET_S / max(self.cost_per_view, 1e-4))))

    def measured(self, cost_s: float, views_drawn: int) -> float:
        """Record one tick's cost; returns the interval (s) to wait before the next tick."""
        if views_drawn:
            self.cost_per_view = 0.7 * self.cost_per_view + 0.3 * cost_s / views_drawn
        self.interval = min(MAX_INTERVAL_S, max(MIN_INTERVAL_S, cost_s / DUTY))
        return self.interval

    def reset(self) -> None:
        self.interval = MIN_INTERVAL_S
