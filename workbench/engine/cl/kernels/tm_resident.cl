// The Temporal Memory kept whole on the device (HTM_SPEC.md "Temporal Memory", steps 1-4,
// learning included): the segment pool lives here and the host sends only the active columns.
// Host side: workbench/engine/htm/tm_resident_cl.py, which also runs tm_infer.cl's activation
// and winner kernels (their staged buffer and found list are described in tm_dendrites.cl).
//
// The pool: `pre` and `perm` (rows x W: the host widens W before a step's growth when its
// longest segment plus max_new_synapse_count would not fit), `count`, `owner` (-1: free), per
// cell `spc` (its segment count), a LIFO stack `free_rows`, and `meta` (the ints named below).
// Cell state is kept as stamps of the step clock: a cell was active (winner) in the step
// before this one when its active_stamp (winner_stamp) is clock - 1; `winners` lists the
// winners of the step meta[WINNERS_CLOCK] in ascending order (a growth's candidates).
//
// A learning step, in spec order, with the parts the spec makes sequential made so here:
// tm_learn_columns and tm_learn_adapt adapt every reinforced or punished segment at once
// (each touches only its own row) and list the step's events (growths, destructions, and the
// bursting columns that create a segment): each with its (column, cell, segment) key and the
// random draws it spends; tm_learn_order ranks them by key, which gives every event's offset
// in the step's draws (made on the device from the host's generator state, rng_cl.py) and
// every shuffle's row; tm_learn_grow grows every segment at once from its shuffled
// candidates; tm_learn_apply (one work item) runs the destructions and creations in key order,
// since they share the free list (tm_learn_create makes the creations at once when nothing is
// destroyed); tm_learn_clear and tm_learn_fill then rewrite their rows. tm_step_* stamp the
// step's cells and list its winners, and tm_resident_count counts the next step's dendrites.
// The host reads `meta` once, after the events are listed, to size the draws and the rows.
//
// Integer work, float32 additions and float64 sums of exact float32 squares, each in the order
// the numpy engine uses: results equal numpy's exactly.

#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable
#pragma OPENCL EXTENSION cl_khr_int64_extended_atomics : enable
#pragma OPENCL FP_CONTRACT OFF

// meta
#define N_ROWS 0
#define FREE_TOP 1
#define EVENTS 2
#define DRAWS 3
#define SHUFFLES 4
#define CANDIDATES 5
#define MAX_COUNT 6
#define FULL 7
#define DESTROYED 8
#define CREATED 9
#define LEAST_USED 10
#define WINNERS 11
#define WINNERS_CLOCK 12
#define BURSTS 13
#define DESTROYS 14

// cfg: the TM's integer parameters
#define CPC cfg[0]
#define ACTIVATION cfg[1]
#define MIN_THRESHOLD cfg[2]
#define LOWEST cfg[3]
#define MAX_NEW cfg[4]
#define MAX_SEGMENTS cfg[5]
#define W cfg[6]
#define MAX_SYNAPSES cfg[7]

// rates: the TM's float32 parameters
#define DECREMENT rates[0]
#define INCREMENT rates[1]
#define PUNISH rates[2]
#define INITIAL rates[3]
#define CONNECTED_AT rates[4]

// an event: ev_key (its order), ev[4 * e ..]: kind | shuffles << 2, a, b, draws
#define GROW 0
#define DESTROY 1
#define BURST 2
#define SEGMENT_KEY(cell, segment) (((ulong)(cell) << 33) | (1UL << 32) | (uint)(segment))
#define COLUMN_KEY(first_cell) ((ulong)(first_cell) << 33)

static void emit(const ulong key, const int kind, const int a, const int b, const int draws,
                 const int shuffles, volatile __global int* meta, __global ulong* ev_key,
                 __global int* ev) {
    const int e = atomic_inc(meta + EVENTS);
    ev_key[e] = key;
    ev[4 * e] = kind | (shuffles << 2);
    ev[4 * e + 1] = a;
    ev[4 * e + 2] = b;
    ev[4 * e + 3] = draws;
    if (draws) atomic_add(meta + DRAWS, draws);
    if (shuffles) atomic_inc(meta + SHUFFLES);
}

// Every kernel below that loops "for i = id; i < meta[...]" runs with however many work items
// the host chose: the counts are known only here.

