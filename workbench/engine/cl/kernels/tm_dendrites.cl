// Temporal Memory dendrite activity on the device (HTM_SPEC.md "Temporal Memory", step 1),
// counted presynaptically: from the active cells to the synapses they feed. The inference
// step's other kernels, which read and write the same buffers, are in tm_infer.cl.
//
// `bins` mirrors the host's presynaptic index (tm_dendrites.py), one int per entry: the
// entry's bin, 2 * (segment + 1) + connected, 0 for an empty or removed entry, in one block per
// presynaptic cell; `bounds` mirrors where each cell's block starts and how many entries it
// holds (bounds[2 * cell], bounds[2 * cell + 1]). `owner` mirrors each segment's cell and
// `segments_per_cell` each cell's segment count (what the least-used winner reads).
//
// Each step the host sends one int buffer, `staged`: the changes of the mirrors (k bins and
// their k positions, m cells with their m block starts and m lengths, o segments with their o
// owners, c cells with their c segment counts, w winner cells with the w clocks of their
// steps: the lowest winner of each column a host step chose), then, on an inference step, the
// n active columns, then at `lists` the active cells: a header [p, b], then p single cells
// (those of predicted columns) from lists + 2, then b bursting columns, each standing for its
// CPC cells, from lists + 2 + P (a host step sends them, P = p; an inference step sends the
// header as [0, 0] and tm_activate appends to it, P = n * CPC, then tm_winners writes each
// column's winner, or -1 for a predicted one, at lists + 2 + P + n).
//
// tm_index_count adds each entry of the active cells' blocks to its segment's packed counter
// (active potential in the low 16 bits, active connected in the high 16: one atomic per
// synapse). tm_index_collect visits the same entries again; each takes its segment's counter
// with an atomic exchange for 0, so exactly one of them gets the counts and every counter is
// 0 again for the next step without a clear. Segments with at least `lowest` active potential
// synapses are appended to `found` after its counter found[0] (which tm_index_count's first
// work item zeroes) and found[1] (tm_winners' tally), as (segment, connected, potential)
// triples; the order of the appends varies from run to run (the host sorts them). The cell of
// an active segment (at least `active_at` active connected synapses) gets `pred_stamp` = the
// step's clock: the next step reads a cell as predictive when its stamp is the clock before
// its own, so nothing needs clearing (the clock ticks once a step and once more at a reset).
// tm_index_scan replaces tm_index_collect on a GPU, and on a CPU when the active cells have
// many entries for the rows in use (the host chooses, tm_dendrites_cl.py): it reads every
// counter of the rows in use once (4 bytes a row, coalesced) instead of visiting the entries
// again with an atomic exchange each, which contend when many active cells feed the same
// segments.
// LANES work items share each active cell (one on a CPU, where a plain loop over a block is
// fastest; several on a GPU, so that neighbouring work items read neighbouring entries and a
// cell that feeds many segments is not one work item's long loop).
// Only integer counts, comparisons and copies: results equal numpy's exactly.

// n = k + m + o + c + w work items; a position, cell or segment written twice in a step
// carries its final value both times.
__kernel void tm_index_apply(const int n, const int k, const int m, const int o, const int c,
                             const int cpc, __global const int* staged,
                             __global int* bins, __global int* bounds, __global int* owner,
                             __global int* segments_per_cell, __global int* winner_of,
                             __global int* winner_step) {
    int i = get_global_id(0);
    if (i >= n) return;
    if (i < k) {
        bins[staged[k + i]] = staged[i];
        return;
    }
    staged += 2 * k;
    i -= k;
    if (i < m) {
        bounds[2 * staged[i]] = staged[m + i];
        bounds[2 * staged[i] + 1] = staged[2 * m + i];
        return;
    }
    staged += 3 * m;
    i -= m;
    if (i < o) {
        owner[staged[i]] = staged[o + i];
        return;
    }
    staged += 2 * o;
    i -= o;
    if (i < c) {
        segments_per_cell[staged[i]] = staged[c + i];
        return;
    }
    staged += 2 * c;
    i -= c;
    const int w = n - k - m - o - c;
    winner_of[staged[i] / cpc] = staged[i];
    winner_step[staged[i] / cpc] = staged[w + i];
}

static void found_segment(const int segment, const int packed, const int lowest,
                          const int active_at, const int clock, __global const int* owner,
                          __global int* pred_stamp, volatile __global int* found) {
    const int potential = packed & 0xFFFF;
    if (potential < lowest) return;  // also an entry that found the counter already taken
    const int connected = (int)((uint)packed >> 16);  // up to 65535: the sign bit is a count's
    const int i = atomic_inc(found);
    found[2 + 3 * i] = segment;
    found[3 + 3 * i] = connected;
    found[4 + 3 * i] = potential;
    if (connected >= active_at) pred_stamp[owner[segment]] = clock;
}

// The active cell work item g visits: lane g % LANES of active cell i = g / LANES (the i-th
// single cell, or cell (i - p) % cpc of bursting column (i - p) / cpc), -1 past the last one.
static int active_cell(const int g, __global const int* lists, const int P, const int cpc) {
    const int i = g / LANES, p = lists[0];
    if (i < p) return lists[2 + i];
    const int j = i - p;
    if (j >= lists[1] * cpc) return -1;
    return lists[2 + P + j / cpc] * cpc + j % cpc;
}

// n >= (p + b * cpc) * LANES work items (on an inference step the host knows only a bound).
__kernel void tm_index_count(const int n, const int lists_at, const int P, const int cpc,
                             __global const int* staged, __global const int* bounds,
                             __global const int* bins, volatile __global int* counters,
                             volatile __global int* found) {
    const int g = get_global_id(0);
    if (g == 0) found[0] = 0;
    if (g >= n) return;
    const int cell = active_cell(g, staged + lists_at, P, cpc);
    if (cell < 0) return;
    const int start = bounds[2 * cell], length = bounds[2 * cell + 1];
    for (int j = g % LANES; j < length; j += LANES) {
        const int bin = bins[start + j];
        if (bin != 0) atomic_add(counters + (bin >> 1) - 1, 1 + ((bin & 1) << 16));
    }
}

__kernel void tm_index_collect(const int n, const int lists_at, const int P, const int cpc,
                               const int lowest, const int active_at, const int clock,
                               __global const int* staged, __global const int* bounds,
                               __global const int* bins, volatile __global int* counters,
                               __global const int* owner, __global int* pred_stamp,
                               volatile __global int* found) {
    const int g = get_global_id(0);
    if (g >= n) return;
    const int cell = active_cell(g, staged + lists_at, P, cpc);
    if (cell < 0) return;
    const int start = bounds[2 * cell], length = bounds[2 * cell + 1];
    for (int j = g % LANES; j < length; j += LANES) {
        const int bin = bins[start + j];
        if (bin == 0) continue;
        const int segment = (bin >> 1) - 1;
        found_segment(segment, atomic_xchg(counters + segment, 0), lowest, active_at, clock,
                      owner, pred_stamp, found);
    }
}

// n = the rows in use; one work item per row's counter.
__kernel void tm_index_scan(const int n, const int lowest, const int active_at, const int clock,
                            volatile __global int* counters, __global const int* owner,
                            __global int* pred_stamp, volatile __global int* found) {
    const int g = get_global_id(0);
    if (g >= n) return;
    const int packed = counters[g];
    if (packed == 0) return;
    counters[g] = 0;
    found_segment(g, packed, lowest, active_at, clock, owner, pred_stamp, found);
}
