// The Temporal Memory's inference step on the device (HTM_SPEC.md "Temporal Memory", steps
// 2-3 without learning): activation and the bursting columns' winners, between an upload of
// the active columns and the next dendrite count (tm_dendrites.cl, whose header describes the
// staged buffer and the found list these kernels read and write). Host side:
// workbench/engine/htm/tm_dendrites_cl.py. In a file of its own because tm_best_matching
// needs 64-bit atomics: a device without them still counts dendrites, and its inference steps
// are walked on the host.
// Only integer comparisons and copies: results equal numpy's exactly.

#pragma OPENCL EXTENSION cl_khr_int64_extended_atomics : enable

// One work item per active column (n): a column with a cell predicted by the last count
// (pred_stamp == clock - 1) activates those cells, and its lowest one is the column's winner
// to remember; any other column bursts: it is listed, stamped, and its best matching key
// cleared for tm_best_matching.
__kernel void tm_activate(const int n, const int cols_at, const int lists_at, const int cpc,
                          const int clock, volatile __global int* staged,
                          __global const int* pred_stamp, __global int* burst_stamp,
                          __global ulong* best_key, __global int* winner_of,
                          __global int* winner_step) {
    const int g = get_global_id(0);
    if (g >= n) return;
    const int col = staged[cols_at + g], first = col * cpc;
    volatile __global int* lists = staged + lists_at;
    int predicted = 0;
    for (int l = 0; l < cpc; ++l) predicted += pred_stamp[first + l] == clock - 1;
    if (predicted) {
        int at = 2 + atomic_add(lists, predicted);
        for (int l = 0; l < cpc; ++l)
            if (pred_stamp[first + l] == clock - 1) lists[at++] = first + l;
        for (int l = 0; l < cpc; ++l)
            if (pred_stamp[first + l] == clock - 1) { winner_of[col] = first + l; break; }
        winner_step[col] = clock;
    } else {
        lists[2 + n * cpc + atomic_inc(lists + 1)] = col;
        burst_stamp[col] = clock;
        best_key[col] = ULONG_MAX;
    }
}

// Over the last count's found segments (found[0] of them, however many work items there are):
// a matching one (at least `min_threshold` active potential synapses) of a bursting column
// competes for its column's best key: most active potential synapses, then lowest cell, then
// lowest segment (HTM_SPEC.md: first in (cell, segment) order), packed so that the smallest
// key wins.
__kernel void tm_best_matching(const int cpc, const int clock, const int min_threshold,
                               __global const int* found, __global const int* owner,
                               __global const int* burst_stamp, volatile __global ulong* best_key) {
    const int total = found[0];
    for (int i = get_global_id(0); i < total; i += get_global_size(0)) {
        const int segment = found[2 + 3 * i], potential = found[4 + 3 * i];
        if (potential < min_threshold) continue;
        const int cell = owner[segment], col = cell / cpc;
        if (burst_stamp[col] != clock) continue;
        const ulong key = ((ulong)(0xFFFF - potential) << 48) | ((ulong)(cell - col * cpc) << 32)
                          | (ulong)(uint)segment;
        atom_min(best_key + col, key);
    }
}

// One work item per active column (n): a bursting column's winner is the cell of its best
// matching segment, else the previous step's (lowest) winner in the column, else its least
// used cell (fewest segments, lowest index), whose choice spends cpc - 1 of the TM's random
// draws on the host: the tally found[1] counts those choices for it (it is read with the found
// list) and `least_used_step` stamps the column with the clock (what the resident TM's
// learning reads, tm_resident.cl). The winner is written at lists + 2 + P + n + g (-1 for a
// predicted column) and remembered for the next step.
__kernel void tm_winners(const int n, const int cols_at, const int lists_at, const int cpc,
                         const int clock, __global int* staged, __global const int* burst_stamp,
                         __global const ulong* best_key, __global int* winner_of,
                         __global int* winner_step, __global const int* segments_per_cell,
                         volatile __global int* found, __global int* least_used_step) {
    const int g = get_global_id(0);
    if (g >= n) return;
    const int col = staged[cols_at + g];
    __global int* winners = staged + lists_at + 2 + n * cpc + n;
    if (burst_stamp[col] != clock) {
        winners[g] = -1;
        return;
    }
    const ulong key = best_key[col];
    int winner;
    if (key != ULONG_MAX) {
        winner = col * cpc + (int)((key >> 32) & 0xFFFF);
    } else if (winner_step[col] == clock - 1) {
        winner = winner_of[col];
    } else {
        winner = col * cpc;
        for (int cell = col * cpc + 1; cell < (col + 1) * cpc; ++cell)
            if (segments_per_cell[cell] < segments_per_cell[winner]) winner = cell;
        atomic_inc(found + 1);
        least_used_step[col] = clock;
    }
    winner_of[col] = winner;
    winner_step[col] = clock;
    winners[g] = winner;
}
