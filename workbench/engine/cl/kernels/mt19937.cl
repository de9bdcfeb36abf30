// The Mersenne Twister MT19937 of HTM_SPEC.md "Numbers and randomness" (the stream of
// workbench/engine/htm/rng.py's CompatRNG, numpy's MT19937) generated on the device: n raw
// 32-bit draws from a state (624 key words, then the position of the next word to temper),
// and the state after them. Host side: workbench/engine/htm/rng_cl.py.
//
// One work-group. The key's words are tempered in parallel; the twist that renews the key
// every 624 draws is sequential in the reference loop ("for i in 0 .. 623: key[i] =
// key[(i + 397) % 624] ^ f(key[i], key[i + 1])"), but it splits into four phases whose words
// depend only on words of earlier phases: 0 .. 226 read the old key; 227 .. 453 the first
// phase's words; 454 .. 622 the second's; 623 the first's and the second's. Each phase reads
// its inputs, waits at a barrier, then writes. Integer work only: the draws equal numpy's.

#define KEY 624
#define SHIFT 397
#define SPAN (KEY - SHIFT)  // 227

static uint temper(uint y) {
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    return y ^ (y >> 18);
}

// The new word i from the old words i and i + 1 and the word `far` (i + 397, wrapped).
static uint twisted(const uint word, const uint next, const uint far) {
    const uint y = (word & 0x80000000u) | (next & 0x7fffffffu);
    return far ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
}

// Launched as one work-group of GROUP (>= 227) work items.
__kernel void mt19937_draws(const uint n, __global uint* state, __global uint* out) {
    __local uint key[KEY];
    const uint l = get_local_id(0);
    for (uint i = l; i < KEY; i += GROUP) key[i] = state[i];
    uint pos = state[KEY];
    barrier(CLK_LOCAL_MEM_FENCE);
    uint done = min(n, KEY - pos);  // the rest of the current key first
    for (uint i = l; i < done; i += GROUP) out[i] = temper(key[pos + i]);
    pos += done;
    while (done < n) {
        uint word = 0, next = 0, far = 0;
        for (uint phase = 0; phase < 3; ++phase) {
            const uint i = phase * SPAN + l;  // phase 2 stops at 622
            const int active = l < SPAN && i < KEY - 1;
            if (active) {
                word = key[i];
                next = key[i + 1];
                far = phase == 0 ? key[i + SHIFT] : key[i - SPAN];
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            if (active) key[i] = twisted(word, next, far);
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        if (l == 0) key[KEY - 1] = twisted(key[KEY - 1], key[0], key[SHIFT - 1]);
        barrier(CLK_LOCAL_MEM_FENCE);
        const uint take = min(n - done, (uint)KEY);
        for (uint i = l; i < take; i += GROUP) out[done + i] = temper(key[i]);
        done += take;
        pos = take;
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (uint i = l; i < KEY; i += GROUP) state[i] = key[i];
    if (l == 0) state[KEY] = pos;
}