// One work item: the candidates of this step are the winners of the step before (none after
// a reset), and the step's tallies start at 0.
__kernel void tm_learn_begin(const int clock, __global int* meta) {
    meta[CANDIDATES] = meta[WINNERS_CLOCK] == clock - 1 ? meta[WINNERS] : 0;
    meta[EVENTS] = meta[DRAWS] = meta[SHUFFLES] = meta[FULL] = 0;
    meta[DESTROYED] = meta[CREATED] = meta[LEAST_USED] = meta[BURSTS] = meta[DESTROYS] = 0;
}

// One work item per active column (n): stamp it active; a bursting column without a matching
// segment lists its creation (on its winner, after a least-used choice's cpc - 1 draws when it
// made one), which shuffles the candidates when there are more than max_new; a full winner
// cell is marked for tm_learn_weakest.
__kernel void tm_learn_columns(const int n, const int cols_at, const int lists_at,
                               const int clock, __global const int* cfg,
                               __global const int* staged, __global int* col_stamp,
                               __global const int* burst_stamp, __global const ulong* best_key,
                               __global const int* least_used_step, __global const int* spc,
                               __global int* evict_stamp, __global ulong* evict_key,
                               __global int* evict_row, volatile __global int* meta,
                               __global ulong* ev_key, __global int* ev) {
    const int g = get_global_id(0);
    if (g >= n) return;
    const int col = staged[cols_at + g], cpc = CPC;
    col_stamp[col] = clock;
    if (burst_stamp[col] != clock || best_key[col] != ULONG_MAX) return;
    const int winner = staged[lists_at + 2 + n * cpc + n + g];
    const int least = least_used_step[col] == clock, candidates = meta[CANDIDATES];
    const int shuffles = candidates > 0 && MAX_NEW < candidates;
    if (least) atomic_inc(meta + LEAST_USED);
    atomic_inc(meta + BURSTS);
    if (candidates > 0 && spc[winner] >= MAX_SEGMENTS) {
        evict_stamp[winner] = clock;
        evict_key[winner] = ULONG_MAX;
        evict_row[winner] = INT_MAX;
        atomic_inc(meta + FULL);
    }
    emit(COLUMN_KEY(col * cpc), BURST, winner, least,
         least * (cpc - 1) + (shuffles ? candidates - 1 : 0), shuffles, meta, ev_key, ev);
}

// Over the last count's found segments: a reinforced one (active in an active column, or its
// bursting column's best matching segment) moves each synapse up (previous active cell) or down
// (else); a punished one (matching in an inactive column, with a predicted segment decrement)
// moves its previous active cells' synapses down. Permanences are clipped at 1, synapses below
// 1e-6 removed (the rest move down in slot order). A segment left below min_threshold is to be
// destroyed; a reinforced one that asks for new synapses grows.
__kernel void tm_learn_adapt(const int clock, __global const int* cfg,
                             __global const float* rates, __global const int* found,
                             __global const int* owner, __global const int* col_stamp,
                             __global const int* burst_stamp, __global const ulong* best_key,
                             __global const int* active_stamp, __global int* pre,
                             __global float* perm, __global int* count,
                             volatile __global int* meta, __global ulong* ev_key,
                             __global int* ev) {
    const int total = found[0], candidates = meta[CANDIDATES], width = W, cpc = CPC;
    const float punish = PUNISH;
    for (int i = get_global_id(0); i < total; i += get_global_size(0)) {
        const int segment = found[2 + 3 * i], connected = found[3 + 3 * i];
        const int potential = found[4 + 3 * i];
        const int cell = owner[segment], col = cell / cpc;
        const int active_col = col_stamp[col] == clock;
        const ulong key = best_key[col];
        const int reinforce = active_col && (connected >= ACTIVATION ||
            (burst_stamp[col] == clock && key != ULONG_MAX && (uint)key == (uint)segment));
        if (!reinforce && !(!active_col && punish > 0.0f && potential >= MIN_THRESHOLD))
            continue;
        const float up = reinforce ? INCREMENT : -punish, down = reinforce ? -DECREMENT : 0.0f;
        __global int* row_pre = pre + (size_t)segment * width;
        __global float* row_perm = perm + (size_t)segment * width;
        const int n = count[segment];
        int kept = 0;
        for (int k = 0; k < n; ++k) {
            const int p = row_pre[k];
            const float value = fmin(row_perm[k] + (active_stamp[p] == clock - 1 ? up : down),
                                     1.0f);
            if (value < 1e-6f) continue;
            row_pre[kept] = p;
            row_perm[kept++] = value;
        }
        for (int k = kept; k < n; ++k) {
            row_pre[k] = -1;
            row_perm[k] = 0.0f;
        }
        count[segment] = kept;
        const int requested = MAX_NEW - potential;
        if (kept < MIN_THRESHOLD) {
            atomic_inc(meta + DESTROYS);
            emit(SEGMENT_KEY(cell, segment), DESTROY, segment, 0, 0, 0, meta, ev_key, ev);
        } else if (reinforce && requested > 0) {
            const int shuffles = requested < candidates;
            emit(SEGMENT_KEY(cell, segment), GROW, segment, requested,
                 shuffles ? candidates - 1 : 0, shuffles, meta, ev_key, ev);
        }
    }
}

