/*
 * profile.c — dev has no sampling profiler of its own: it keeps perf
 * (`swiftlet profile --target posix` runs the process under `perf record`,
 * docs/PROFILING.md). Runtime then logs that `profile=` is prod only.
 */
#include "posix_internal.h"

swiftlet_result_t swiftlet_platform_profile_start(uint32_t hz)
{
    (void)hz;
    return SWIFTLET_R_UNSPEC;
}

void swiftlet_platform_profile_dump(void) {}
