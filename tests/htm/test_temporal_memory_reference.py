"""The Temporal Memory against a literal, loop-by-loop reading of HTM_SPEC.md "Temporal Memory".

The reference below is written straight from the spec's numbered rules, one segment and one
synapse at a time (dendrites at the start of the step, columns walked one by one, adapt then
grow per segment), with none of the production code's vectorisation, presynaptic index or
deferred destruction. Random workloads with small limits make every rule fire (segment
eviction, the max-synapses rule, punishment, segment destruction, resets, inference steps),
and the two must agree on every cell, the anomaly, and every synapse with its flat segment
index.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.engine.htm.rng import CompatRNG
from workbench.engine.htm.temporal_memory import TemporalMemory

F32 = np.float32


class ReferenceTM:
    def __init__(self, num_columns, cells_per_column, activation_threshold, initial_permanence,
                 connected_permanence, min_threshold, max_new_synapse_count, permanence_increment,
                 permanence_decrement, predicted_segment_decrement, max_segments_per_cell,
                 max_synapses_per_segment, seed):
        self.cpc = cells_per_column
        self.act_thr = activation_threshold
        self.init = F32(initial_permanence)
        self.connected = F32(F32(connected_permanence) - F32(1e-6))
        self.min_thr = min_threshold
        self.max_new = max_new_synapse_count
        self.inc = F32(permanence_increment)
        self.dec = F32(permanence_decrement)
        self.psd = F32(predicted_segment_decrement)
        self.max_seg = max_segments_per_cell
        self.max_syn = max_synapses_per_segment
        self.rng = CompatRNG(seed)
        self.segments = {}  # flat index -> [cell, [[presynaptic cell, permanence], ...]]
        self.free = []
        self.next_index = 0
        self.active = []
        self.winners = []
        self.anomaly = math.nan

    def reset(self):
        self.active, self.winners, self.anomaly = [], [], math.nan

    def cell_segments(self, cell):
        return sorted(s for s, (c, _) in self.segments.items() if c == cell)

    def dendrites(self, active):
        active = set(active)
        pot, conn = {}, {}
        for s, (cell, syns) in self.segments.items():
            pot[s] = sum(1 for p, _ in syns if p in active)
            conn[s] = sum(1 for p, w in syns if p in active and w >= self.connected)
        order = sorted(self.segments, key=lambda s: (self.segments[s][0], s))
        act = [s for s in order if conn[s] >= self.act_thr]
        match = [s for s in order if pot[s] >= self.min_thr]
        return act, match, pot

    def predictive_cells(self):
        act, _, _ = self.dendrites(self.active)
        return sorted({self.segments[s][0] for s in act})

    def destroy(self, s):
        del self.segments[s]
        self.free.append(s)

    def create(self, cell):
        mine = self.cell_segments(cell)
        if len(mine) >= self.max_seg:
            strength = {s: sum(float(w) ** 2 for _, w in self.segments[s][1]) for s in mine}
            self.destroy(min(mine, key=lambda s: (strength[s], s)))
        s = self.free.pop() if self.free else self.next_index
        if s == self.next_index:
            self.next_index += 1
        self.segments[s] = [cell, []]
        return s

    def adapt(self, s, prev_active, d_active, d_inactive):
        kept = []
        for p, w in self.segments[s][1]:
            w = F32(w + (d_active if p in prev_active else d_inactive))
            w = min(w, F32(1.0))
            if not w < F32(1e-6):
                kept.append([p, w])
        self.segments[s][1] = kept
        if len(kept) < self.min_thr:
            self.destroy(s)
            return False
        return True

    def grow(self, s, requested, candidates):
        syns = self.segments[s][1]
        n = min(requested, len(candidates))
        if len(syns) + n > self.max_syn:
            overrun = len(syns) + n - self.max_syn
            others = [i for i, (p, _) in enumerate(syns) if p not in candidates]
            others.sort(key=lambda i: (syns[i][1], i))
            gone = set(others[:overrun])
            syns[:] = [x for i, x in enumerate(syns) if i not in gone]
            n = min(n, self.max_syn - len(syns))
        order = list(candidates)
        if requested < len(candidates):
            self.rng.shuffle(order)
        made = 0
        for c in order:
            if made == n:
                break
            hit = [x for x in syns if x[0] == c]
            if hit:
                hit[0][1] = max(hit[0][1], self.init)
            else:
                syns.append([c, self.init])
                made += 1

    def compute(self, columns, learn):
        prev_active, prev_winners = set(self.active), sorted(self.winners)
        act, match, pot = self.dendrites(prev_active)
        predicted_columns = {self.segments[s][0] // self.cpc for s in act}
        columns = sorted(int(c) for c in columns)
        self.anomaly = (float(F32(sum(c not in predicted_columns for c in columns)) / F32(len(columns)))
                        if columns else 0.0)
        seg_col = lambda s: self.segments[s][0] // self.cpc  # noqa: E731 - snapshot before learning
        act_col = {s: seg_col(s) for s in act}
        match_col = {s: seg_col(s) for s in match}
        cell_of = {s: self.segments[s][0] for s in set(act) | set(match)}
        walk = sorted(set(columns) | set(act_col.values()) | set(match_col.values()))
        active, winners = [], []
        for col in walk:
            col_act = [s for s in act if act_col[s] == col]
            col_match = [s for s in match if match_col[s] == col]
            if col in columns and col_act:
                for s in col_act:
                    if cell_of[s] not in active:
                        active.append(cell_of[s])
                        winners.append(cell_of[s])
                    if learn and self.adapt(s, prev_active, self.inc, -self.dec):
                        if self.max_new - pot[s] > 0:
                            self.grow(s, self.max_new - pot[s], prev_winners)
            elif col in columns:
                active.extend(range(col * self.cpc, (col + 1) * self.cpc))
                best = max(col_match, key=lambda s: pot[s]) if col_match else None
                if best is not None:
                    winner = cell_of[best]
                else:
                    mine = [w for w in prev_winners if w // self.cpc == col]
                    if mine:
                        winner = min(mine)
                    else:
                        cells = list(range(col * self.cpc, (col + 1) * self.cpc))
                        self.rng.shuffle(cells)
                        winner = min(cells, key=lambda c: (len(self.cell_segments(c)), c))
                winners.append(winner)
                if learn and best is not None:
                    if self.adapt(best, prev_active, self.inc, -self.dec) and self.max_new - pot[best] > 0:
                        self.grow(best, self.max_new - pot[best], prev_winners)
                elif learn and prev_winners:
                    s = self.create(winner)
                    self.grow(s, min(self.max_new, len(prev_winners)), prev_winners)
            elif learn and self.psd > 0:
                for s in col_match:
                    self.adapt(s, prev_active, -self.psd, F32(0.0))
        self.active, self.winners = sorted(active), sorted(winners)


def _synapses(tm):
    out = {}
    for cell in range(tm.num_cells):
        for s, syns in tm.segments_of(cell):
            out[s] = (cell, [(p, float(w)) for p, w in syns])
    return out


def _reference_synapses(ref):
    return {s: (cell, [(p, float(w)) for p, w in syns]) for s, (cell, syns) in ref.segments.items()}


PARAMS = [
    # every limit small, punishment on: eviction, max-synapses rule, destruction all fire
    dict(cells_per_column=4, activation_threshold=3, initial_permanence=0.21,
         connected_permanence=0.3, min_threshold=2, max_new_synapse_count=4,
         permanence_increment=0.1, permanence_decrement=0.1, predicted_segment_decrement=0.05,
         max_segments_per_cell=3, max_synapses_per_segment=6, seed=7),
    # activation below the matching threshold, growth requests above the candidates
    dict(cells_per_column=3, activation_threshold=2, initial_permanence=0.5,
         connected_permanence=0.5, min_threshold=3, max_new_synapse_count=9,
         permanence_increment=0.05, permanence_decrement=0.2, predicted_segment_decrement=0.0,
         max_segments_per_cell=2, max_synapses_per_segment=8, seed=0),
]


@pytest.mark.parametrize("params", PARAMS)
def test_matches_the_literal_reading_of_the_spec(params):
    num_columns, n_active = 24, 5
    tm = TemporalMemory(num_columns, **params)
    ref = ReferenceTM(num_columns, **params)
    gen = np.random.default_rng(params["seed"])
    patterns = [np.sort(gen.choice(num_columns, n_active, replace=False)) for _ in range(8)]
    for step in range(500):
        if gen.random() < 0.03:
            tm.reset()
            ref.reset()
        cols = patterns[gen.integers(len(patterns))] if gen.random() < 0.8 else \
            np.sort(gen.choice(num_columns, gen.integers(0, n_active + 2), replace=False))
        learn = gen.random() < 0.9
        tm.compute(cols, learn=learn)
        ref.compute(cols, learn)
        assert tm.active_cells.tolist() == ref.active, step
        assert tm.winner_cells.tolist() == ref.winners, step
        assert tm.predictive_cells.tolist() == ref.predictive_cells(), step
        assert tm.anomaly == ref.anomaly, step
        if step % 50 == 49:
            assert _synapses(tm) == _reference_synapses(ref), step
    assert tm.num_segments() == len(ref.segments) > 20
    assert tm.state_dict()["rng"] == ref.rng.state_dict()
