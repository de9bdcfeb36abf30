// Temporal Memory dendrite activity on the device (HTM_SPEC.md "Temporal Memory", step 1).
// The segment pool is mirrored row for row: pre[row * width + slot] (presynaptic cell),
// perm[...] (float32 permanence), count[row] live synapses packed at the front of the row.
// Each step the host sends one int buffer, `staged`: the active cells (a of them), then the k
// rows that learning changed: k row indices, k counts, k*width cells, k*width permanence bits.
// One work item per segment then counts the synapses whose presynaptic cell is active (active
// potential) and, of those, the connected ones (perm >= the connected threshold, which the host
// has already lowered by 1e-6). Segments with at least `lowest` active potential synapses are
// appended to `found` after its counter found[0], as (segment, connected, potential) triples;
// the order of the appends varies from run to run, so the host sorts them by segment.
// Only integer counts, copies and float32 compares: results equal numpy's exactly.
#pragma OPENCL FP_CONTRACT OFF

__kernel void tm_mark_active(const int n, __global const int* staged, __global uchar* active) {
    const int g = get_global_id(0);
    if (g >= n) return;
    active[staged[g]] = 1;
}

// One work item per slot of the changed rows: n = k * width; `base` skips the active cells.
__kernel void tm_write_rows(const int n, const int width, const int k, const int base,
                            __global const int* staged, __global int* pre,
                            __global float* perm, __global int* count) {
    const int g = get_global_id(0);
    if (g >= n) return;
    __global const int* rows = staged + base;
    const int r = g / width;
    const long dst = (long)rows[r] * width + (g - r * width);
    pre[dst] = rows[2 * k + g];
    perm[dst] = as_float(rows[2 * k + n + g]);
    if (g == r * width) count[rows[r]] = rows[k + r];
}

__kernel void tm_segment_activity(const int n, const int width, __global const int* pre,
                                  __global const float* perm, __global const int* count,
                                  __global const uchar* active, const float connected,
                                  const int lowest, volatile __global int* found) {
    const int row = get_global_id(0);
    if (row >= n) return;
    const int live = count[row];
    const long base = (long)row * width;
    int potential = 0;
    int connected_count = 0;
    for (int slot = 0; slot < live; ++slot) {
        if (active[pre[base + slot]]) {
            ++potential;
            connected_count += perm[base + slot] >= connected;
        }
    }
    if (potential >= lowest) {
        const int i = atomic_inc(found);
        found[1 + 3 * i] = row;
        found[2 + 3 * i] = connected_count;
        found[3 + 3 * i] = potential;
    }
}
