// Gather and scatter-add along one axis of a tensor seen as (outer, A, inner), with J indices:
// take:     out[o, j, i] = x[o, idx[j], i]            (numpy's take)
//           out[o, j, i] = x[o, idx[o, j, i], i]      (ALONG: numpy's take_along_axis)
// scatter:  out[o, idx[...], i] += src[o, j, i], atomically so repeated indices accumulate.
// Negative indices count from the end (numpy's rule); indices still out of range read as 0 and
// are not scattered (the host checks host-side indices).
// A 3-D range (i, j, o) as in elementwise.cl's strided kernels, or (j, o) when inner == 1
// (INNER1): no division per element, the fastest-varying dimension first. As in elementwise.cl,
// dimension 0 is bounds-checked only in the GUARD=1 variant, which the host runs over the last,
// partial column of work-groups (a per-item check stops PoCL vectorising).
// Defines: T, TI (index type), ALONG, INNER1, GUARD (0 or 1), ATOMIC_ADD(p, v) for scatter.
#if GUARD
#define SKIP_PAST(i, n) if ((i) >= (n)) return;
#else
#define SKIP_PAST(i, n)
#endif

#if INNER1
#define POSITION                                                              \
    const int i = 0, j = get_global_id(0), o = get_global_id(1);              \
    if (o >= outer) return;                                                   \
    SKIP_PAST(j, J)                                                           \
    const long g = (long)o * J + j;
#else
#define POSITION                                                              \
    const int i = get_global_id(0), j = get_global_id(1), o = get_global_id(2); \
    if (j >= J || o >= outer) return;                                         \
    SKIP_PAST(i, inner)                                                       \
    const long g = ((long)o * J + j) * inner + i;
#endif
#if ALONG
#define RAW_INDEX ((long)idx[g])
#else
#define RAW_INDEX ((long)idx[j])
#endif
#define WRAP(raw) ((raw) < 0 ? (raw) + A : (raw))

__kernel void take(const int outer, const int A, const int inner, const int J,
                   __global const T* x, __global const TI* idx, __global T* out) {
    POSITION
#if ALONG
    const long k = WRAP(RAW_INDEX);
    out[g] = (k >= 0 && k < A) ? x[((long)o * A + k) * inner + i] : (T)0;
#else
    // One index per row of the output: the row is a contiguous copy, vectorised on PoCL. An
    // out-of-range index selects zeros over row 0, so the load itself is never conditional.
    const long k = WRAP(RAW_INDEX);
    const int ok = k >= 0 && k < A;
    __global const T* src = x + ((long)o * A + (ok ? k : 0)) * inner;
    const T v = src[i];
    out[g] = ok ? v : (T)0;
#endif
}

#ifdef ATOMIC_ADD
inline void atomic_add_float(volatile __global float* p, const float v) {
    union { uint u; float f; } old, upd;
    do {
        old.f = *p;
        upd.f = old.f + v;
    } while (atomic_cmpxchg((volatile __global uint*)p, old.u, upd.u) != old.u);
}

#ifdef HAS_INT64_ATOMICS
#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable
inline void atomic_add_double(volatile __global double* p, const double v) {
    union { ulong u; double f; } old, upd;
    do {
        old.f = *p;
        upd.f = old.f + v;
    } while (atom_cmpxchg((volatile __global ulong*)p, old.u, upd.u) != old.u);
}
#endif

__kernel void scatter_add(const int outer, const int A, const int inner, const int J,
                          __global const T* src, __global const TI* idx, __global T* out) {
    POSITION
    const long k = WRAP(RAW_INDEX);
    if (k >= 0 && k < A) ATOMIC_ADD(out + ((long)o * A + k) * inner + i, src[g]);
}
#endif
