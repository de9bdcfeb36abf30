// Fisher-Yates shuffles of many rows at once (HTM_SPEC.md, "Numbers and randomness": for
// i = n-1 .. 1 swap a[i] with a[draw % (i + 1)]): the Spatial Pooler's potential pools at
// initialisation, the Temporal Memory's growth candidates each learning step. Host side:
// workbench/engine/htm/shuffles.py.
//
// One work item per row walks it sequentially (a row stays in cache), which is the shuffle's
// natural order; numpy can only run all rows in lock-step, one position at a time, which is
// bound by memory latency at large widths. Integer work only: identical results.
// With `identity` set, each row is first written as 0 .. width-1 here (nothing to upload).
// Only the first `keep` positions are wanted (copied to `kept`, keep per row, unless keep is
// the width: then `kept` is `pools` and the rows are the result): the walk settles position i
// at its step i, so a step past them only moves the value at i to its partner.
__kernel void shuffle_rows(__global int *pools, const uint width, const uint rows,
                           const int identity, __global const uint *draws,
                           __global const ulong *first_draw, __global const int *counts,
                           const uint keep, __global int *kept)
{
    const uint r = get_global_id(0);
    if (r >= rows) return;
    __global int *row = pools + (size_t)r * width;
    if (identity)
        for (uint k = 0; k < width; ++k) row[k] = (int)k;
    __global const uint *draw = draws + first_draw[r];
    int i = counts[r] - 1;
    for (; i >= (int)keep; --i, ++draw)
        row[*draw % (uint)(i + 1)] = row[i];
    for (; i >= 1; --i, ++draw) {
        const uint j = *draw % (uint)(i + 1);
        const int held = row[i];
        row[i] = row[j];
        row[j] = held;
    }
    if (keep < width)
        for (uint k = 0; k < keep; ++k) kept[(size_t)r * keep + k] = row[k];
}
