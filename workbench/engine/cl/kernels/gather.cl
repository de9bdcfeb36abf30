// Gather and scatter-add along one axis of a tensor seen as (outer, A, inner).
// take:     out[o, j, i] = x[o, idx[j], i]            (along = 0, numpy's take)
//           out[o, j, i] = x[o, idx[o, j, i], i]      (along = 1, numpy's take_along_axis)
// scatter:  out[o, idx[...], i] += src[o, j, i], atomically so repeated indices accumulate.
// Negative indices count from the end (numpy's rule); indices still out of range read as 0 and
// are not scattered (the host checks host-side indices).
// Defines: T, TI, and ATOMIC_ADD(p, v) for scatter_add.

__kernel void take(const int n, const int A, const int inner, const int J, const int along,
                   __global const T* x, __global const TI* idx, __global T* out) {
    const int g = get_global_id(0);
    if (g >= n) return;
    const int i = g % inner;
    const int rest = g / inner;
    const int j = rest % J;
    const int o = rest / J;
    const long raw = along ? (long)idx[g] : (long)idx[j];
    const long k = raw < 0 ? raw + A : raw;
    out[g] = (k >= 0 && k < A) ? x[((long)o * A + k) * inner + i] : (T)0;
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

__kernel void scatter_add(const int n, const int A, const int inner, const int J, const int along,
                          __global const T* src, __global const TI* idx, __global T* out) {
    const int g = get_global_id(0);
    if (g >= n) return;
    const int i = g % inner;
    const int rest = g / inner;
    const int j = rest % J;
    const int o = rest / J;
    const long raw = along ? (long)idx[g] : (long)idx[j];
    const long k = raw < 0 ? raw + A : raw;
    if (k >= 0 && k < A) ATOMIC_ADD(out + ((long)o * A + k) * inner + i, src[g]);
}

#endif
