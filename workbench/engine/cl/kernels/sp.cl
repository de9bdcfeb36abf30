// Spatial Pooler step on an OpenCL device (HTM_SPEC.md, "Spatial Pooler", compute steps 1-4).
// Host side and storage rationale: workbench/engine/htm/sp_opencl.py.
//
// Every result must equal numpy's bit for bit: no contraction of a*b+c, no fast-math; only
// float32 add/mul/min/max/compare (exact IEEE on both) and integer counts.
//
// Inputs outside a column's potential pool (and the padding of a row) hold NaN: it survives
// the updates below and compares false, so no kernel needs a mask for them.
//
// Kernels that run on CPUs avoid fmin/fmax (PoCL turns them into calls, 50x slower than
// compares: the clip (x < 0 ? 0 : x), then (x > 1 ? 1 : x) is exact and equal to numpy's
// maximum/minimum here, as no -0 can occur and NaN passes through both), data-dependent early
// returns and scattered stores in hot loops (they defeat PoCL's vectoriser); the GPU layout's
// uint8 learning path uses fmin/fmax where it says why.
//
// Sizes are kernel arguments, so one build serves every model of the same rank (a new
// parameter setting in the GUI does not recompile). Every kernel that indexes the bitmask takes
// n_cols and words (64-bit words per column: ceil(n_inputs / 64)); a permanence row holds
// words * 64 floats, the padding NaN.
//
// Defines:
//   CONN_WORD_MAJOR   1: conn[w * n_cols + c] (GPU: neighbouring work items read neighbouring
//                     words), 0: conn[c * words + w] (CPU: a work item reads its own row)
//                     It also picks which input a bit stands for: bit k of word w is input
//                     k * words + w on a GPU (a learning work item owns PERM_V consecutive
//                     words, so it reads their permanences at bit k as one 16-byte vector and
//                     neighbouring work items touch neighbouring vectors: coalesced), 64 * w + k
//                     on a CPU (a work item walks 64 contiguous permanences).
//   NDIM_COL, NDIM_IN column and input ranks (their sizes come as __constant int arrays)
//   WRAP              1 for wrap-around neighbourhoods, else 0
//   SELECT_WG         work-group size of sp_inhibit_global: 1 (sequential, for CPUs) or a
//                     power of two >= 256 (GPUs)
//   PERM_STORAGE      how permanences are stored (workbench/engine/htm/sp_storage.py): 0 float32,
//                     1 float16 (IEEE half, written rounded to nearest even), 2 uint8 fixed
//                     point (code q is q * PERM_U8_STEP, 255 outside the pool). Kernels read
//                     and write them only through PERM_LOAD / PERM_STORE, compute in float32
//                     on the decoded value (NaN outside the pool in every storage) and round
//                     once when they store; PERM_STORE's value is the stored value, decoded.
//   PERM_U8_STEP      float32(1 / 254) as a hex literal (a product, not a division: exact IEEE)
#pragma OPENCL FP_CONTRACT OFF

#if PERM_STORAGE == 0
typedef float perm_t;
#define PERM_LOAD(row, i) ((row)[i])
#define PERM_STORE(row, i, v) ((row)[i] = (v))
#elif PERM_STORAGE == 1
// float16 by bit operations rather than vload_half / vstore_half_rte, which PoCL does not
// vectorise (a learning step ran 10x slower than in float32). Stored values are halves in
// [0, 1] or NaN (0x7e00); no float32 denormal is ever formed, so a device that flushes them
// gives the same results.
typedef ushort perm_t;
#define PERM_LOAD(row, i) perm_decode_half((row)[i])
#define PERM_STORE(row, i, v) perm_store_half((row), (i), (v))

float perm_decode_half(const uint h)
{
    const float normal = as_float((h << 13) + (112u << 23));  // rebias the exponent 15 -> 127
    const float subnormal = (float)h * 0x1p-24f;
    return h >= 0x7c00u ? NAN : h < 0x400u ? subnormal : normal;
}

