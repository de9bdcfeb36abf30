// Temporal Memory dendrite activity on the device (HTM_SPEC.md "Temporal Memory", step 1),
// counted presynaptically: from the active cells to the synapses they feed.
//
// `bins` mirrors the host's presynaptic index (tm_dendrites.py), one int per entry: the
// entry's bin, 2 * (segment + 1) + connected, 0 for an empty or removed entry, in one block per
// presynaptic cell; `bounds` mirrors where each cell's block starts and how many entries it
// holds (bounds[2 * cell], bounds[2 * cell + 1]). Each step the host sends one int buffer,
// `staged`: k changed bins, then their k positions, then m cells whose bounds changed, their
// m starts and m lengths; at `cells_at`, the active cells as p single cells (those of
// predicted columns) followed by the bursting columns, each standing for its CPC cells.
// tm_index_apply writes the changed bins and bounds. tm_index_count adds each entry of the
// active cells' blocks to its segment's packed counter (active potential in the low 16 bits,
// active connected in the high 16: one atomic per synapse). tm_index_collect visits the same
// entries again; each takes its segment's counter with an atomic exchange for 0, so exactly
// one of them gets the counts and every counter is 0 again for the next step without a clear.
// Segments with at least `lowest` active potential synapses are appended to `found` after its
// counter found[0] (which tm_index_count's first work item zeroes), as (segment, connected,
// potential) triples; the order of the appends varies from run to run (the host sorts them).
// On a GPU, tm_index_scan replaces tm_index_collect: it reads every counter of the rows in use
// once (4 bytes a row, coalesced) instead of visiting the entries again with an atomic
// exchange each, which contend when many active cells feed the same segments (at 262,144
// columns half a million entries for 5,000 segments found); on a CPU the walk is cheaper.
// LANES work items share each active cell (one on a CPU, where a plain loop over a block is
// fastest; several on a GPU, so that neighbouring work items read neighbouring entries and a
// cell that feeds many segments is not one work item's long loop).
// Only integer counts and copies: results equal numpy's exactly.

// n = k + m work items; a position or cell written twice in a step carries its final value
// both times.
__kernel void tm_index_apply(const int n, const int k, __global const int* staged,
                             __global int* bins, __global int* bounds) {
    const int g = get_global_id(0);
    if (g >= n) return;
    if (g < k) {
        bins[staged[k + g]] = staged[g];
    } else {
        const int m = n - k, i = g - k;
        __global const int* cells = staged + 2 * k;
        bounds[2 * cells[i]] = cells[m + i];
        bounds[2 * cells[i] + 1] = cells[2 * m + i];
    }
}

static void take(const int segment, volatile __global int* counters, const int lowest,
                 volatile __global int* found) {
    const int packed = atomic_xchg(counters + segment, 0);
    const int potential = packed & 0xFFFF;
    if (potential < lowest) return;  // also an entry that found the counter already taken
    const int i = atomic_inc(found);
    found[1 + 3 * i] = segment;
    found[2 + 3 * i] = packed >> 16;
    found[3 + 3 * i] = potential;
}

// Work item g is lane g % LANES of active cell i = g / LANES (the i-th single cell, or cell
// (i - p) % cpc of bursting column (i - p) / cpc) and visits the cell's entries lane,
// lane + LANES, ...: each is added to its segment's counter or (taking) its segment's counter
// is taken. Empty entries are skipped.
static void visit_cell(const int taking, const int g, __global const int* active, const int p,
                       const int cpc, __global const int* bounds, __global const int* bins,
                       volatile __global int* counters, const int lowest,
                       volatile __global int* found) {
    const int i = g / LANES;
    const int cell = i < p ? active[i] : active[p + (i - p) / cpc] * cpc + (i - p) % cpc;
    const int start = bounds[2 * cell];
    const int length = bounds[2 * cell + 1];
    for (int j = g - i * LANES; j < length; j += LANES) {
        const int bin = bins[start + j];
        if (bin == 0) continue;
        const int segment = (bin >> 1) - 1;
        if (taking) take(segment, counters, lowest, found);
        else atomic_add(counters + segment, 1 + ((bin & 1) << 16));
    }
}

// n = (p + bursting columns * cpc) * LANES work items.
__kernel void tm_index_count(const int n, const int cells_at, const int p, const int cpc,
                             __global const int* staged, __global const int* bounds,
                             __global const int* bins, volatile __global int* counters,
                             volatile __global int* found) {
    const int g = get_global_id(0);
    if (g == 0) found[0] = 0;
    if (g >= n) return;
    visit_cell(0, g, staged + cells_at, p, cpc, bounds, bins, counters, 0, found);
}

__kernel void tm_index_collect(const int n, const int cells_at, const int p, const int cpc,
                               const int lowest, __global const int* staged,
                               __global const int* bounds, __global const int* bins,
                               volatile __global int* counters, volatile __global int* found) {
    const int g = get_global_id(0);
    if (g >= n) return;
    visit_cell(1, g, staged + cells_at, p, cpc, bounds, bins, counters, lowest, found);
}

// n = the rows in use; one work item per row's counter.
__kernel void tm_index_scan(const int n, const int lowest, volatile __global int* counters,
                            volatile __global int* found) {
    const int g = get_global_id(0);
    if (g >= n) return;
    const int packed = counters[g];
    if (packed == 0) return;
    counters[g] = 0;
    const int potential = packed & 0xFFFF;
    if (potential < lowest) return;
    const int i = atomic_inc(found);
    found[1 + 3 * i] = g;
    found[2 + 3 * i] = packed >> 16;
    found[3 + 3 * i] = potential;
}
