// Reductions over one axis of a tensor seen as (outer, R, inner). The reduced axis is split into
// C chunks of `chunk` rows; a pass writes out[(o*C + c)*inner + i] and the host repeats passes
// until one chunk is left. Splitting long axes keeps every core busy on an all-reduce and
// bounds float32 summation error. Work-item (item, c): dimension 1 is the chunk.
// Defines: T, INIT, COMBINE(acc, v); for argmax, ARGMAX, ISNAN(v) and HAS_IDX (first maximum;
// a NaN counts as the maximum, as in numpy; with HAS_IDX, idx_in holds the indices found by
// the previous pass, else an element's index is its row r).
//
// Two layouts. Without LANES (GPUs): one work-item per output element, neighbours reading
// neighbouring addresses. With LANES (CPUs): a work-item keeps LANES partial results in
// registers, either for LANES neighbouring columns (inner > 1) or, for a contiguous row
// (inner == 1), for the elements r = j (mod LANES); the compiler turns those into vector
// operations, which PoCL cannot do across work-items for a loop inside a kernel.

#define CHUNK_BOUNDS                                   \
    const int c = get_global_id(1);                    \
    const int C = get_global_size(1);                  \
    const int begin = c * chunk;                       \
    const int end = min(R, begin + chunk);

#ifndef ARGMAX
#ifndef LANES
__kernel void reduce_axis(const int outer, const int R, const int inner, const int chunk,
                          __global const T* x, __global T* out) {
    const int oi = get_global_id(0);
    if (oi >= outer * inner) return;
    CHUNK_BOUNDS
    const int o = oi / inner, i = oi % inner;
    __global const T* p = x + ((long)o * R) * inner + i;
    T acc = INIT;
    for (int r = begin; r < end; ++r) {
        const T v = p[(long)r * inner];
        acc = COMBINE(acc, v);
    }
    out[((long)o * C + c) * inner + i] = acc;
}
#else
__kernel void reduce_lanes(const int outer, const int R, const int inner, const int chunk,
                           __global const T* x, __global T* out) {
    const int blocks = (inner + LANES - 1) / LANES;
    const int ob = get_global_id(0);
    if (ob >= outer * blocks) return;
    CHUNK_BOUNDS
    const int o = ob / blocks, i0 = (ob % blocks) * LANES;
    __global const T* p = x + (long)o * R * inner + i0;
    __global T* q = out + ((long)o * C + c) * inner + i0;
    T lane[LANES];
    #pragma unroll
    for (int j = 0; j < LANES; ++j) lane[j] = INIT;
    if (inner == 1) {
        int r = begin;
        for (; r + LANES <= end; r += LANES) {
            #pragma unroll
            for (int j = 0; j < LANES; ++j) lane[j] = COMBINE(lane[j], p[r + j]);
        }
        T acc = INIT;
        for (; r < end; ++r) acc = COMBINE(acc, p[r]);
        #pragma unroll
        for (int j = 0; j < LANES; ++j) acc = COMBINE(acc, lane[j]);
        q[0] = acc;
    } else if (i0 + LANES <= inner) {
        for (int r = begin; r < end; ++r) {
            #pragma unroll
            for (int j = 0; j < LANES; ++j) lane[j] = COMBINE(lane[j], p[(long)r * inner + j]);
        }
        #pragma unroll
        for (int j = 0; j < LANES; ++j) q[j] = lane[j];
    } else {
        for (int j = 0; j < inner - i0; ++j) {
            T acc = INIT;
            for (int r = begin; r < end; ++r) acc = COMBINE(acc, p[(long)r * inner + j]);
            q[j] = acc;
        }
    }
}
#endif
#else
#if HAS_IDX
#define INDEX(pos, r) idx_in[pos]
#else
#define INDEX(pos, r) (r)
#endif

// Whether (v, vi) beats (best, bi): a NaN beats numbers, ties go to the smaller index.
// Written with bitwise operators so it compiles to selects, which vectorise, not branches.
#define BEATS(v, vi, best, bi)                                                        \
    ((ISNAN(best) & ISNAN(v) & ((vi) < (bi))) |                                        \
     (!ISNAN(best) & (ISNAN(v) | ((v) > (best)) | (((v) == (best)) & ((vi) < (bi))))))