// Over the events: each one's rank in key order, and from the events before it where its
// shuffle's draws start, which shuffle row is its own (-1: it shuffles nothing) and, for a
// creation, how many creations come before it.
__kernel void tm_learn_order(__global const int* cfg, __global const int* meta,
                             __global const ulong* ev_key, __global const int* ev,
                             __global int* order, __global int* ev_row,
                             __global int* ev_creation, __global ulong* first_draw) {
    const int total = meta[EVENTS];
    for (int i = get_global_id(0); i < total; i += get_global_size(0)) {
        const ulong key = ev_key[i];
        int rank = 0, row = 0, creations = 0;
        ulong before = 0;
        for (int j = 0; j < total; ++j) {
            if (ev_key[j] >= key) continue;
            ++rank;
            before += ev[4 * j + 3];
            row += ev[4 * j] >> 2;
            creations += (ev[4 * j] & 3) == BURST;
        }
        order[rank] = i;
        ev_creation[i] = creations;
        if (ev[4 * i] >> 2) {
            const int least = (ev[4 * i] & 3) == BURST && ev[4 * i + 2];
            first_draw[row] = before + (ulong)(least * (CPC - 1));
            ev_row[i] = row;
        } else {
            ev_row[i] = -1;
        }
    }
}

// Candidate k of an event's walk: position k of its shuffle, else k itself (sorted order).
static int walked(const int k, const int row, const int keep, __global const int* kept,
                  __global const int* winners) {
    return winners[row >= 0 ? kept[(size_t)row * keep + k] : k];
}

// Over the growth events (spec rule 4): n = min(requested, candidates); a segment that would
// pass max_synapses_per_segment first loses its weakest synapses to non-candidates (lowest
// permanence, then lowest slot) and n is capped by the room left; the walk through the
// candidates adds those not on the segment until n are new, raising the ones it passes that
// are to initial_permanence.
__kernel void tm_learn_grow(const int clock, __global const int* cfg,
                            __global const float* rates, volatile __global int* meta,
                            __global const int* ev, __global const int* ev_row,
                            __global const int* kept, __global const int* winners,
                            __global const int* winner_stamp, __global int* pre,
                            __global float* perm, __global int* count) {
    const int total = meta[EVENTS], candidates = meta[CANDIDATES], width = W;
    const int keep = min(MAX_NEW, candidates), most = MAX_SYNAPSES;
    const float initial = INITIAL;
    for (int i = get_global_id(0); i < total; i += get_global_size(0)) {
        if ((ev[4 * i] & 3) != GROW) continue;
        const int segment = ev[4 * i + 1], row = ev_row[i];
        int wanted = min(ev[4 * i + 2], candidates), n = count[segment];
        __global int* row_pre = pre + (size_t)segment * width;
        __global float* row_perm = perm + (size_t)segment * width;
        if (n + wanted > most) {
            for (int removed = n + wanted - most; removed > 0; --removed) {
                int weakest = -1;
                for (int k = 0; k < n; ++k) {
                    const int p = row_pre[k];
                    if (p < 0 || winner_stamp[p] == clock - 1) continue;
                    if (weakest < 0 || row_perm[k] < row_perm[weakest]) weakest = k;
                }
                if (weakest < 0) break;
                row_pre[weakest] = -1;
            }
            int left = 0;
            for (int k = 0; k < n; ++k) {
                if (row_pre[k] < 0) continue;
                row_pre[left] = row_pre[k];
                row_perm[left++] = row_perm[k];
            }
            for (int k = left; k < n; ++k) {
                row_pre[k] = -1;
                row_perm[k] = 0.0f;
            }
            n = left;
            wanted = min(wanted, most - n);
        }
        const int existing = n, steps = row >= 0 ? keep : candidates;
        for (int k = 0, added = 0; k < steps && added < wanted; ++k) {
            const int cell = walked(k, row, keep, kept, winners);
            int slot = -1;
            for (int s = 0; s < existing; ++s)
                if (row_pre[s] == cell) { slot = s; break; }
            if (slot >= 0) {
                row_perm[slot] = fmax(row_perm[slot], initial);
            } else {
                row_pre[n] = cell;
                row_perm[n++] = initial;
                ++added;
            }
        }
        count[segment] = n;
        atomic_max(meta + MAX_COUNT, n);
    }
}