// Rounds v (in [0, 1], or NaN) to the nearest half, ties to even: returns its bit pattern and
// sets *value to it. Adding then subtracting magic = 2^(e + 13), e = max(v's exponent, -14),
// rounds v to a multiple of 2^(e - 10), the half spacing at v, in the float32 unit's
// round-to-nearest-even.
ushort perm_encode_half(const float v, float *value)
{
    const uint exponent = as_uint(v) & 0x7f800000u;
    const uint e = exponent < 0x38800000u ? 0x38800000u : exponent;  // 0x38800000: 2^-14
    const float magic = as_float(e + (13u << 23));
    const float r = (v + magic) - magic;
    const uint normal = (as_uint(r) >> 13) - (112u << 10);
    const uint subnormal = (uint)(int)(r * 0x1p24f);  // a whole number below 1024
    const uint h = v != v ? 0x7e00u : r < 0x1p-14f ? subnormal : normal;
    *value = r;
    return (ushort)h;
}

// Rounds v to the nearest half (perm_encode_half), stores it and returns it.
float perm_store_half(__global ushort *row, const size_t i, const float v)
{
    float r;
    row[i] = perm_encode_half(v, &r);
    return r;
}
#else
typedef uchar perm_t;
#define PERM_LOAD(row, i) perm_decode_u8((row)[i])
#define PERM_STORE(row, i, v) perm_store_u8((row), (i), (v))

float perm_decode_u8(const uchar q)
{
    return q == (uchar)255 ? NAN : (float)q * PERM_U8_STEP;
}

// rint(v * 254), ties to even, as adding and subtracting 2^23 rounds it (rint itself is a
// library call that stops PoCL's vectoriser).
float perm_store_u8(__global uchar *row, const size_t i, const float v)
{
    const float scaled = v * 254.0f;
    const float r = (scaled + 8388608.0f) - 8388608.0f;
    const uchar q = v != v ? (uchar)255 : (uchar)(int)r;
    row[i] = q;
    return perm_decode_u8(q);
}
#endif

#if CONN_WORD_MAJOR
#define CONN_AT(c, w) ((size_t)(w) * n_cols + (c))
#define INPUT_OF(w, k) ((size_t)(k) * words + (w))
#else
#define CONN_AT(c, w) ((size_t)(c) * words + (w))
#define INPUT_OF(w, k) ((size_t)(w) * 64 + (k))
#endif

#define CLIP01(x) ((x) > 1.0f ? 1.0f : (x) < 0.0f ? 0.0f : (x))

#if CONN_WORD_MAJOR
// ------------------------------------------------------------------------------------------
// Learning in the GPU layout: a work item owns PERM_V consecutive words w .. w + PERM_V - 1 of a
// column, whose permanences at bit k are the PERM_V consecutive values INPUT_OF(w, k) ..: one
// 16-byte vector per k (16 uint8, 8 float16 or 4 float32 values), so a warp's load or store
// moves 512 bytes (one byte per work item left the uint8 kernel bound by load/store
// instructions).
// The lane functions below update or test one permanence of such a vector, with the results
// of PERM_LOAD / PERM_STORE and the scalar rules above, bit for bit.
// Vectors are moved as uint4 whatever the storage: a compiler may split a vector of bytes into
// 4-byte accesses (LLVM 14's NVPTX back end does), while a uint4 at a 16-byte aligned address
// is one access.
#if PERM_STORAGE == 0
#define PERM_V 4
#define PERM_VLOAD(at) as_uint4(vload4(0, at))
#define PERM_VSTORE(v, at) vstore4(as_float4(v), 0, at)
#elif PERM_STORAGE == 1
#define PERM_V 8
#define PERM_VLOAD(at) as_uint4(vload8(0, at))
#define PERM_VSTORE(v, at) vstore8(as_ushort8(v), 0, at)
#else
#define PERM_V 16
#define PERM_VLOAD(at) as_uint4(vload16(0, at))
#define PERM_VSTORE(v, at) vstore16(as_uchar16(v), 0, at)
#endif

