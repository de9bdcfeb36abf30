// Spatial Pooler step on an OpenCL device (HTM_SPEC.md, "Spatial Pooler", compute steps 1-4).
// Host side and storage rationale: workbench/engine/htm/sp_opencl.py.
//
// Every result must equal numpy's bit for bit: no contraction of a*b+c, no fast-math; only
// float32 add/mul/min/max/compare (exact IEEE on both) and integer counts.
//
// Defines (all required):
//   N_COLS, N_INPUTS         sizes
//   CONN_STRIDE              bytes per row of conn_t (>= N_COLS, a multiple of 16)
//   COLS_PER_ITEM            columns per work item in sp_overlap (4 or 16)
//   NDIM_COL, COL_DIMS       column topology (COL_DIMS: comma-separated sizes)
//   NDIM_IN, IN_DIMS         input topology
//   WRAP                     1 for wrap-around neighbourhoods, else 0
//   SELECT_WG                work-group size of sp_inhibit_global (>= 256)
//   INDEX_SHIFT              first digit shift when selecting among column indices
#pragma OPENCL FP_CONTRACT OFF

__constant int col_dims[NDIM_COL] = {COL_DIMS};
__constant int in_dims[NDIM_IN] = {IN_DIMS};

// ------------------------------------------------------------------------------------------
// Step 1 + 2: input-driven overlap, then boost.
// conn_t[i * CONN_STRIDE + c] is 1 when column c has a connected synapse on input i. A work item
// owns COLS_PER_ITEM adjacent columns and adds the rows of the active inputs only, reading them
// as 32-bit words holding four 8-bit counters each (SWAR); the counters are flushed into ints
// every 255 rows, before any byte could overflow.
#if COLS_PER_ITEM == 16
typedef uint4 word_t;
#define LOAD_WORD(p) vload4(0, (__global const uint *)(p))
#define WORD_PARTS 4
#define WORD_PART(w, k) ((k) == 0 ? (w).s0 : (k) == 1 ? (w).s1 : (k) == 2 ? (w).s2 : (w).s3)
#else
typedef uint word_t;
#define LOAD_WORD(p) (*(__global const uint *)(p))
#define WORD_PARTS 1
#define WORD_PART(w, k) (w)
#endif

__kernel void sp_overlap(__global const uchar *conn_t, __global const uint *inputs,
                         const uint num_active_inputs, __global const float *boost,
                         const int boosting, __global int *overlaps, __global float *boosted)
{
    const uint c0 = get_global_id(0) * COLS_PER_ITEM;
    if (c0 >= N_COLS) return;
    int counts[COLS_PER_ITEM];
    for (int j = 0; j < COLS_PER_ITEM; ++j) counts[j] = 0;
    for (uint k0 = 0; k0 < num_active_inputs; k0 += 255) {
        const uint k1 = min(num_active_inputs, k0 + 255u);
        word_t lanes = (word_t)(0);
        for (uint k = k0; k < k1; ++k)
            lanes += LOAD_WORD(conn_t + (size_t)inputs[k] * CONN_STRIDE + c0);
        for (int part = 0; part < WORD_PARTS; ++part) {
            const uint w = WORD_PART(lanes, part);
            for (int b = 0; b < 4; ++b) counts[part * 4 + b] += (w >> (8 * b)) & 0xffu;
        }
    }
    for (int j = 0; j < COLS_PER_ITEM; ++j) {
        const uint c = c0 + j;
        if (c < N_COLS) {
            overlaps[c] = counts[j];
            const float value = (float)counts[j];
            boosted[c] = boosting ? value * boost[c] : value;
        }
    }
}

// ------------------------------------------------------------------------------------------
// Step 3, global inhibition, in one work-group: the n largest boosted overlaps, equal values
// going to the higher column index, then the stimulus threshold.
// Boosted overlaps are >= 0, and non-negative floats order like their bit patterns, so a radix
// select over the 32-bit patterns (four 8-bit digits, a 256-bin histogram each) finds the n-th
// largest value K and how many columns equal to K are still needed (t); a second radix select
// over the indices of the columns equal to K finds the t-th largest such index C. Winners:
// value > K, or value == K and index >= C. Output: out[0] = count, out[1..] = the winners (in
// no particular order; the host sorts). Also resets the weak-column counter weak[0].

#define RADIX 256

