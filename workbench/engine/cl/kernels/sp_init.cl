// Spatial Pooler initialisation: the per-column Fisher-Yates shuffles of the potential-pool
// sample (HTM_SPEC.md, "Numbers and randomness": for i = n-1 .. 1 swap a[i] with
// a[draw % (i + 1)]). Host side: workbench/engine/htm/sp_init.py.
//
// One work item per column walks its own row sequentially (a row stays in cache), which is the
// shuffle's natural order; numpy can only run all rows in lock-step, one position at a time,
// which is bound by memory latency at large widths. Integer work only: identical results.
__kernel void sp_shuffle_rows(__global int *pools, const uint width, const uint rows,
                              __global const uint *draws, __global const ulong *first_draw,
                              __global const int *counts)
{
    const uint r = get_global_id(0);
    if (r >= rows) return;
    __global int *row = pools + (size_t)r * width;
    __global const uint *draw = draws + first_draw[r];
    for (int i = counts[r] - 1; i >= 1; --i, ++draw) {
        const uint j = *draw % (uint)(i + 1);
        const int held = row[i];
        row[i] = row[j];
        row[j] = held;
    }
}