// A marked (full) cell's weakest segment, the one it loses before its new one: smallest sum
// of squared permanences (summed in float64 in slot order, as the numpy pool does), then lowest
// index. Pass 0 finds the smallest sum per cell (a non-negative double's bits order as its
// value), pass 1 the lowest row with it.
__kernel void tm_learn_weakest(const int pass, const int clock, __global const int* cfg,
                               __global const int* meta, __global const int* owner,
                               __global const int* count, __global const float* perm,
                               __global const int* evict_stamp, volatile __global ulong* evict_key,
                               volatile __global int* evict_row) {
    const int rows = meta[N_ROWS], width = W;
    for (int r = get_global_id(0); r < rows; r += get_global_size(0)) {
        const int cell = owner[r];
        if (cell < 0 || evict_stamp[cell] != clock) continue;
        double sum = 0.0;
        for (int k = 0; k < count[r]; ++k) {
            const double p = perm[(size_t)r * width + k];
            sum += p * p;
        }
        const ulong bits = as_ulong(sum);
        if (pass == 0) atom_min(evict_key + cell, bits);
        else if (bits == evict_key[cell]) atomic_min(evict_row + cell, r);
    }
}

static void destroy(const int segment, __global int* count, __global int* owner,
                    __global int* spc, __global int* free_rows, __global int* meta,
                    __global int* destroyed) {
    const int d = meta[DESTROYED]++;
    destroyed[2 * d] = segment;
    destroyed[2 * d + 1] = count[segment];
    count[segment] = 0;
    --spc[owner[segment]];
    owner[segment] = -1;
    free_rows[meta[FREE_TOP]++] = segment;
}

// One work item: the destructions and creations in key order (they share the free list: a
// destroyed row goes on top, a creation takes the top row, else a new one; a full cell first
// loses its weakest segment).
__kernel void tm_learn_apply(const int clock, __global int* meta, __global const int* ev,
                             __global const int* order, __global const int* ev_row,
                             __global const int* evict_stamp, __global const int* evict_row,
                             __global int* count, __global int* owner, __global int* spc,
                             __global int* free_rows, __global int* destroyed,
                             __global int* created) {
    const int total = meta[EVENTS], candidates = meta[CANDIDATES];
    for (int r = 0; r < total; ++r) {
        const int i = order[r], kind = ev[4 * i] & 3, a = ev[4 * i + 1];
        if (kind == DESTROY) {
            destroy(a, count, owner, spc, free_rows, meta, destroyed);
        } else if (kind == BURST && candidates > 0) {
            if (evict_stamp[a] == clock)
                destroy(evict_row[a], count, owner, spc, free_rows, meta, destroyed);
            const int segment = meta[FREE_TOP] > 0 ? free_rows[--meta[FREE_TOP]] : meta[N_ROWS]++;
            owner[segment] = a;
            ++spc[a];
            const int c = meta[CREATED]++;
            created[2 * c] = segment;
            created[2 * c + 1] = ev_row[i];
        }
    }
}

