/* SPDX-License-Identifier: Apache-2.0 */
/* mclock.h -- the monotonic clock every timing in vetd, its clients,
 * tests and benchmarks reads (latencies, deadlines, intervals). */
#ifndef VET_MCLOCK_H
#define VET_MCLOCK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds on CLOCK_MONOTONIC (arbitrary origin), for benchmarks. */
static inline uint64_t
mclock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Microseconds on the same clock. */
static inline uint64_t
mclock_us(void)
{
    return mclock_ns() / 1000u;
}

/* Milliseconds on the same clock. */
static inline int64_t
mclock_ms(void)
{
    return (int64_t)(mclock_us() / 1000u);
}

#endif
