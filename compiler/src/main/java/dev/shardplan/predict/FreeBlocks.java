package dev.shardplan.predict;

/**
 * A replica's free KV blocks in vLLM V1's order with prefix caching, held as runs instead of one
 * entry per block. vLLM keeps freed blocks in one queue, least recently used first, and allocates
 * from its front, dropping the hash of a block it hands out (v1/core/block_pool.py
 * {@code FreeKVCacheBlockQueue}, {@code get_new_blocks}: "KV-cache blocks become invalid only when
 * they're about to be reallocated"). A request's blocks are freed tail first
 * (v1/core/single_type_kv_cache_manager.py {@code free}: "Free blocks in reverse order so that the
 * tail blocks are freed first"), so the full blocks a preempted request computed are one run of the
 * queue, evicted from its last block backwards, and what is left of them is a prefix of its
 * blocks: exactly what the scheduler's computed-block lookup finds when the request is admitted
 * again ({@code get_computed_blocks}). Blocks of finished requests, unfilled blocks and those that
 * hold no reusable hash are anonymous runs.
 *
 * <p>Every operation is O(1) amortised: allocation consumes runs from the front, each run once.
 */
final class FreeBlocks {
    private int[] owner = new int[16];   // the request whose cached blocks a run holds, or -1
    private long[] count = new long[16];
    private int start, end;              // live runs are [start, end)
    private final int[] runOf;           // request -> its run's index, or -1 (shared by a simulation's replicas)
    private final long[] cached;         // request -> its cached blocks still free

    /**
     * A queue of {@code blocks} anonymous blocks. {@code runOf} (all -1) and {@code cached} (all 0)
     * are indexed by request; the replicas of one simulation may share them, since a request's
     * blocks stay in the replica that admitted it.
     */
    FreeBlocks(int[] runOf, long[] cached, long blocks) {
        this.runOf = runOf;
        this.cached = cached;
        if (blocks > 0) push(-1, blocks);
    }

    /** Cached full blocks of request {@code r} still in the queue: a prefix of its own blocks. */
    long cached(int r) {
        return cached[r];
    }

    /** Appends {@code anonymous} blocks that hold nothing reusable. */
    void free(long anonymous) {
        if (anonymous > 0) push(-1, anonymous);
    }

    /**
     * Appends a preempted request's blocks: first its {@code anonymous} tail (the unfilled block, and
     * blocks allocated for tokens it did not compute), then its {@code full} computed blocks, last one first.
     */
    void freePreempted(int r, long anonymous, long full) {
        free(anonymous);
        if (full > 0) {
            push(r, full);
            runOf[r] = end - 1;
            cached[r] = full;
        }
    }

    /**
     * Request {@code r} is admitted and takes the first {@code hit} of its cached blocks out of the
     * queue; the rest of them hold nothing it will find again.
     */
    void take(int r, long hit) {
        int i = runOf[r];
        if (i < 0) return;
        if (hit > count[i]) throw new IllegalStateException("request " + r + " takes " + hit + " of " + count[i] + " cached blocks");
        count[i] -= hit;
        owner[i] = -1;
        runOf[r] = -1;
        cached[r] = 0;
    }

    /** Hands out {@code k} blocks from the front, evicting what they cached. */
    void allocate(long k) {
        while (k > 0) {
            if (start == end) throw new IllegalStateException("allocating " + k + " blocks from an empty queue");
            long take = Math.min(k, count[start]);
            count[start] -= take;
            k -= take;
            int o = owner[start];
            if (o >= 0) cached[o] -= take;
            if (count[start] == 0) {
                if (o >= 0) runOf[o] = -1;
                start++;
            }
        }
    }

    private void push(int who, long n) {
        if (who < 0 && end > start && owner[end - 1] < 0) {
            count[end - 1] += n;
            return;
        }
        if (end == owner.length) compact();
        owner[end] = who;
        count[end] = n;
        end++;
    }

    /** Drops the consumed runs at the front, or grows, keeping each request's run index right. */
    private void compact() {
        int live = end - start;
        if (start > owner.length / 2) {
            System.arraycopy(owner, start, owner, 0, live);
            System.arraycopy(count, start, count, 0, live);
        } else {
            int cap = owner.length * 2;
            int[] o = new int[cap];
            long[] c = new long[cap];
            System.arraycopy(owner, start, o, 0, live);
            System.arraycopy(count, start, c, 0, live);
            owner = o;
            count = c;
        }
        for (int i = 0; i < live; i++) if (owner[i] >= 0) runOf[owner[i]] = i;
        start = 0;
        end = live;
    }
}