// Over the events, when the step destroys nothing and no winner cell is full (the usual
// step: then the free list only gives): tm_learn_apply's creations at once, creation c
// taking the c-th row from the top of the free list, else the (c - free rows)-th new row.
__kernel void tm_learn_create(__global const int* meta, __global const int* ev,
                              __global const int* ev_row, __global const int* ev_creation,
                              __global int* owner, __global int* spc,
                              __global const int* free_rows, __global int* created) {
    const int total = meta[EVENTS], top = meta[FREE_TOP], rows = meta[N_ROWS];
    for (int i = get_global_id(0); i < total; i += get_global_size(0)) {
        if ((ev[4 * i] & 3) != BURST) continue;
        const int c = ev_creation[i], cell = ev[4 * i + 1];
        const int segment = c < top ? free_rows[top - 1 - c] : rows + c - top;
        owner[segment] = cell;
        ++spc[cell];  // one creation per bursting column: distinct cells
        created[2 * c] = segment;
        created[2 * c + 1] = ev_row[i];
    }
}

// One work item, after tm_learn_create: the free list and rows it used.
__kernel void tm_learn_created(__global int* meta) {
    const int made = meta[BURSTS], top = meta[FREE_TOP];
    meta[CREATED] = made;
    meta[FREE_TOP] = max(top - made, 0);
    meta[N_ROWS] += max(made - top, 0);
}

// Over the destroyed rows: empty slots.
__kernel void tm_learn_clear(__global const int* cfg, __global const int* meta,
                             __global const int* destroyed, __global int* pre,
                             __global float* perm) {
    const int total = meta[DESTROYED], width = W;
    for (int d = get_global_id(0); d < total; d += get_global_size(0)) {
        const size_t at = (size_t)destroyed[2 * d] * width;
        for (int k = 0; k < destroyed[2 * d + 1]; ++k) {
            pre[at + k] = -1;
            perm[at + k] = 0.0f;
        }
    }
}

// Over the created rows: the first min(max_new, candidates, max_synapses) candidates of the
// creation's walk, at initial_permanence.
__kernel void tm_learn_fill(__global const int* cfg, __global const float* rates,
                            volatile __global int* meta, __global const int* created,
                            __global const int* kept, __global const int* winners,
                            __global int* pre, __global float* perm, __global int* count) {
    const int total = meta[CREATED], width = W, candidates = meta[CANDIDATES];
    const int keep = min(MAX_NEW, candidates), n = min(keep, MAX_SYNAPSES);
    for (int c = get_global_id(0); c < total; c += get_global_size(0)) {
        const int segment = created[2 * c], row = created[2 * c + 1];
        for (int k = 0; k < n; ++k) {
            pre[(size_t)segment * width + k] = walked(k, row, keep, kept, winners);
            perm[(size_t)segment * width + k] = INITIAL;
        }
        count[segment] = n;
        if (c == 0) atomic_max(meta + MAX_COUNT, n);
    }
}

// One work item per active column (n), after learning: stamp the step's active and winner
// cells and count the column's winners (its predicted cells, or its one bursting winner).
__kernel void tm_step_stamp(const int n, const int lists_at, const int clock,
                            __global const int* cfg, __global const int* staged,
                            __global const int* pred_stamp, __global int* active_stamp,
                            __global int* winner_stamp, __global int* winner_count) {
    const int g = get_global_id(0);
    if (g >= n) return;
    const int cpc = CPC, winner = staged[lists_at + 2 + n * cpc + n + g];
    const int col = staged[lists_at - n + g], first = col * cpc;
    int winners = 0;
    for (int l = 0; l < cpc; ++l) {
        const int predicted = pred_stamp[first + l] == clock - 1;
        if (winner < 0 && !predicted) continue;
        active_stamp[first + l] = clock;
        if (winner < 0) {
            winner_stamp[first + l] = clock;
            ++winners;
        }
    }
    if (winner >= 0) {
        winner_stamp[winner] = clock;
        winners = 1;
    }
    winner_count[g] = winners;
}

// One work-group (GROUP work items): where each column's winners start in the ascending list
// (an exclusive running sum over the columns, which are ascending: each work item sums a run
// of columns, the runs' sums are scanned in local memory, then each run is written), and an
// empty found list for the count that follows.
__kernel void tm_step_winner_offsets(const int n, const int clock, __global int* winner_count,
                                     __global int* meta, __global int* found) {
    __local int sums[GROUP];
    const int l = get_local_id(0), run = (n + GROUP - 1) / GROUP;
    const int first = min(n, l * run), last = min(n, first + run);
    int total = 0;
    for (int g = first; g < last; ++g) total += winner_count[g];
    sums[l] = total;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int step = 1; step < GROUP; step <<= 1) {  // inclusive scan of the runs' sums
        const int add = l >= step ? sums[l - step] : 0;
        barrier(CLK_LOCAL_MEM_FENCE);
        sums[l] += add;
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    int at = sums[l] - total;
    for (int g = first; g < last; ++g) {
        const int here = winner_count[g];
        winner_count[g] = at;
        at += here;
    }
    if (l == GROUP - 1) {
        meta[WINNERS] = sums[l];
        meta[WINNERS_CLOCK] = clock;
        found[0] = 0;
    }
}

