// Reductions over one axis of a tensor seen as (outer, R, inner). Work-item (o*inner + i, c)
// reduces rows [c*chunk, min(R, (c+1)*chunk)) and writes out[(o*C + c)*inner + i], C being the
// number of chunks; the host repeats passes until one chunk is left. Splitting long axes into
// chunks keeps every core busy on an all-reduce and bounds float32 summation error.
// Defines: T, INIT, COMBINE(acc, v); for argmax, ARGMAX and ISNAN(x).

#ifndef ARGMAX
__kernel void reduce_axis(const int outer, const int R, const int inner, const int chunk,
                          __global const T* x, __global T* out) {
    const int oi = get_global_id(0);
    const int c = get_global_id(1);
    const int C = get_global_size(1);
    if (oi >= outer * inner) return;
    const int o = oi / inner, i = oi % inner;
    const int begin = c * chunk;
    const int end = min(R, begin + chunk);
    __global const T* p = x + ((long)o * R) * inner + i;
    T acc = INIT;
    for (int r = begin; r < end; ++r) {
        const T v = p[(long)r * inner];
        acc = COMBINE(acc, v);
    }
    out[((long)o * C + c) * inner + i] = acc;
}
#else
// First maximum (a NaN counts as the maximum, as in numpy). idx_in is null on the first pass.
__kernel void argmax_axis(const int outer, const int R, const int inner, const int chunk,
                          __global const T* x, __global const int* idx_in, const int has_idx,
                          __global T* out_val, __global int* out_idx) {
    const int oi = get_global_id(0);
    const int c = get_global_id(1);
    const int C = get_global_size(1);
    if (oi >= outer * inner) return;
    const int o = oi / inner, i = oi % inner;
    const int begin = c * chunk;
    const int end = min(R, begin + chunk);
    const long base = ((long)o * R) * inner + i;
    T best = x[base + (long)begin * inner];
    int best_i = has_idx ? idx_in[base + (long)begin * inner] : begin;
    for (int r = begin + 1; r < end; ++r) {
        const T v = x[base + (long)r * inner];
        if (!ISNAN(best) && (ISNAN(v) || v > best)) {
            best = v;
            best_i = has_idx ? idx_in[base + (long)r * inner] : r;
        }
    }
    out_val[((long)o * C + c) * inner + i] = best;
    out_idx[((long)o * C + c) * inner + i] = best_i;
}
#endif
