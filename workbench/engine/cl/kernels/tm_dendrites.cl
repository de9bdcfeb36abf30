// Temporal Memory dendrite activity on the device (HTM_SPEC.md "Temporal Memory", step 1),
// counted presynaptically: from the active cells to the synapses they feed.
//
// `entries` mirrors the host's presynaptic index (tm_dendrites.py): one long per synapse,
// ((segment + 1) << 1 | connected) << slot_bits | slot, 0 for an empty or removed entry, in
// one block per presynaptic cell. Each step the host sends one int buffer, `staged`:
//   k changed entries (longs, first, so they are 8-byte aligned), then their k positions;
//   at `cells_at`, for the a active cells, base[a] then end[a]: the active cells' blocks laid
//   end to end hold n = end[a - 1] "reached" entries; reached entry g belongs to the first
//   cell i with end[i] > g and sits at entries[base[i] + g].
// tm_index_apply writes the changed entries. tm_index_count adds each reached entry to its
// segment's packed counter (active potential in the low 16 bits, active connected in the
// high 16: one atomic per synapse), one work item per CHUNK consecutive reached entries (a
// balanced share however long the blocks, and one binary search per share rather than per
// entry, which PoCL runs slowly). tm_index_collect visits the same entries again; each takes
// its segment's counter with an atomic exchange for 0, so exactly one of them gets the counts
// and every counter is 0 again for the next step without a clear. Segments with at least
// `lowest` active potential synapses are appended to `found` after its counter found[0] (which
// tm_index_count's first work item zeroes), as (segment, connected, potential) triples; the
// order of the appends varies from run to run, so the host sorts them by segment.
// Only integer counts and copies: results equal numpy's exactly.

__kernel void tm_index_apply(const int n, __global const int* staged, __global long* entries) {
    const int g = get_global_id(0);
    if (g >= n) return;
    // a position written twice in a step carries its final value both times
    entries[staged[2 * n + g]] = ((__global const long*)staged)[g];
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

// Work item w's share of the reached entries, w * CHUNK .. min(w * CHUNK + CHUNK, n) - 1, in
// order: one binary search finds the cell of the first, then the walk moves on cell by cell
// (past cells with no entry); empty entries are skipped. Each entry is added to its segment's
// counter, or (taking) its segment's counter is taken.
static void visit_share(const int taking, const int w, const int n, const int a,
                        __global const int* base, __global const long* entries,
                        const int slot_bits, volatile __global int* counters, const int lowest,
                        volatile __global int* found) {
    __global const int* end = base + a;
    const int first = w * CHUNK;
    int lo = 0, hi = a - 1;  // the first cell i with end[i] > first; end[a - 1] = n > first
    while (lo < hi) {
        const int mid = (lo + hi) >> 1;
        if (end[mid] > first) hi = mid; else lo = mid + 1;
    }
    const int stop = min(first + CHUNK, n);
    for (int g = first, i = lo; g < stop; ++g) {
        while (end[i] <= g) ++i;
        const long bin = entries[base[i] + g] >> slot_bits;
        if (bin == 0) continue;
        const int segment = (int)(bin >> 1) - 1;
        if (taking) take(segment, counters, lowest, found);
        else atomic_add(counters + segment, 1 + ((int)(bin & 1) << 16));
    }
}

// One work item per CHUNK reached entries: n_items = ceil(n / CHUNK).
__kernel void tm_index_count(const int n_items, const int n, const int a, const int cells_at,
                             const int slot_bits, __global const int* staged,
                             __global const long* entries, volatile __global int* counters,
                             volatile __global int* found) {
    const int w = get_global_id(0);
    if (w == 0) found[0] = 0;
    if (w >= n_items) return;
    visit_share(0, w, n, a, staged + cells_at, entries, slot_bits, counters, 0, found);
}

__kernel void tm_index_collect(const int n_items, const int n, const int a, const int cells_at,
                               const int slot_bits, const int lowest, __global const int* staged,
                               __global const long* entries, volatile __global int* counters,
                               volatile __global int* found) {
    const int w = get_global_id(0);
    if (w >= n_items) return;
    visit_share(1, w, n, a, staged + cells_at, entries, slot_bits, counters, lowest, found);
}
