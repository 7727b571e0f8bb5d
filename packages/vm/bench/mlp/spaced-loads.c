/* Memory-level parallelism, the C side (see run.sh and the vm README, "Speed: copy-on-write fork").
 *
 * 655 independent loads per pass from random 4 KiB frames of a 540 MiB buffer (the size of the
 * cowfork benchmark's RAM), with N serial multiply-adds between two loads. The loads do not depend
 * on each other, so the CPU overlaps their cache misses as long as the next load is issued while
 * the last is still pending, i.e. within its reorder window. The more instructions between two
 * loads, the fewer misses overlap. Prints one JSON line per N: the best and the median pass. */
#include "mlp.h"

#define LOADS 655
#define PASSES 300

int main(void) {
    uint32_t *mem = (uint32_t *)touched_ram();
    static const int gaps[] = {0, 1, 20, 50};
    uint32_t sink = 0;
    for (unsigned g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
        int n = gaps[g];
        uint32_t x = 12345u;
        double t[PASSES];
        for (int r = 0; r < PASSES; r++) {
            double a = now();
            for (int k = 0; k < LOADS; k++) {
                x ^= x << 13; x ^= x >> 17; x ^= x << 5;
                sink ^= *(volatile uint32_t *)&mem[(size_t)(1 + (x & 65535)) * 1024];
                for (int q = 0; q < n; q++) x = x * 2654435761u + (uint32_t)q;
            }
            t[r] = (now() - a) / LOADS * 1e9;
        }
        qsort(t, PASSES, sizeof t[0], cmp);
        printf("{\"impl\":\"c\",\"gap\":%d,\"best_ns\":%.1f,\"median_ns\":%.1f}\n", n, t[0], t[PASSES / 2]);
    }
    return sink == 0xdeadbeef;
}