// Lane j of a vector (as uint4 x, y, z, w) is in its word j / PERM_PER_WORD, at bit
// PERM_BITS * (j % PERM_PER_WORD): shifts and masks on constant lanes, which stay in
// registers (a union of the vector with an array of perm_t can go through memory).
#define PERM_PER_WORD (PERM_V / 4)
#define PERM_BITS (32 / PERM_PER_WORD)

uint vector_word(const uint4 v, const int i)
{
    return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w;
}

perm_t lane_of(const uint4 v, const int j)
{
    const uint word = vector_word(v, j / PERM_PER_WORD);
#if PERM_STORAGE == 0
    return as_float(word);
#else
    return (perm_t)(word >> (PERM_BITS * (j % PERM_PER_WORD)));
#endif
}

// The bits of lane value x at its place in its word (OR them into a zeroed vector).
uint lane_bits(const perm_t x, const int j)
{
#if PERM_STORAGE == 0
    return as_uint(x);
#else
    return (uint)x << (PERM_BITS * (j % PERM_PER_WORD));
#endif
}

// True when no lane is in the potential pool (every lane decodes to NaN): learning leaves such
// a vector as it is and connects none of it, so it is neither computed nor stored again. With
// potential pools narrower than the input, most vectors are so (a quarter of them are in the
// pool at 262,144 columns x 65,536 inputs in benchmarks/bench_scaling.py).
int outside_pool(const uint4 v)
{
#if PERM_STORAGE == 0
    const float4 f = as_float4(v);
    return f.x != f.x && f.y != f.y && f.z != f.z && f.w != f.w;
#elif PERM_STORAGE == 1
    const uint ones = 0x7c007c00u;  // the exponent of both halves: NaN (or inf, also read as NaN)
    return (v.x & v.y & v.z & v.w & ones) == ones;
#else
    return (v.x & v.y & v.z & v.w) == 0xffffffffu;  // four codes 255 each
#endif
}

// The vectors of a row are 16-byte aligned when words is a multiple of PERM_V (a row starts at
// a multiple of 64 values) and are then accessed as one; vloadn / vstoren accept any address,
// which a compiler may split into narrow accesses.
uint4 load_lanes(__global const perm_t *at, const int aligned)
{
    return aligned ? *(__global const uint4 *)at : PERM_VLOAD(at);
}

void store_lanes(const uint4 v, __global perm_t *at, const int aligned)
{
    if (aligned) *(__global uint4 *)at = v;
    else PERM_VSTORE(v, at);
}

#if PERM_STORAGE == 2
// uint8 lanes compare a key with a limit instead of decoding: the key of code q is the float
// 2^23 + q, and a code other than 255 (outside the pool) is connected when its key >= 2^23 +
// the smallest code whose value is >= threshold (found here with perm_decode_u8's decoding).
float connected_limit(const float threshold)
{
    uint lo = 0, hi = 255;  // 255: no code is connected
    while (lo < hi) {
        const uint mid = (lo + hi) / 2;
        if ((float)mid * PERM_U8_STEP >= threshold) hi = mid;
        else lo = mid + 1;
    }
    return 8388608.0f + (float)lo;
}

int lane_connected(const uchar q, const float limit)
{
    return q != (uchar)255 && as_float(0x4b000000u | q) >= limit;
}

// perm_decode_u8, + delta, CLIP01, perm_store_u8, without the int <-> float conversions (a GPU
// converts at an eighth of its add rate, and this runs three per permanence), by these exact
// identities for whole numbers n < 2^23: (float)n == as_float(0x4b000000 | n) - 2^23, and for
// t = scaled + 2^23 (scaled in [0, 254]), (int)(t - 2^23) == the low byte of as_uint(t). Code
// 255 (outside the pool) is kept by a select rather than carried as NaN, so the clip needs no
// NaN pass-through: fmin / fmax equal CLIP01 on numbers (no -0 occurs: a decoded value is
// never -0, so neither is value + delta).
uchar lane_adapt(const uchar q, const float delta, const float limit, int *connected)
{
    const float p = (as_float(0x4b000000u | q) - 8388608.0f) * PERM_U8_STEP;
    const float moved = p + delta;
    const float clipped = fmin(fmax(moved, 0.0f), 1.0f);
    const float scaled = clipped * 254.0f;
    const float t = scaled + 8388608.0f;
    const int potential = q != (uchar)255;
    *connected = potential && t >= limit;
    return potential ? (uchar)as_uint(t) : (uchar)255;
}
#else
float connected_limit(const float threshold)
{
    return threshold;
}

