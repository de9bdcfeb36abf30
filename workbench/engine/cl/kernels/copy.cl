// Strided copies: materialise a view (transpose, slice, broadcast) into a contiguous buffer, or
// write a contiguous buffer into a strided region. Element strides (possibly negative or zero),
// one work-item per element. T is the element type. The plain kernels take up to 6 dimensions as
// arguments; the _nd variants read nd sizes then nd strides from `meta`, for views of any rank.

#define UNRAVEL(i, src)                                              \
    int r = i, src = offset, c;                                      \
    c = r % d5; r /= d5; src += c * s5;                              \
    c = r % d4; r /= d4; src += c * s4;                              \
    c = r % d3; r /= d3; src += c * s3;                              \
    c = r % d2; r /= d2; src += c * s2;                              \
    c = r % d1; r /= d1; src += c * s1;                              \
    src += r * s0;

__kernel void strided_copy(const int n, __global const T* x, __global T* out, const int offset,
                           const int d0, const int d1, const int d2, const int d3, const int d4, const int d5,
                           const int s0, const int s1, const int s2, const int s3, const int s4, const int s5) {
    const int i = get_global_id(0);
    if (i >= n) return;
    UNRAVEL(i, src)
    out[i] = x[src];
}

__kernel void strided_assign(const int n, __global const T* src_buf, __global T* dst, const int offset,
                             const int d0, const int d1, const int d2, const int d3, const int d4, const int d5,
                             const int s0, const int s1, const int s2, const int s3, const int s4, const int s5) {
    const int i = get_global_id(0);
    if (i >= n) return;
    UNRAVEL(i, target)
    dst[target] = src_buf[i];
}

#define UNRAVEL_ND(i, src)                                                   \
    int r = i, src = offset;                                                 \
    for (int d = nd - 1; d >= 0; --d) {                                      \
        const int c = r % meta[d]; r /= meta[d]; src += c * meta[nd + d];    \
    }

__kernel void strided_copy_nd(const int n, __global const T* x, __global T* out, const int offset,
                              const int nd, __global const int* meta) {
    const int i = get_global_id(0);
    if (i >= n) return;
    UNRAVEL_ND(i, src)
    out[i] = x[src];
}

__kernel void strided_assign_nd(const int n, __global const T* src_buf, __global T* dst, const int offset,
                                const int nd, __global const int* meta) {
    const int i = get_global_id(0);
    if (i >= n) return;
    UNRAVEL_ND(i, target)
    dst[target] = src_buf[i];
}
