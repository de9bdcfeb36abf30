// Elementwise kernels: flat ones over contiguous buffers, and strided ones over views and
// broadcasts (copy, assign, binary, where). Specialised by the host with: TA (input type), TO
// (output type), UOP(x), BOP(a, b) or CAST(v), and for strided kernels STRIDED and RANK.
// Bit-for-bit agreement with numpy for add/sub/mul/div/min/max/compare needs no fused a*b+c.
#pragma OPENCL FP_CONTRACT OFF

// PoCL runs a work-group as a loop over its work-items and vectorises that loop only when the
// body has no per-item branch. So the bounds check is made per group: every group but the last
// is full and runs the body unguarded (3-10x faster on PoCL than `if (i < n)`); GPUs don't mind.
#define FULL_GROUP(n) ((get_group_id(0) + 1) * get_local_size(0) <= (size_t)(n))
#define EACH_ITEM(n, body) \
    if (FULL_GROUP(n)) { body } else if (get_global_id(0) < (size_t)(n)) { body }

#ifdef UOP
__kernel void unary_flat(const int n, __global const TA* x, __global TO* out) {
    const int i = get_global_id(0);
    EACH_ITEM(n, const TA a = x[i]; out[i] = UOP(a);)
}
#endif

#ifdef BOP
__kernel void binary_flat(const int n, __global const TA* a, __global const TA* b, __global TO* out) {
    const int i = get_global_id(0);
    EACH_ITEM(n, const TA x = a[i]; const TA y = b[i]; out[i] = BOP(x, y);)
}

__kernel void binary_scalar_right(const int n, __global const TA* a, const TA s, __global TO* out) {
    const int i = get_global_id(0);
    EACH_ITEM(n, const TA x = a[i]; out[i] = BOP(x, s);)
}

__kernel void binary_scalar_left(const int n, __global const TA* a, const TA s, __global TO* out) {
    const int i = get_global_id(0);
    EACH_ITEM(n, const TA y = a[i]; out[i] = BOP(s, y);)
}
#endif

#ifdef CAST
__kernel void cast_flat(const int n, __global const TA* x, __global TO* out) {
    const int i = get_global_id(0);
    EACH_ITEM(n, out[i] = CAST(x[i]);)
}
#endif

#ifdef STRIDED
// Strided kernels see the output as up to 6 axes d0..d5 (the host merges axes that are
// contiguous in every operand) and each operand through element strides S0..S5 (negative for
// reversed views, 0 along broadcast axes). The range is 3-D: dimension 0 runs along the
// innermost axis d5, dimension 1 along d4, dimension 2 over everything outside (`outer` items).
// With RANK <= 3 (nearly every view) an operand's index is a sum of products, with no division,
// and the innermost index is affine in the work-item id, so PoCL vectorises it; with RANK 6
// dimension 2 is unravelled over d3, d2, d1, d0 (three divisions per item).
#define STRIDED_ARGS const int d1, const int d2, const int d3, const int d4, const int d5, const int outer
#define STRIDES(S) const int S##0, const int S##1, const int S##2, const int S##3, const int S##4, const int S##5
#if RANK > 3
#define OUTER_START(S, start)                                              \
    int start;                                                             \
    { int r = get_global_id(2), c;                                         \
      c = r % d3; r /= d3; start = c * S##3;                               \
      c = r % d2; r /= d2; start += c * S##2;                              \
      c = r % d1; r /= d1; start += c * S##1 + r * S##0; }
#else
#define OUTER_START(S, start) const int start = (int)get_global_id(2) * S##3;
#endif
// The start of this work-item's row in operand S (before the innermost index).
#define ROW_START(S, start) OUTER_START(S, start##_outer) const int start = start##_outer + (int)get_global_id(1) * S##4;
// Skip work-items past the end of dimensions 1 and 2, then guard dimension 0 per group.
#define IN_RANGE ((int)get_global_id(1) < d4 && (int)get_global_id(2) < outer)
#define OUT_ROW ((long)get_global_id(2) * d4 + get_global_id(1)) * d5
#define EACH_IN_ROW(body) \
    if (FULL_GROUP(d5)) { body } else if (get_global_id(0) < (size_t)d5) { body }

#ifdef COPY
// out (contiguous) = the view of x at `offset` with strides s.
__kernel void strided_copy(__global const TA* x, __global TA* out, const int offset, STRIDED_ARGS, STRIDES(s)) {
    if (!IN_RANGE) return;
    ROW_START(s, src)
    __global TA* o = out + OUT_ROW;
    const int i = get_global_id(0);
    EACH_IN_ROW(o[i] = x[offset + src + i * s5];)
}

// The view of dst at `offset` with strides s = src (contiguous).
__kernel void strided_assign(__global const TA* src_buf, __global TA* dst, const int offset, STRIDED_ARGS,
                             STRIDES(s)) {
    if (!IN_RANGE) return;
    ROW_START(s, target)
    __global const TA* v = src_buf + OUT_ROW;
    const int i = get_global_id(0);
    EACH_IN_ROW(dst[offset + target + i * s5] = v[i];)
}
#endif

#ifdef BOP
__kernel void binary_strided(__global const TA* a, __global const TA* b, __global TO* out, STRIDED_ARGS,
                             STRIDES(a), STRIDES(b)) {
    if (!IN_RANGE) return;
    ROW_START(a, ra)
    ROW_START(b, rb)
    __global TO* o = out + OUT_ROW;
    const int i = get_global_id(0);
    EACH_IN_ROW(const TA x = a[ra + i * a5]; const TA y = b[rb + i * b5]; o[i] = BOP(x, y);)
}
#endif

#ifdef WHERE
// cond ? a : b, each operand with its own strides (c for the condition, stored as uchar).
__kernel void where_strided(__global const uchar* cond, __global const TA* a, __global const TA* b,
                            __global TA* out, STRIDED_ARGS, STRIDES(c), STRIDES(a), STRIDES(b)) {
    if (!IN_RANGE) return;
    ROW_START(c, rc)
    ROW_START(a, ra)
    ROW_START(b, rb)
    __global TA* o = out + OUT_ROW;
    const int i = get_global_id(0);
    EACH_IN_ROW(o[i] = cond[rc + i * c5] ? a[ra + i * a5] : b[rb + i * b5];)
}
#endif
#endif

#ifdef COPY_ND
// Views that merge into more than 6 axes: nd sizes then nd strides come in `meta`, one
// work-item per element (rare: only hand-made high-rank permutations get here).
#define UNRAVEL_ND(i, pos)                                                   \
    int r = i, pos = offset;                                                 \
    for (int d = nd - 1; d >= 0; --d) {                                      \
        const int c = r % meta[d]; r /= meta[d]; pos += c * meta[nd + d];    \
    }

__kernel void strided_copy_nd(const int n, __global const TA* x, __global TA* out, const int offset,
                              const int nd, __global const int* meta) {
    const int i = get_global_id(0);
    if (i >= n) return;
    UNRAVEL_ND(i, src)
    out[i] = x[src];
}

__kernel void strided_assign_nd(const int n, __global const TA* src_buf, __global TA* dst, const int offset,
                                const int nd, __global const int* meta) {
    const int i = get_global_id(0);
    if (i >= n) return;
    UNRAVEL_ND(i, target)
    dst[target] = src_buf[i];
}
#endif