int lane_connected(const perm_t stored, const float limit)
{
#if PERM_STORAGE == 0
    return stored >= limit;
#else
    return perm_decode_half(stored) >= limit;
#endif
}

perm_t lane_adapt(const perm_t stored, const float delta, const float limit, int *connected)
{
#if PERM_STORAGE == 0
    const float moved = stored + delta;
    const float value = CLIP01(moved);
    *connected = value >= limit;
    return value;
#else
    const float moved = perm_decode_half(stored) + delta;
    float value;
    const ushort h = perm_encode_half(CLIP01(moved), &value);
    *connected = value >= limit;
    return h;
#endif
}
#endif

// Adds inc to the permanences of inputs that are on, -dec (p - dec == p + -dec exactly) to the
// others, clips and stores them, for bits first .. first + 31 of the PERM_V words w ..: on[j]
// holds lane j's 32 input bits on entry and its 32 connected bits on return (each input bit is
// replaced by its connected bit once used: fewer registers). ahead[] holds the vectors of the
// next LOAD_AHEAD bits, loaded that many bits before they are used, so that a work item keeps
// LOAD_AHEAD loads in flight instead of waiting for each in turn.
#define LOAD_AHEAD 2
void adapt_stripes(__global perm_t *row, const uint words, const uint w, const int first,
                   uint *on, const float inc, const float dec, const float limit,
                   const int aligned, uint4 *ahead)
{
    const float down = -dec;
    uint skipped = 0;
    for (int b = 0; b < 32; ++b) {
        const int k = first + b;
        const uint4 cur = ahead[0];
#pragma unroll
        for (int a = 0; a + 1 < LOAD_AHEAD; ++a) ahead[a] = ahead[a + 1];
        if (k + LOAD_AHEAD < 64)
            ahead[LOAD_AHEAD - 1] = load_lanes(row + INPUT_OF(w, k + LOAD_AHEAD), aligned);
        const uint bit = 1u << b;
        if (outside_pool(cur)) {
            skipped |= bit;
            continue;
        }
        uint moved[4] = {0, 0, 0, 0};
#pragma unroll
        for (int j = 0; j < PERM_V; ++j) {
            int connected;
            const perm_t x = lane_adapt(lane_of(cur, j), (on[j] & bit) ? inc : down, limit,
                                        &connected);
            moved[j / PERM_PER_WORD] |= lane_bits(x, j);
            on[j] = connected ? on[j] | bit : on[j] & ~bit;
        }
        store_lanes((uint4)(moved[0], moved[1], moved[2], moved[3]), row + INPUT_OF(w, k),
                    aligned);
    }
#pragma unroll
    for (int j = 0; j < PERM_V; ++j) on[j] &= ~skipped;
}

// adapt_stripes over all 64 bits of the PERM_V words w .. of a row, every input on when all_on
// (bumping); returns the connected words.
void adapt_lanes(__global perm_t *row, const uint words, const uint w,
                 __global const ulong *input_bits, const int all_on, const float inc,
                 const float dec, const float limit, const int aligned, ulong *word)
{
    uint low[PERM_V], high[PERM_V];
    uint4 ahead[LOAD_AHEAD];
#pragma unroll
    for (int a = 0; a < LOAD_AHEAD; ++a) ahead[a] = load_lanes(row + INPUT_OF(w, a), aligned);
#pragma unroll
    for (int j = 0; j < PERM_V; ++j) low[j] = all_on ? 0xffffffffu : (uint)input_bits[w + j];
    adapt_stripes(row, words, w, 0, low, inc, dec, limit, aligned, ahead);
#pragma unroll
    for (int j = 0; j < PERM_V; ++j) high[j] = all_on ? 0xffffffffu : (uint)(input_bits[w + j] >> 32);
    adapt_stripes(row, words, w, 32, high, inc, dec, limit, aligned, ahead);
#pragma unroll
    for (int j = 0; j < PERM_V; ++j) word[j] = (ulong)high[j] << 32 | low[j];
}

