/*
 * profiler.c — links the sampling profiler into an image (mk/image.mk adds
 * this object with PROFILER=1, which `swiftlet profile` passes). Defining
 * swiftlet_feature_profiler satisfies linked_features.c's weak reference, and
 * its call keeps Profiler.swift's entry (and through it the platform's
 * sampler) in the link. docs/PROFILING.md.
 */
extern void swiftlet_runtime_profiler_start(void);

void swiftlet_feature_profiler(void) { swiftlet_runtime_profiler_start(); }