// One radix select. mode 0: keys are the values' bit patterns, every column a candidate.
// mode 1: keys are the column indices, candidates the columns whose value bits == equal_to.
// Returns (via key/need) the need-th largest key and how many candidates equal to it are needed.
void radix_select(__global const float *boosted, const int mode, const uint equal_to,
                  const int first_shift, uint need, __local uint *hist, __local uint *result,
                  uint *key_out, uint *need_out)
{
    const uint lid = get_local_id(0);
    uint prefix = 0, mask = 0;
    for (int shift = first_shift; shift >= 0; shift -= 8) {
        if (lid < RADIX) hist[lid] = 0;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (uint c = lid; c < N_COLS; c += SELECT_WG) {
            const uint bits = as_uint(boosted[c]);
            const uint key = mode == 0 ? bits : c;
            if ((mode == 0 || bits == equal_to) && (key & mask) == prefix)
                atomic_inc(&hist[(key >> shift) & 0xffu]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        // Suffix sums: hist[b] = candidates whose digit is >= b.
        uint mine = lid < RADIX ? hist[lid] : 0;
        for (uint d = 1; d < RADIX; d <<= 1) {
            const uint other = (lid + d < RADIX) ? hist[lid + d] : 0;
            barrier(CLK_LOCAL_MEM_FENCE);
            if (lid < RADIX) {
                mine += other;
                hist[lid] = mine;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        if (lid < RADIX) {
            const uint above = lid + 1 < RADIX ? hist[lid + 1] : 0;
            if (above < need && mine >= need) {
                result[0] = lid;
                result[1] = need - above;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        prefix |= result[0] << shift;
        mask |= 0xffu << shift;
        need = result[1];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    *key_out = prefix;
    *need_out = need;
}

__kernel __attribute__((reqd_work_group_size(SELECT_WG, 1, 1)))
void sp_inhibit_global(__global const float *boosted, const uint n, const float stimulus,
                       __global uchar *active, __global uint *out, __global uint *weak)
{
    __local uint hist[RADIX];
    __local uint result[2];
    __local uint count;
    const uint lid = get_local_id(0);
    uint value_key = 0xffffffffu, index_key = 0xffffffffu, ties = 0;
    if (n > 0) {
        radix_select(boosted, 0, 0, 24, n, hist, result, &value_key, &ties);
        radix_select(boosted, 1, value_key, INDEX_SHIFT, ties, hist, result, &index_key, &ties);
    }
    if (lid == 0) count = 0;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint c = lid; c < N_COLS; c += SELECT_WG) {
        const float value = boosted[c];
        const uint bits = as_uint(value);
        const int win = n > 0 && (bits > value_key || (bits == value_key && c >= index_key))
                        && value >= stimulus;
        active[c] = (uchar)win;
        if (win) out[1 + atomic_inc(&count)] = c;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid == 0) {
        out[0] = count;
        weak[0] = 0;
    }
}

// ------------------------------------------------------------------------------------------
// Column neighbourhoods (workbench/engine/htm/topology.py): per dimension the walk starts at
// centre - r (wrapped) for min(2r + 1, dim) steps, or is clipped at the edges without wrap.

typedef struct {
    int first[NDIM_COL];
    int cur[NDIM_COL];
    int len[NDIM_COL];
    int step[NDIM_COL];
} walk_t;

void walk_start(walk_t *w, uint column, const int radius)
{
    uint rest = column;
    for (int d = NDIM_COL - 1; d >= 0; --d) {
        const int dim = col_dims[d];
        const int centre = (int)(rest % (uint)dim);
        rest /= (uint)dim;
#if WRAP
        w->len[d] = min(2 * radius + 1, dim);
        w->first[d] = (((centre - radius) % dim) + dim) % dim;
#else
        const int lo = max(centre - radius, 0);
        w->len[d] = min(centre + radius, dim - 1) - lo + 1;
        w->first[d] = lo;
#endif
        w->cur[d] = w->first[d];
        w->step[d] = 0;
    }
}

uint walk_index(const walk_t *w)
{
    uint index = 0;
    for (int d = 0; d < NDIM_COL; ++d) index = index * (uint)col_dims[d] + (uint)w->cur[d];
    return index;
}

int walk_next(walk_t *w)
{
    for (int d = NDIM_COL - 1; d >= 0; --d) {
        if (++w->step[d] < w->len[d]) {
            if (++w->cur[d] == col_dims[d]) w->cur[d] = 0;
            return 1;
        }
        w->step[d] = 0;
        w->cur[d] = w->first[d];
    }
    return 0;
}

// Step 3, local inhibition, part 1 (one work item per column). Scanning ascending, column c
// wins if (neighbours larger) + (equal neighbours that already won) < quota; "already won"
// means a lower index. Counts alone decide most columns: status 0 lose, 1 win, 2 undecided
// (depends on equal lower neighbours); room = quota - larger.
__kernel void sp_inhibit_local_count(__global const float *boosted, const int radius,
                                     const float density, const float stimulus,
                                     __global uchar *status, __global int *room)
{
    const uint c = get_global_id(0);
    if (c >= N_COLS) return;
    const float mine = boosted[c];
    int larger = 0, equal_lower = 0, area = 0;
    walk_t w;
    walk_start(&w, c, radius);
    do {
        const uint other = walk_index(&w);
        const float value = boosted[other];
        ++area;
        if (value > mine) ++larger;
        else if (value == mine && other < c) ++equal_lower;
    } while (walk_next(&w));
    const float scaled = density * (float)area;
    const int quota = (int)(0.5f + scaled);
    uchar s = 0;
    if (mine >= stimulus) s = larger + equal_lower < quota ? 1 : larger < quota ? 2 : 0;
    status[c] = s;
    room[c] = quota - larger;
}

// Part 2 (a single work item): the undecided columns in ascending order, then the output list
// (ascending). status doubles as the active flag afterwards.
__kernel void sp_inhibit_local_resolve(__global const float *boosted, const int radius,
                                       __global uchar *status, __global const int *room,
                                       __global uint *out, __global uint *weak)
{
    uint count = 0;
    for (uint c = 0; c < N_COLS; ++c) {
        uchar s = status[c];
        if (s == 2) {
            const float mine = boosted[c];
            int won = 0;
            walk_t w;
            walk_start(&w, c, radius);
            do {
                const uint other = walk_index(&w);
                if (other < c && status[other] == 1 && boosted[other] == mine) ++won;
            } while (walk_next(&w));
            s = won < room[c] ? 1 : 0;
            status[c] = s;
        }
        if (s == 1) out[1 + count++] = c;
    }
    out[0] = count;
    weak[0] = 0;
}

// ------------------------------------------------------------------------------------------
// Step 4a: adapt the active columns' potential synapses (perm >= 0): + inc on active inputs,
// - dec otherwise, clipped to [0, 1]. Global range (inputs, active columns). With track set, a
// synapse whose connected state changes is rewritten in conn_t (raise-to-threshold off);
// otherwise sp_raise does that after raising.
__kernel void sp_adapt(__global float *perm, __global uchar *conn_t, __global const uchar *dense,
                       __global const uint *out, const float inc, const float dec,
                       const float threshold, const int track)
{
    const uint i = get_global_id(0);
    if (i >= N_INPUTS) return;
    const uint c = out[1 + get_global_id(1)];
    const size_t at = (size_t)c * N_INPUTS + i;
    const float p = perm[at];
    if (p < 0.0f) return;
    const float q = fmin(fmax(dense[i] ? p + inc : p - dec, 0.0f), 1.0f);
    perm[at] = q;
    if (track && (p >= threshold) != (q >= threshold))
        conn_t[(size_t)i * CONN_STRIDE + c] = (uchar)(q >= threshold);
}

// Work-group sum of one uint per work item (size RAISE_WG, a power of two).
uint group_sum(uint value, __local uint *scratch)
{
    const uint lid = get_local_id(0);
    scratch[lid] = value;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint span = get_local_size(0) / 2; span > 0; span >>= 1) {
        if (lid < span) scratch[lid] += scratch[lid + span];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const uint total = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}

// Step 4a, raise to threshold (stimulus_threshold k > 0), one work-group per active column:
// with fewer than k connected synapses, add (threshold - p_k) to every potential permanence,
// p_k the k-th largest (k capped at the pool size), then clip. p_k is found by bisection on
// the bit pattern (permanences lie in [0, 1], where floats order like their bits): the largest
// pattern v with at least k permanences >= v. Finally conn_t is brought in line with the row.
__kernel void sp_raise(__global float *perm, __global uchar *conn_t, __global const uint *out,
                       const uint k, const float threshold, __local uint *scratch)
{
    const uint c = out[1 + get_group_id(0)];
    const uint lid = get_local_id(0), size = get_local_size(0);
    __global float *row = perm + (size_t)c * N_INPUTS;
    uint pool = 0, connected = 0;
    for (uint i = lid; i < N_INPUTS; i += size) {
        pool += row[i] >= 0.0f;
        connected += row[i] >= threshold;
    }
    pool = group_sum(pool, scratch);
    connected = group_sum(connected, scratch);
    if (connected < k && pool > 0) {
        const uint kk = min(k, pool);
        uint lo = 0, hi = as_uint(1.0f);
        while (lo < hi) {
            const uint mid = lo + (hi - lo + 1) / 2;
            const float v = as_float(mid);
            uint at_least = 0;
            for (uint i = lid; i < N_INPUTS; i += size) at_least += row[i] >= v;
            if (group_sum(at_least, scratch) >= kk) lo = mid;
            else hi = mid - 1;
        }
        const float increment = threshold - as_float(lo);
        for (uint i = lid; i < N_INPUTS; i += size) {
            const float p = row[i];
            if (p >= 0.0f) row[i] = fmin(fmax(p + increment, 0.0f), 1.0f);
        }
    }
    for (uint i = lid; i < N_INPUTS; i += size) {
        const float p = row[i];
        if (p < 0.0f) continue;
        const uchar now = p >= threshold;
        __global uchar *bit = conn_t + (size_t)i * CONN_STRIDE + c;
        if (*bit != now) *bit = now;
    }
}

// ------------------------------------------------------------------------------------------
// Step 4b: duty cycles, dc = dc * decay, then + increment where the event happened (overlap > 0;
// active). Columns whose overlap duty cycle ends below the minimum are listed in weak (weak[0]
// counts them) for step 4c.
__kernel void sp_duty_cycles(__global const int *overlaps, __global const uchar *active,
                             __global float *odc, __global float *adc,
                             __global const float *min_odc, const float decay,
                             const float increment, __global uint *weak)
{
    const uint c = get_global_id(0);
    if (c >= N_COLS) return;
    float o = odc[c] * decay;
    if (overlaps[c] > 0) o = o + increment;
    odc[c] = o;
    float a = adc[c] * decay;
    if (active[c] == 1) a = a + increment;
    adc[c] = a;
    if (o < min_odc[c]) weak[1 + atomic_inc(&weak[0])] = c;
}

// Step 4c: every potential permanence of a weak column + bump, clipped; work-groups stride over
// the weak list (its length is known only on the device).
__kernel void sp_bump(__global float *perm, __global uchar *conn_t, __global const uint *weak,
                      const float bump, const float threshold)
{
    const uint count = weak[0];
    for (uint j = get_group_id(0); j < count; j += get_num_groups(0)) {
        const uint c = weak[1 + j];
        for (uint i = get_local_id(0); i < N_INPUTS; i += get_local_size(0)) {
            const size_t at = (size_t)c * N_INPUTS + i;
            const float p = perm[at];
            if (p < 0.0f) continue;
            const float q = fmin(fmax(p + bump, 0.0f), 1.0f);
            perm[at] = q;
            if ((p >= threshold) != (q >= threshold))
                conn_t[(size_t)i * CONN_STRIDE + c] = (uchar)(q >= threshold);
        }
    }
}

// ------------------------------------------------------------------------------------------
// Step 4e, inhibition radius input: per column (one work-group each), the sum over input
// dimensions of max - min + 1 coordinate of synapses with perm >= threshold (0 with none).
__kernel void sp_spans(__global const float *perm, const float threshold, __global int *spans)
{
    __local int lo[NDIM_IN], hi[NDIM_IN];
    const uint c = get_group_id(0), lid = get_local_id(0);
    if (lid < NDIM_IN) {
        lo[lid] = INT_MAX;
        hi[lid] = -1;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    int my_lo[NDIM_IN], my_hi[NDIM_IN];
    for (int d = 0; d < NDIM_IN; ++d) {
        my_lo[d] = INT_MAX;
        my_hi[d] = -1;
    }
    __global const float *row = perm + (size_t)c * N_INPUTS;
    for (uint i = lid; i < N_INPUTS; i += get_local_size(0)) {
        if (row[i] < threshold) continue;
        uint rest = i;
        for (int d = NDIM_IN - 1; d >= 0; --d) {
            const int x = (int)(rest % (uint)in_dims[d]);
            rest /= (uint)in_dims[d];
            my_lo[d] = min(my_lo[d], x);
            my_hi[d] = max(my_hi[d], x);
        }
    }
    for (int d = 0; d < NDIM_IN; ++d) {
        if (my_hi[d] >= 0) {
            atomic_min(&lo[d], my_lo[d]);
            atomic_max(&hi[d], my_hi[d]);
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid == 0) {
        int total = 0;
        for (int d = 0; d < NDIM_IN; ++d)
            if (hi[d] >= 0) total += hi[d] - lo[d] + 1;
        spans[c] = total;
    }
}
