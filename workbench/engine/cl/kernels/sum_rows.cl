// Sums of table rows named by sparse indices (Tensor.sum_rows), and their gradient.
// forward:  out[b, c] = sum over j < counts[b] of table[indices[b, j], c]
//           (an index outside 0..num_rows-1 adds nothing)
// backward: grad_table[rows[r], c] = sum over j in offsets[r]..offsets[r+1]-1 of grad[samples[j], c]
//           (rows[] are the rows some sample read, samples[] the samples that read each, in
//           order: a CSR the host builds from the indices; grad_table arrives zero-filled).
// Each output element is summed by one work-item, so there are no atomics and the result is
// the same on every run. Summation order is the index order (samples ascending in the
// backward), as on numpy, and FP_CONTRACT is off: results equal the numpy backend's.
//
// A 2-D range: dimension 1 over samples (forward) or read rows (backward), dimension 0 along
// the contiguous columns, in one of two layouts:
// - without CHUNK (GPUs): one work-item per column, so neighbouring work-items read
//   neighbouring addresses (coalesced). Dimension 0 is bounds-checked only in the GUARD=1
//   variant, which the host runs on the last, partial column of work-groups.
// - with CHUNK (CPUs): a work-item owns CHUNK neighbouring columns and adds each row's slice
//   into them, accumulating in the output itself (it stays in L1). Reading a whole slice of a
//   row at a time streams it through the prefetcher; one column per work-item would fetch a
//   new cache line per row for every 16 floats, and PoCL cannot vectorise across work-items
//   when the kernel body is itself a loop.
// Defines: T (float type), TI (index type), CHUNK or GUARD (0 or 1).
#pragma OPENCL FP_CONTRACT OFF

#ifdef CHUNK
#define COLUMNS                                                                     \
    const int c0 = get_global_id(0) * CHUNK;                                        \
    if (c0 >= width) return;                                                        \
    const int cols = min(CHUNK, width - c0);
#elif GUARD
#define COLUMNS const int c0 = get_global_id(0); if (c0 >= width) return;
#else
#define COLUMNS const int c0 = get_global_id(0);
#endif

__kernel void sum_rows(const int width, const int num_rows, const int samples, const int k,
                       __global const T* table, __global const TI* indices,
                       __global const int* counts, __global T* out) {
    const int b = get_global_id(1);
    if (b >= samples) return;
    COLUMNS
    __global const TI* idx = indices + (long)b * k;
    const int n = counts[b];
#ifdef CHUNK
    __global T* o = out + (long)b * width + c0;
    for (int c = 0; c < cols; ++c) o[c] = (T)0;
    for (int j = 0; j < n; ++j) {
        const long r = (long)idx[j];
        if (r < 0 || r >= num_rows) continue;
        __global const T* p = table + r * width + c0;
        for (int c = 0; c < cols; ++c) o[c] += p[c];
    }
#else
    T acc = (T)0;
    for (int j = 0; j < n; ++j) {
        const long r = (long)idx[j];
        if (r < 0 || r >= num_rows) continue;
        acc += table[r * width + c0];
    }
    out[(long)b * width + c0] = acc;
#endif
}

__kernel void sum_rows_backward(const int width, const int touched,
                                __global const T* grad, __global const int* rows,
                                __global const int* offsets, __global const int* samples,
                                __global T* out) {
    const int r = get_global_id(1);
    if (r >= touched) return;
    COLUMNS
    const int begin = offsets[r], end = offsets[r + 1];
#ifdef CHUNK
    __global T* o = out + (long)rows[r] * width + c0;
    for (int j = begin; j < end; ++j) {
        __global const T* p = grad + (long)samples[j] * width + c0;
        for (int c = 0; c < cols; ++c) o[c] += p[c];
    }
#else
    T acc = (T)0;
    for (int j = begin; j < end; ++j) acc += grad[(long)samples[j] * width + c0];
    out[(long)rows[r] * width + c0] = acc;
#endif
}
