/*
 * swiftlet_features.h — features an image links only when its build asks for
 * them (not part of the platform ABI: Runtime and the image's build agree on
 * these symbols alone).
 *
 * Runtime.launch calls swiftlet_start_linked_features once, after the boot
 * arguments are parsed. Each optional feature is a weak reference: 0 unless
 * the build compiles the feature's source with the app, which defines it.
 * Without that source the image holds none of the feature's code.
 *
 * Feature                  build flag (mk/image.mk)  source
 * the sampling profiler    PROFILER=1                Sources/Runtime/Features/Profiler.swift
 */
#ifndef SWIFTLET_FEATURES_H
#define SWIFTLET_FEATURES_H

extern void swiftlet_feature_profiler(void) __attribute__((weak));

static inline void swiftlet_start_linked_features(void)
{
    if (swiftlet_feature_profiler)
        swiftlet_feature_profiler();
}

#endif