// adapt_lanes for the words w .. min(w + PERM_V, words) - 1 of column c, written to conn: one
// word at a time (scalar accesses) at the end of a row whose words are not a multiple of PERM_V.
void adapt_words(const uint n_cols, const uint words, __global perm_t *row, __global ulong *conn,
                 const uint c, const uint w, __global const ulong *input_bits, const int all_on,
                 const float inc, const float dec, const float limit)
{
    if (w + PERM_V <= words) {
        ulong word[PERM_V];
        if (words % PERM_V == 0)
            adapt_lanes(row, words, w, input_bits, all_on, inc, dec, limit, 1, word);
        else
            adapt_lanes(row, words, w, input_bits, all_on, inc, dec, limit, 0, word);
#pragma unroll
        for (int j = 0; j < PERM_V; ++j) conn[CONN_AT(c, w + j)] = word[j];
        return;
    }
    for (uint x = w; x < words; ++x) {
        const ulong on = all_on ? ~0ul : input_bits[x];
        ulong word = 0;
        for (int k = 0; k < 64; ++k) {
            __global perm_t *at = row + INPUT_OF(x, k);
            int connected;
            *at = lane_adapt(*at, ((on >> k) & 1ul) ? inc : -dec, limit, &connected);
            word |= (ulong)connected << k;
        }
        conn[CONN_AT(c, x)] = word;
    }
}

// The connected words w .. min(w + PERM_V, words) - 1 of column c from its permanences.
void connect_words(const uint n_cols, const uint words, __global const perm_t *row,
                   __global ulong *conn, const uint c, const uint w, const float limit)
{
    if (w + PERM_V <= words) {
        const int aligned = words % PERM_V == 0;
        ulong word[PERM_V];
#pragma unroll
        for (int j = 0; j < PERM_V; ++j) word[j] = 0;
        for (int k = 0; k < 64; ++k) {
            const uint4 cur = load_lanes(row + INPUT_OF(w, k), aligned);
#pragma unroll
            for (int j = 0; j < PERM_V; ++j)
                word[j] |= (ulong)lane_connected(lane_of(cur, j), limit) << k;
        }
#pragma unroll
        for (int j = 0; j < PERM_V; ++j) conn[CONN_AT(c, w + j)] = word[j];
        return;
    }
    for (uint x = w; x < words; ++x) {
        ulong word = 0;
        for (int k = 0; k < 64; ++k) word |= (ulong)lane_connected(row[INPUT_OF(x, k)], limit) << k;
        conn[CONN_AT(c, x)] = word;
    }
}
#endif

