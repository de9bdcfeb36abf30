// Elementwise kernels: flat ones over contiguous buffers, and strided ones over views and
// broadcasts (copy, assign, binary, where). Specialised by the host with: TA (input type), TO
// (output type), UOP(x), BOP(a, b) or CAST(v), and for strided kernels STRIDED and RANK.
// Bit-for-bit agreement with numpy for add/sub/mul/div/min/max/compare needs no fused a*b+c.
#pragma OPENCL FP_CONTRACT OFF

// PoCL runs a work-group as a loop over its work-items and vectorises that loop only when the
// body has no per-item branch (a bounds check `if (i < n)` makes it 3-10x slower). So every
// kernel here comes in two variants: GUARD=0 without a bounds check along dimension 0, run by
// the host over whole work-groups, and GUARD=1 with one, run over the last, partial group.
#if GUARD
#define SKIP_PAST(i, n) if ((i) >= (n)) return;
#else
#define SKIP_PAST(i, n)
#endif

#ifdef UOP
// exp, log and tanh for float32 in plain arithmetic: PoCL's builtins are scalar function calls
// (10-100x slower than numpy), these vectorise. Cephes' expf, logf and tanhf: each within
// 1.5 ulp of the correctly rounded result, with IEEE special values (NaN, +-inf, 0, subnormals).

// 2^n for n in [-252, 254] as two exact powers (so subnormal results round once at the end).
inline float scale_pow2_f32(const float y, const int n) {
    const int n1 = n >> 1, n2 = n - n1;
    return y * as_float((n1 + 127) << 23) * as_float((n2 + 127) << 23);
}

inline float exp_f32(const float x) {
    const float xc = x < -104.0f ? -104.0f : (x > 89.0f ? 89.0f : x);
    const float t = xc * 1.44269504088896341f + 0.5f;
    int n = (int)t;
    n -= (float)n > t;  // floor(t)
    const float fn = (float)n;
    const float r = (xc - fn * 0.693359375f) - fn * -2.12194440e-4f;
    const float r2 = r * r;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float y = scale_pow2_f32(p * r2 + r + 1.0f, n);
    return x != x ? x : (x > 89.0f ? INFINITY : (x < -104.0f ? 0.0f : y));
}

inline float log_f32(const float x) {
    const int subnormal = x < 1.17549435e-38f;
    const float xs = subnormal ? x * 8388608.0f : x;  // 2^23
    const int bits = as_int(xs);
    int e = ((bits >> 23) & 0xff) - 126 - (subnormal ? 23 : 0);
    float m = as_float((bits & 0x807fffff) | 0x3f000000);  // [0.5, 1)
    const int low = m < 0.707106781186547524f;
    e -= low;
    m = (low ? m + m : m) - 1.0f;
    const float z = m * m;
    float p = 7.0376836292e-2f;
    p = p * m - 1.1514610310e-1f;
    p = p * m + 1.1676998740e-1f;
    p = p * m - 1.2420140846e-1f;
    p = p * m + 1.4249322787e-1f;
    p = p * m - 1.6668057665e-1f;
    p = p * m + 2.0000714765e-1f;
    p = p * m - 2.4999993993e-1f;
    p = p * m + 3.3333331174e-1f;
    const float fe = (float)e;
    float y = p * m * z;
    y += fe * -2.12194440e-4f;
    y += -0.5f * z;
    const float r = (m + y) + fe * 0.693359375f;
    return x != x ? x : (x < 0.0f ? NAN : (x == 0.0f ? -INFINITY : (x == INFINITY ? x : r)));
}

// tanh for |x| > 0.625: (1 - e) / (1 + e) with e = exp(-2|x|) <= 0.29 (no overflow, no
// cancellation), sign restored from x's sign bit.
inline float tanh_big_f32(const float x) {
    const float z = as_float(as_int(x) & 0x7fffffff);
    const float e = exp_f32(-(z + z));
    return as_float(as_int((1.0f - e) / (1.0f + e)) | (as_int(x) & 0x80000000));
}

// tanh for |x| <= 0.625: Cephes' odd polynomial.
inline float tanh_small_f32(const float x) {
    const float x2 = x * x;
    float p = -5.70498872745e-3f;
    p = p * x2 + 2.06390887954e-2f;
    p = p * x2 - 5.37397155531e-2f;
    p = p * x2 + 1.33314422036e-1f;
    p = p * x2 - 3.33332819422e-1f;
    return p * x2 * x + x;
}

// Both halves are computed and one selected by the bits of |x| (> 0.625f is 0x3f200000): the
// compiler then keeps it branch-free, which PoCL needs to vectorise it.
inline float tanh_f32(const float x) {
    const float big = tanh_big_f32(x);
    const float small = tanh_small_f32(x);
    const int magnitude = as_int(x) & 0x7fffffff;
    return magnitude > 0x3f200000 ? big : (magnitude == 0 ? x : small);  // tanh(-0) is -0
}

