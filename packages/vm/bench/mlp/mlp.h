/* What the C experiments of this folder share: the RAM they work on, a clock and a sort order. */
#ifndef MLP_H
#define MLP_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The cowfork benchmark's RAM: room for the parent, an eager child and the page tables. */
#define NFRAMES (2u * 65536u + 4096u)

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* qsort order for doubles (to take the best and the median pass). */
static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* NFRAMES frames of RAM with every host page touched through a volatile pointer, as the baselines'
 * xmalloc does: a plain malloc + memset(0) may become a lazy calloc, and untouched pages all read
 * the one shared zero page (always cached). Exits with status 2 when out of memory. */
static uint8_t *touched_ram(void) {
    size_t bytes = (size_t)NFRAMES << 12;
    uint8_t *mem = malloc(bytes);
    if (!mem) exit(2);
    memset(mem, 1, bytes);
    volatile uint8_t *vp = mem;
    for (size_t i = 0; i < bytes; i += 4096) vp[i] = 0;
    return mem;
}
#endif