// One work item per active column (n): its winners, ascending, at its offset.
__kernel void tm_step_winner_list(const int n, const int lists_at, const int clock,
                                  __global const int* cfg, __global const int* staged,
                                  __global const int* winner_stamp,
                                  __global const int* winner_offset, __global int* winners) {
    const int g = get_global_id(0);
    if (g >= n) return;
    const int cpc = CPC, col = staged[lists_at - n + g];
    int at = winner_offset[g];
    for (int cell = col * cpc; cell < (col + 1) * cpc; ++cell)
        if (winner_stamp[cell] == clock) winners[at++] = cell;
}

// Over the rows in use, LANES work items a row (neighbouring lanes read neighbouring slots: on
// a GPU one row's loads are then one or two memory transactions, where one work item a row
// reads a line of its own for each slot; one lane on a CPU device, where a row's loop stays in
// cache): each segment's active connected and active potential synapses (from the cells
// stamped active this step); one that reaches `lowest` is appended to `found` (with its cell
// in `found_cell`), and the cell of an active one is stamped predicted. With several lanes,
// work-groups of GROUP work items count GROUP / LANES rows at a time and add their lanes'
// counts up in local memory (a separate loop for one lane: on PoCL a barrier in the loop,
// even one never reached, made the count several times slower).
// Appends row r's counts to `found` when they reach `lowest` (see tm_resident_count).
static void found_row(const int r, const int potential, const int connected,
                      const int activation, __global const int* owner,
                      __global int* pred_stamp, volatile __global int* found,
                      __global int* found_cell, const int clock) {
    const int i = atomic_inc(found);
    found[2 + 3 * i] = r;
    found[3 + 3 * i] = connected;
    found[4 + 3 * i] = potential;
    found_cell[i] = owner[r];
    if (connected >= activation) pred_stamp[owner[r]] = clock;
}

__kernel void tm_resident_count(const int clock, __global const int* cfg,
                                __global const float* rates, __global const int* meta,
                                __global const int* pre, __global const float* perm,
                                __global const int* count, __global const int* owner,
                                __global const int* active_stamp, __global int* pred_stamp,
                                volatile __global int* found, __global int* found_cell) {
    const int rows = meta[N_ROWS], width = W, lowest = LOWEST;
    const float connected_at = CONNECTED_AT;
#if LANES == 1
    for (int r = get_global_id(0); r < rows; r += get_global_size(0)) {
        const int n = count[r];
        if (n < lowest) continue;
        int potential = 0, connected = 0;
        for (int k = 0; k < n; ++k) {
            if (active_stamp[pre[(size_t)r * width + k]] != clock) continue;
            ++potential;
            connected += perm[(size_t)r * width + k] >= connected_at;
        }
        if (potential >= lowest)
            found_row(r, potential, connected, ACTIVATION, owner, pred_stamp, found, found_cell,
                      clock);
    }
#else
    __local int potentials[GROUP], connections[GROUP];
    const int l = get_local_id(0), lane = l % LANES, per_group = GROUP / LANES;
    for (int base = get_group_id(0) * per_group; base < rows;
         base += get_num_groups(0) * per_group) {
        const int r = base + l / LANES;
        const int n = r < rows ? count[r] : 0;
        int potential = 0, connected = 0;
        if (n >= lowest) {
            for (int k = lane; k < n; k += LANES) {
                if (active_stamp[pre[(size_t)r * width + k]] != clock) continue;
                ++potential;
                connected += perm[(size_t)r * width + k] >= connected_at;
            }
        }
        potentials[l] = potential;
        connections[l] = connected;
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lane == 0)
            for (int j = 1; j < LANES; ++j) {
                potential += potentials[l + j];
                connected += connections[l + j];
            }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lane == 0 && n >= lowest && potential >= lowest)
            found_row(r, potential, connected, ACTIVATION, owner, pred_stamp, found, found_cell,
                      clock);
    }
#endif
}
