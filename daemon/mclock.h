/* mclock.h -- the monotonic clock every timing in the daemon reads
 * (latencies, deadlines, intervals). */
#ifndef VET_MCLOCK_H
#define VET_MCLOCK_H

#include <stdint.h>
#include <time.h>

/* Microseconds on CLOCK_MONOTONIC (arbitrary origin). */
static inline uint64_t
mclock_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Milliseconds on the same clock. */
static inline int64_t
mclock_ms(void)
{
    return (int64_t)(mclock_us() / 1000u);
}

#endif
