// Elementwise kernels, one work-item per element (flat kernels beat grid-stride loops on PoCL).
// Specialised by the host with: TA (input type), TO (output type), and UOP(x) or BOP(a, b).
// Bit-for-bit agreement with numpy for add/sub/mul/div/min/max/compare needs no fused a*b+c.
#pragma OPENCL FP_CONTRACT OFF

#ifdef UOP
__kernel void unary_flat(const int n, __global const TA* x, __global TO* out) {
    const int i = get_global_id(0);
    if (i < n) { const TA a = x[i]; out[i] = UOP(a); }
}
#endif

#ifdef BOP
__kernel void binary_flat(const int n, __global const TA* a, __global const TA* b, __global TO* out) {
    const int i = get_global_id(0);
    if (i < n) { const TA x = a[i]; const TA y = b[i]; out[i] = BOP(x, y); }
}

__kernel void binary_scalar_right(const int n, __global const TA* a, const TA s, __global TO* out) {
    const int i = get_global_id(0);
    if (i < n) { const TA x = a[i]; out[i] = BOP(x, s); }
}

__kernel void binary_scalar_left(const int n, __global const TA* a, const TA s, __global TO* out) {
    const int i = get_global_id(0);
    if (i < n) { const TA y = a[i]; out[i] = BOP(s, y); }
}

// Broadcasting over up to 6 dimensions: the host collapses and left-pads shapes, and gives each
// input's element strides (0 along broadcast axes).
__kernel void binary_bcast(const int n, __global const TA* a, __global const TA* b, __global TO* out,
                           const int d0, const int d1, const int d2, const int d3, const int d4, const int d5,
                           const int a0, const int a1, const int a2, const int a3, const int a4, const int a5,
                           const int b0, const int b1, const int b2, const int b3, const int b4, const int b5) {
    const int i = get_global_id(0);
    if (i >= n) return;
    int r = i, ia = 0, ib = 0, c;
    c = r % d5; r /= d5; ia += c * a5; ib += c * b5;
    c = r % d4; r /= d4; ia += c * a4; ib += c * b4;
    c = r % d3; r /= d3; ia += c * a3; ib += c * b3;
    c = r % d2; r /= d2; ia += c * a2; ib += c * b2;
    c = r % d1; r /= d1; ia += c * a1; ib += c * b1;
    ia += r * a0; ib += r * b0;
    const TA x = a[ia]; const TA y = b[ib];
    out[i] = BOP(x, y);
}
#endif

#ifdef WHERE
// cond ? a : b with broadcasting, strides as in binary_bcast (c* for the condition).
__kernel void where_bcast(const int n, __global const uchar* cond, __global const TA* a,
                          __global const TA* b, __global TA* out,
                          const int d0, const int d1, const int d2, const int d3, const int d4, const int d5,
                          const int c0, const int c1, const int c2, const int c3, const int c4, const int c5,
                          const int a0, const int a1, const int a2, const int a3, const int a4, const int a5,
                          const int b0, const int b1, const int b2, const int b3, const int b4, const int b5) {
    const int i = get_global_id(0);
    if (i >= n) return;
    int r = i, ic = 0, ia = 0, ib = 0, c;
    c = r % d5; r /= d5; ic += c * c5; ia += c * a5; ib += c * b5;
    c = r % d4; r /= d4; ic += c * c4; ia += c * a4; ib += c * b4;
    c = r % d3; r /= d3; ic += c * c3; ia += c * a3; ib += c * b3;
    c = r % d2; r /= d2; ic += c * c2; ia += c * a2; ib += c * b2;
    c = r % d1; r /= d1; ic += c * c1; ia += c * a1; ib += c * b1;
    ic += r * c0; ia += r * a0; ib += r * b0;
    out[i] = cond[ic] ? a[ia] : b[ib];
}
#endif

#ifdef CAST
__kernel void cast_flat(const int n, __global const TA* x, __global TO* out) {
    const int i = get_global_id(0);
    if (i < n) { out[i] = CAST(x[i]); }
}
#endif