// ------------------------------------------------------------------------------------------
// Step 1 + 2: overlap = popcount(connected bits & input bits) over the column's words, then
// boost. Bit k of word w of column c is set when input INPUT_OF(w, k) is connected to c.
__kernel void sp_overlap(const uint n_cols, const uint words, __global const ulong *conn,
                         __global const ulong *input_bits, __global const float *boost,
                         const int boosting, __global int *overlaps, __global float *boosted)
{
    const uint c = get_global_id(0);
    if (c < n_cols) {
        uint count = 0;
        for (uint w = 0; w < words; ++w) count += (uint)popcount(conn[CONN_AT(c, w)] & input_bits[w]);
        overlaps[c] = (int)count;
        const float value = (float)count;
        boosted[c] = boosting ? value * boost[c] : value;
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
#if SELECT_WG == 1
#define HIST_INC(h) (++(h))
#else
#define HIST_INC(h) atomic_inc(&(h))
#endif

// One radix select. mode 0: keys are the values' bit patterns, every column a candidate.
// mode 1: keys are the column indices, candidates the columns whose value bits == equal_to.
// Returns (via key_out/need_out) the need-th largest key and how many candidates equal to it
// are needed (1 <= need <= candidates on entry).
void radix_select(const uint n_cols, __global const float *boosted, const int mode, const uint equal_to,
                  const int first_shift, uint need, __local uint *hist, __local uint *result,
                  uint *key_out, uint *need_out)
{
    const uint lid = get_local_id(0);
    uint prefix = 0, mask = 0;
    for (int shift = first_shift; shift >= 0; shift -= 8) {
        for (uint b = lid; b < RADIX; b += SELECT_WG) hist[b] = 0;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (uint c = lid; c < n_cols; c += SELECT_WG) {
            const uint bits = as_uint(boosted[c]);
            const uint key = mode == 0 ? bits : c;
            if ((mode == 0 || bits == equal_to) && (key & mask) == prefix)
                HIST_INC(hist[(key >> shift) & 0xffu]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
#if SELECT_WG == 1
        uint above = 0;
        for (int b = RADIX - 1; b >= 0; --b) {
            if (above + hist[b] >= need) {
                result[0] = (uint)b;
                result[1] = need - above;
                break;
            }
            above += hist[b];
        }
#else
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
#endif
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
void sp_inhibit_global(const uint n_cols, const int index_shift, __global const float *boosted,
                       const uint n, const float stimulus, __global uchar *active,
                       __global uint *out, __global uint *weak)
{
    __local uint hist[RADIX];
    __local uint result[2];
    __local uint count;
    const uint lid = get_local_id(0);
    uint value_key = 0xffffffffu, index_key = 0xffffffffu, ties = 0;
    if (n > 0) {
        radix_select(n_cols, boosted, 0, 0, 24, n, hist, result, &value_key, &ties);
        radix_select(n_cols, boosted, 1, value_key, index_shift, ties, hist, result, &index_key,
                     &ties);
    }
    if (lid == 0) count = 0;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint c = lid; c < n_cols; c += SELECT_WG) {
        const float value = boosted[c];
        const uint bits = as_uint(value);
        const int win = n > 0 && (bits > value_key || (bits == value_key && c >= index_key))
                        && value >= stimulus;
        active[c] = (uchar)win;
#if SELECT_WG == 1
        if (win) out[1 + count++] = c;
#else
        if (win) out[1 + atomic_inc(&count)] = c;
#endif
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

void walk_start(walk_t *w, __constant const int *col_dims, uint column, const int radius)
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

uint walk_index(const walk_t *w, __constant const int *col_dims)
{
    uint index = 0;
    for (int d = 0; d < NDIM_COL; ++d) index = index * (uint)col_dims[d] + (uint)w->cur[d];
    return index;
}

int walk_next(walk_t *w, __constant const int *col_dims)
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
__kernel void sp_inhibit_local_count(const uint n_cols, __constant const int *col_dims,
                                     __global const float *boosted, const int radius,
                                     const float density, const float stimulus,
                                     __global uchar *status, __global int *room)
{
    const uint c = get_global_id(0);
    if (c >= n_cols) return;
    const float mine = boosted[c];
    int larger = 0, equal_lower = 0, area = 0;
    walk_t w;
    walk_start(&w, col_dims, c, radius);
    do {
        const uint other = walk_index(&w, col_dims);
        const float value = boosted[other];
        ++area;
        if (value > mine) ++larger;
        else if (value == mine && other < c) ++equal_lower;
    } while (walk_next(&w, col_dims));
    const float scaled = density * (float)area;
    const int quota = (int)(0.5f + scaled);
    uchar s = 0;
    if (mine >= stimulus) s = larger + equal_lower < quota ? 1 : larger < quota ? 2 : 0;
    status[c] = s;
    room[c] = quota - larger;
}

// Part 2 (a single work item): the undecided columns in ascending order, then the output list
// (ascending). status doubles as the active flag afterwards.
__kernel void sp_inhibit_local_resolve(const uint n_cols, __constant const int *col_dims,
                                       __global const float *boosted, const int radius,
                                       __global uchar *status, __global const int *room,
                                       __global uint *out, __global uint *weak)
{
    uint count = 0;
    for (uint c = 0; c < n_cols; ++c) {
        uchar s = status[c];
        if (s == 2) {
            const float mine = boosted[c];
            int won = 0;
            walk_t w;
            walk_start(&w, col_dims, c, radius);
            do {
                const uint other = walk_index(&w, col_dims);
                if (other < c && status[other] == 1 && boosted[other] == mine) ++won;
            } while (walk_next(&w, col_dims));
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
// - dec otherwise, clipped to [0, 1]. One work item per (word of 64 inputs, active column):
// it rewrites the 64 permanences and the word of connected bits they make (no scattered stores).
__kernel void sp_adapt(const uint n_cols, const uint words, __global perm_t *perm,
                       __global ulong *conn, __global const ulong *input_bits,
                       __global const uint *out, const float inc, const float dec,
                       const float threshold)
{
#if CONN_WORD_MAJOR
    const uint w = get_global_id(0) * PERM_V;
    const uint c = out[1 + get_global_id(1)];
    if (w < words)
        adapt_words(n_cols, words, perm + (size_t)c * words * 64, conn, c, w, input_bits, 0, inc,
                    dec, connected_limit(threshold));
#else
    const uint w = get_global_id(0);
    const uint c = out[1 + get_global_id(1)];
    if (w < words) {
        __global perm_t *row = perm + (size_t)c * words * 64;
        const ulong on = input_bits[w];
        ulong word = 0;
        for (int k = 0; k < 64; ++k) {
            const float p = PERM_LOAD(row, INPUT_OF(w, k));
            const float moved = ((on >> k) & 1ul) ? p + inc : p - dec;
            const float q = PERM_STORE(row, INPUT_OF(w, k), CLIP01(moved));
            word |= (ulong)(q >= threshold) << k;
        }
        conn[CONN_AT(c, w)] = word;
    }
#endif
}

// The connected bitmask of columns first_col .. first_col + count - 1 from their stored
// permanences (after the host wrote them), one work item per (word, column).
__kernel void sp_connect(const uint n_cols, const uint words, __global const perm_t *perm,
                         __global ulong *conn, const uint first_col, const float threshold)
{
#if CONN_WORD_MAJOR
    const uint w = get_global_id(0) * PERM_V;
    const uint c = first_col + get_global_id(1);
    if (w < words)
        connect_words(n_cols, words, perm + (size_t)c * words * 64, conn, c, w,
                      connected_limit(threshold));
#else
    const uint w = get_global_id(0);
    const uint c = first_col + get_global_id(1);
    if (w < words) {
        __global const perm_t *row = perm + (size_t)c * words * 64;
        ulong word = 0;
        for (int k = 0; k < 64; ++k)
            word |= (ulong)(PERM_LOAD(row, INPUT_OF(w, k)) >= threshold) << k;
        conn[CONN_AT(c, w)] = word;
    }
#endif
}

// The connected bits of one column, rewritten from its permanences by a work-group.
void rewrite_words(const uint n_cols, const uint words, __global const perm_t *row,
                   __global ulong *conn, const uint c, const float threshold)
{
    for (uint w = get_local_id(0); w < words; w += get_local_size(0)) {
        ulong word = 0;
        for (int k = 0; k < 64; ++k)
            word |= (ulong)(PERM_LOAD(row, INPUT_OF(w, k)) >= threshold) << k;
        conn[CONN_AT(c, w)] = word;
    }
}

// Work-group sum of one uint per work item (local size a power of two).
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
// with fewer than k connected synapses, add (target - p_k) to every potential permanence,
// p_k the k-th largest (k capped at the pool size), then clip. target is the connected
// threshold in float32, the smallest stored connected value at reduced precision. p_k is found
// by bisection on the bit pattern (permanences lie in [0, 1], where floats order like their
// bits): the largest pattern v with at least k permanences >= v.
__kernel void sp_raise(const uint n_cols, const uint words, const uint n_inputs,
                       __global perm_t *perm, __global ulong *conn, __global const uint *out,
                       const uint k, const float threshold, const float target,
                       __local uint *scratch)
{
    const uint c = out[1 + get_group_id(0)];
    const uint lid = get_local_id(0), size = get_local_size(0);
    __global perm_t *row = perm + (size_t)c * words * 64;
    uint pool = 0, connected = 0;
    for (uint i = lid; i < n_inputs; i += size) {
        const float p = PERM_LOAD(row, i);
        pool += p >= 0.0f;
        connected += p >= threshold;
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
            for (uint i = lid; i < n_inputs; i += size) at_least += PERM_LOAD(row, i) >= v;
            if (group_sum(at_least, scratch) >= kk) lo = mid;
            else hi = mid - 1;
        }
        const float increment = target - as_float(lo);
        for (uint i = lid; i < n_inputs; i += size) {
            const float p = PERM_LOAD(row, i);
            const float moved = p + increment;
            if (p >= 0.0f) PERM_STORE(row, i, CLIP01(moved));
        }
        barrier(CLK_GLOBAL_MEM_FENCE);
        rewrite_words(n_cols, words, row, conn, c, threshold);
    }
}

// ------------------------------------------------------------------------------------------
// Step 4b: duty cycles, dc = dc * decay, then + increment where the event happened (overlap > 0;
// active). Columns whose overlap duty cycle ends below the minimum are listed in weak (weak[0]
// counts them) for step 4c.
__kernel void sp_duty_cycles(const uint n_cols, __global const int *overlaps,
                             __global const uchar *active, __global float *odc,
                             __global float *adc, __global const float *min_odc,
                             const float decay, const float increment, __global uint *weak)
{
    const uint c = get_global_id(0);
    if (c < n_cols) {
        const float o0 = odc[c] * decay;
        const float o = overlaps[c] > 0 ? o0 + increment : o0;
        odc[c] = o;
        const float a0 = adc[c] * decay;
        adc[c] = active[c] == 1 ? a0 + increment : a0;
        if (o < min_odc[c]) weak[1 + atomic_inc(&weak[0])] = c;
    }
}

// Step 4c: every potential permanence of a weak column + bump, clipped; work-groups stride over
// the weak list (its length is known only on the device).
__kernel void sp_bump(const uint n_cols, const uint words, __global perm_t *perm,
                      __global ulong *conn, __global const uint *weak, const float bump,
                      const float threshold)
{
    const uint count = weak[0];
#if CONN_WORD_MAJOR
    const float limit = connected_limit(threshold);
    for (uint j = get_group_id(0); j < count; j += get_num_groups(0)) {
        const uint c = weak[1 + j];
        __global perm_t *row = perm + (size_t)c * words * 64;
        for (uint w = get_local_id(0) * PERM_V; w < words; w += get_local_size(0) * PERM_V)
            adapt_words(n_cols, words, row, conn, c, w, 0, 1, bump, 0.0f, limit);
    }
#else
    for (uint j = get_group_id(0); j < count; j += get_num_groups(0)) {
        const uint c = weak[1 + j];
        __global perm_t *row = perm + (size_t)c * words * 64;
        for (uint w = get_local_id(0); w < words; w += get_local_size(0)) {
            ulong word = 0;
            for (int k = 0; k < 64; ++k) {
                const float p = PERM_LOAD(row, INPUT_OF(w, k));
                const float moved = p + bump;
                const float q = PERM_STORE(row, INPUT_OF(w, k), CLIP01(moved));
                word |= (ulong)(q >= threshold) << k;
            }
            conn[CONN_AT(c, w)] = word;
        }
    }
#endif
}

// ------------------------------------------------------------------------------------------
// Step 4e, inhibition radius input: per column (one work-group each), the sum over input
// dimensions of max - min + 1 coordinate of synapses with perm >= threshold (0 with none).
__kernel void sp_spans(const uint words, const uint n_inputs, __constant const int *in_dims,
                       __global const perm_t *perm, const float threshold, __global int *spans)
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
    __global const perm_t *row = perm + (size_t)c * words * 64;
    for (uint i = lid; i < n_inputs; i += get_local_size(0)) {
        if (!(PERM_LOAD(row, i) >= threshold)) continue;  // NaN (not potential) fails every compare
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
