/* The page copy alone, the C side (see run.sh and the vm README, "Speed: copy-on-write fork").
 *
 * 652 copies of 4 KiB per pass (the copies of one COW fork) from random frames of a 256 MiB
 * parent area, cold as the parent's pages are, into 652 destination frames that every pass reuses
 * (as the baseline's frame stack hands the last child's frames back). Two ways to copy:
 *   "inline": memcpy with a constant size, which gcc -O2 expands in place (rep movsq), as in the
 *             baseline's cowfork.c;
 *   "glibc":  glibc's memmove called through a function pointer, the routine V8's copyWithin ends in.
 * Prints one JSON line per way: the best and the median nanoseconds per copy. */
#include "mlp.h"

#define PARENT 65536u
#define COPIES 652
#define PASSES 1000

typedef void *(*copy_fn)(void *, const void *, size_t);
static copy_fn volatile glibc_memmove = memmove; /* volatile: gcc cannot see through the call */

int main(void) {
    uint8_t *mem = touched_ram();
    static const char *ways[] = {"inline", "glibc"};
    for (int w = 0; w < 2; w++) {
        uint32_t x = 12345u;
        double t[PASSES];
        for (int r = 0; r < PASSES; r++) {
            double a = now();
            for (int k = 0; k < COPIES; k++) {
                x ^= x << 13; x ^= x >> 17; x ^= x << 5;
                uint8_t *dst = mem + ((size_t)(PARENT + 1 + k) << 12);
                const uint8_t *src = mem + ((size_t)(1 + (x & (PARENT - 1))) << 12);
                if (w == 0) memcpy(dst, src, 4096);
                else glibc_memmove(dst, src, 4096);
            }
            t[r] = (now() - a) / COPIES * 1e9;
        }
        qsort(t, PASSES, sizeof t[0], cmp);
        printf("{\"impl\":\"c\",\"copy\":\"%s\",\"best_ns\":%.1f,\"median_ns\":%.1f}\n", ways[w], t[0],
               t[PASSES / 2]);
    }
    return mem[4096 * 7] == 0xEE;
}