__kernel void unary_flat(const int n, __global const TA* x, __global TO* out) {
    const int i = get_global_id(0);
    SKIP_PAST(i, n)
    const TA a = x[i];
    out[i] = UOP(a);
}
#endif

#ifdef BOP
__kernel void binary_flat(const int n, __global const TA* a, __global const TA* b, __global TO* out) {
    const int i = get_global_id(0);
    SKIP_PAST(i, n)
    const TA x = a[i];
    const TA y = b[i];
    out[i] = BOP(x, y);
}

__kernel void binary_scalar_right(const int n, __global const TA* a, const TA s, __global TO* out) {
    const int i = get_global_id(0);
    SKIP_PAST(i, n)
    const TA x = a[i];
    out[i] = BOP(x, s);
}

__kernel void binary_scalar_left(const int n, __global const TA* a, const TA s, __global TO* out) {
    const int i = get_global_id(0);
    SKIP_PAST(i, n)
    const TA y = a[i];
    out[i] = BOP(s, y);
}
#endif

#ifdef CAST
__kernel void cast_flat(const int n, __global const TA* x, __global TO* out) {
    const int i = get_global_id(0);
    SKIP_PAST(i, n)
    out[i] = CAST(x[i]);
}
#endif

#ifdef STRIDED
// Strided kernels see the output as up to 6 axes d0..d5 (the host merges axes that are
// contiguous in every operand) and each operand through element strides S0..S5 (negative for
// reversed views, 0 along broadcast axes). The range is 3-D: dimension 0 runs along the
// innermost axis d5, dimension 1 along d4, dimension 2 over everything outside (`outer` items).
// With RANK <= 3 (nearly every view) an operand's index is a sum of products, with no division,
// and the innermost index is affine in the work-item id, so PoCL vectorises it; with RANK 6
// dimension 2 is unravelled over d3, d2, d1, d0 (three divisions per item). The innermost
// step of operand S is S_STEP: the literal 0 or 1 where it is one of those (so the compiler
// emits plain or broadcast vector loads, not gathers), else the argument S5.
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
// Items past the end of dimensions 1 and 2 (rounded up by the host) are skipped by a test that
// does not depend on dimension 0; dimension 0 is checked only in the GUARD variant.
#define IN_RANGE ((int)get_global_id(1) < d4 && (int)get_global_id(2) < outer)
#define OUT_ROW ((long)get_global_id(2) * d4 + get_global_id(1)) * d5

#ifdef COPY
// out (contiguous) = the view of x at `offset` with strides s.
__kernel void strided_copy(__global const TA* x, __global TA* out, const int offset, STRIDED_ARGS, STRIDES(s)) {
    if (!IN_RANGE) return;
    SKIP_PAST((int)get_global_id(0), d5)
    ROW_START(s, src)
    __global TA* o = out + OUT_ROW;
    const int i = get_global_id(0);
    o[i] = x[offset + src + i * s_STEP];
}

// The view of dst at `offset` with strides s = src (contiguous).
__kernel void strided_assign(__global const TA* src_buf, __global TA* dst, const int offset, STRIDED_ARGS,
                             STRIDES(s)) {
    if (!IN_RANGE) return;
    SKIP_PAST((int)get_global_id(0), d5)
    ROW_START(s, target)
    __global const TA* v = src_buf + OUT_ROW;
    const int i = get_global_id(0);
    dst[offset + target + i * s_STEP] = v[i];
}
#endif

#ifdef BOP
__kernel void binary_strided(__global const TA* a, __global const TA* b, __global TO* out, STRIDED_ARGS,
                             STRIDES(a), STRIDES(b)) {
    if (!IN_RANGE) return;
    SKIP_PAST((int)get_global_id(0), d5)
    ROW_START(a, ra)
    ROW_START(b, rb)
    __global TO* o = out + OUT_ROW;
    const int i = get_global_id(0);
    const TA x = a[ra + i * a_STEP];
    const TA y = b[rb + i * b_STEP];
    o[i] = BOP(x, y);
}
#endif

#ifdef WHERE
// cond ? a : b, each operand with its own strides (c for the condition, stored as uchar).
__kernel void where_strided(__global const uchar* cond, __global const TA* a, __global const TA* b,
                            __global TA* out, STRIDED_ARGS, STRIDES(c), STRIDES(a), STRIDES(b)) {
    if (!IN_RANGE) return;
    SKIP_PAST((int)get_global_id(0), d5)
    ROW_START(c, rc)
    ROW_START(a, ra)
    ROW_START(b, rb)
    __global TA* o = out + OUT_ROW;
    const int i = get_global_id(0);
    o[i] = cond[rc + i * c_STEP] ? a[ra + i * a_STEP] : b[rb + i * b_STEP];
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
