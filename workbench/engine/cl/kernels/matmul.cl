// Tiled matrix product C[b] = A[b] (M x K) * B[b] (K x N), row-major, any sizes (tiles are
// zero-padded at the edges). A work-group computes a TSM x TSN tile of C; each work-item holds
// a WPTM x WPTN register block, reading A and B tiles of depth TSK from local memory.
// Defines: T, TSM, TSN, TSK, WPTM, WPTN. Work-group size: (TSN / WPTN, TSM / WPTM).
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
