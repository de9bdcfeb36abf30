// Matrix products C[b] = A[b] (M x K) * B[b] (K x N), row-major, any sizes, two kernels:
// a local-memory tiled one for GPUs (defines TSM...) and a register-panel one for CPUs (PANELS).

#ifdef TSM
// The GPU kernel: a work-group computes a TSM x TSN tile of C (tiles zero-padded at the edges);
// each work-item holds a WPTM x WPTN register block, reading A and B tiles of depth TSK from
// local memory. Defines: T, TSM, TSN, TSK, WPTM, WPTN. Work-group size: (TSN/WPTN, TSM/WPTM).
#define RTSM (TSM / WPTM)
#define RTSN (TSN / WPTN)

__kernel __attribute__((reqd_work_group_size(RTSN, RTSM, 1)))
void matmul(const int M, const int N, const int K,
            __global const T* A, __global const T* B, __global T* C,
            const int strideA, const int strideB, const int strideC) {
    const int tn = get_local_id(0);
    const int tm = get_local_id(1);
    const int lid = tm * RTSN + tn;
    const int offM = get_group_id(1) * TSM;
    const int offN = get_group_id(0) * TSN;
    const int batch = get_global_id(2);
    A += (long)batch * strideA;
    B += (long)batch * strideB;
    C += (long)batch * strideC;

    __local T As[TSK][TSM];
    __local T Bs[TSK][TSN];
    T acc[WPTM][WPTN];
    for (int wm = 0; wm < WPTM; ++wm)
        for (int wn = 0; wn < WPTN; ++wn) acc[wm][wn] = (T)0;

    for (int t = 0; t < K; t += TSK) {
        for (int l = lid; l < TSK * TSM; l += RTSM * RTSN) {
            const int m = l / TSK, k = l % TSK;
            const int gm = offM + m, gk = t + k;
            As[k][m] = (gm < M && gk < K) ? A[(long)gm * K + gk] : (T)0;
        }
        for (int l = lid; l < TSK * TSN; l += RTSM * RTSN) {
            const int k = l / TSN, n = l % TSN;
            const int gk = t + k, gn = offN + n;
            Bs[k][n] = (gk < K && gn < N) ? B[(long)gk * N + gn] : (T)0;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int k = 0; k < TSK; ++k) {
            T breg[WPTN];
            for (int wn = 0; wn < WPTN; ++wn) breg[wn] = Bs[k][tn + wn * RTSN];
            for (int wm = 0; wm < WPTM; ++wm) {
                const T a = As[k][tm + wm * RTSM];
                for (int wn = 0; wn < WPTN; ++wn) acc[wm][wn] += a * breg[wn];
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int wm = 0; wm < WPTM; ++wm) {
        const int gm = offM + tm + wm * RTSM;
        if (gm >= M) continue;
        for (int wn = 0; wn < WPTN; ++wn) {
            const int gn = offN + tn + wn * RTSN;
            if (gn < N) C[(long)gm * N + gn] = acc[wm][wn];
        }
    }
}
#endif

#ifdef PANELS
// The CPU kernel (PoCL): no local memory and no barriers (PoCL turns a work-group into loops, and
// keeping a register block alive across barriers spills it), explicit vector types instead.
// B is first packed into panels of PANEL = 8 * NV columns, Bp[batch][panel][k][0..PANEL), zero
// beyond N, so the inner loop streams one panel contiguously. A work-item computes 6 rows x
// PANEL columns of C: per k, NV vector loads of B, 6 scalar loads of A, 6 * NV vector
// multiply-adds, all in registers (12 of AVX2's 16 for NV = 2 floats). Vectors are read
// through pointer casts and the multiply-add written as `acc += a * b`: PoCL calls the vload
// and fma builtins as functions, which is ten times slower.
// Defines: T, NV (1 or 2). Work-item (row block, panel, batch).
#define CAT(a, b) CAT_(a, b)
#define CAT_(a, b) a##b
#define VT CAT(T, 8)
#define PANEL (8 * NV)
#define WM 6

__kernel void pack_b(const int K, const int N, __global const T* B, __global T* Bp,
                     const int strideB, const int strideBp) {
    const int j = get_global_id(0);
    const int k = get_global_id(1);
    const int batch = get_global_id(2);
    const int panels = (N + PANEL - 1) / PANEL;
    if (j >= panels * PANEL || k >= K) return;
    const int panel = j / PANEL, c = j % PANEL;
    Bp[(long)batch * strideBp + ((long)panel * K + k) * PANEL + c] =
        j < N ? B[(long)batch * strideB + (long)k * N + j] : (T)0;
}

#define ROW(r) __global const T* a##r = A + (long)min(m0 + r, M - 1) * K; VT c##r##0 = (VT)0, c##r##1 = (VT)0;
#if NV == 2
#define STEP(r) { const VT av = (VT)(a##r[k]); c##r##0 += av * b0; c##r##1 += av * b1; }
#else
#define STEP(r) { const VT av = (VT)(a##r[k]); c##r##0 += av * b0; }
#endif
#define STORE(r)                                                                    \
    if (m0 + r < M) {                                                               \
        union { VT v[2]; T s[16]; } row;                                            \
        row.v[0] = c##r##0;                                                         \
        row.v[1] = c##r##1;                                                         \
        __global T* crow = C + (long)(m0 + r) * N + n0;                             \
        for (int j = 0; j < cols; ++j) crow[j] = row.s[j];                          \
    }

__kernel void matmul_panels(const int M, const int N, const int K, __global const T* A,
                            __global const T* Bp, __global T* C,
                            const int strideA, const int strideBp, const int strideC) {
    const int m0 = get_global_id(0) * WM;
    const int panel = get_global_id(1);
    const int batch = get_global_id(2);
    if (m0 >= M || panel * PANEL >= N) return;
    A += (long)batch * strideA;
    C += (long)batch * strideC;
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
    __global const T* b = Bp + (long)batch * strideBp + (long)panel * K * PANEL;
    for (int k = 0; k < K; ++k) {
        const VT b0 = *(__global const VT*)(b + k * PANEL);
#if NV == 2
        const VT b1 = *(__global const VT*)(b + k * PANEL + 8);
#endif
        STEP(0) STEP(1) STEP(2) STEP(3) STEP(4) STEP(5)
    }
    const int n0 = panel * PANEL;
    const int cols = min(PANEL, N - n0);
    STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5)
}
#endif