#ifndef LANES
__kernel void argmax_axis(const int outer, const int R, const int inner, const int chunk,
                          __global const T* x, __global const int* idx_in,
                          __global T* out_val, __global int* out_idx) {
    const int oi = get_global_id(0);
    if (oi >= outer * inner) return;
    CHUNK_BOUNDS
    const int o = oi / inner, i = oi % inner;
    const long base = ((long)o * R) * inner + i;
    T best = x[base + (long)begin * inner];
    int best_i = INDEX(base + (long)begin * inner, begin);
    for (int r = begin + 1; r < end; ++r) {
        const T v = x[base + (long)r * inner];
        const int vi = INDEX(base + (long)r * inner, r);
        if (BEATS(v, vi, best, best_i)) { best = v; best_i = vi; }
    }
    out_val[((long)o * C + c) * inner + i] = best;
    out_idx[((long)o * C + c) * inner + i] = best_i;
}
#else
__kernel void argmax_lanes(const int outer, const int R, const int inner, const int chunk,
                           __global const T* x, __global const int* idx_in,
                           __global T* out_val, __global int* out_idx) {
    const int blocks = (inner + LANES - 1) / LANES;
    const int ob = get_global_id(0);
    if (ob >= outer * blocks) return;
    CHUNK_BOUNDS
    const int o = ob / blocks, i0 = (ob % blocks) * LANES;
    const long base = (long)o * R * inner + i0;
    const long dst = ((long)o * C + c) * inner + i0;
    T lane[LANES];
    int lane_i[LANES];
    if (inner == 1) {
        // Lane j takes the elements begin + j (mod LANES); each lane keeps its own first maximum
        // and the lanes are merged with the same rule, so any split gives numpy's answer.
        #pragma unroll
        for (int j = 0; j < LANES; ++j) {
            const int r = begin + j < end ? begin + j : begin;
            lane[j] = x[base + r];
            lane_i[j] = INDEX(base + r, r);
        }
        int r = begin + LANES;
        for (; r + LANES <= end; r += LANES) {
            #pragma unroll
            for (int j = 0; j < LANES; ++j) {
                const T v = x[base + r + j];
                const int vi = INDEX(base + r + j, r + j);
                const int take = BEATS(v, vi, lane[j], lane_i[j]);
                lane[j] = take ? v : lane[j];
                lane_i[j] = take ? vi : lane_i[j];
            }
        }
        for (; r < end; ++r) {
            const T v = x[base + r];
            const int vi = INDEX(base + r, r);
            if (BEATS(v, vi, lane[0], lane_i[0])) { lane[0] = v; lane_i[0] = vi; }
        }
        #pragma unroll
        for (int j = 1; j < LANES; ++j)
            if (BEATS(lane[j], lane_i[j], lane[0], lane_i[0])) { lane[0] = lane[j]; lane_i[0] = lane_i[j]; }
        out_val[dst] = lane[0];
        out_idx[dst] = lane_i[0];
    } else if (i0 + LANES <= inner) {
        #pragma unroll
        for (int j = 0; j < LANES; ++j) {
            lane[j] = x[base + (long)begin * inner + j];
            lane_i[j] = INDEX(base + (long)begin * inner + j, begin);
        }
        for (int r = begin + 1; r < end; ++r) {
            #pragma unroll
            for (int j = 0; j < LANES; ++j) {
                const long pos = base + (long)r * inner + j;
                const T v = x[pos];
                const int vi = INDEX(pos, r);
                const int take = BEATS(v, vi, lane[j], lane_i[j]);
                lane[j] = take ? v : lane[j];
                lane_i[j] = take ? vi : lane_i[j];
            }
        }
        #pragma unroll
        for (int j = 0; j < LANES; ++j) { out_val[dst + j] = lane[j]; out_idx[dst + j] = lane_i[j]; }
    } else {
        for (int j = 0; j < inner - i0; ++j) {
            const long at = base + (long)begin * inner + j;
            T best = x[at];
            int best_i = INDEX(at, begin);
            for (int r = begin + 1; r < end; ++r) {
                const long pos = base + (long)r * inner + j;
                const T v = x[pos];
                const int vi = INDEX(pos, r);
                if (BEATS(v, vi, best, best_i)) { best = v; best_i = vi; }
            }
            out_val[dst + j] = best;
            out_idx[dst + j] = best_i;
        }
    }
}
#endif
#endif
