/*
 * linked_features.c — features an image links only when its build asks for them.
 *
 * Runtime.launch calls swiftlet_runtime_start_linked_features once. Each
 * optional feature is a weak reference here: 0 unless the build adds the
 * feature's object (Sources/Runtime/C/Features/), which defines the symbol and
 * refers to the feature's Swift entry point. Without that object nothing
 * refers to the entry point, so --gc-sections drops the feature whole.
 *
 * Feature                  build flag (mk/image.mk)  object
 * the sampling profiler    PROFILER=1                Features/profiler.c
 */
#include <stdbool.h>

extern void swiftlet_feature_profiler(void) __attribute__((weak));

/** Starts the linked features; returns whether the profiler is one of them. */
bool swiftlet_runtime_start_linked_features(void)
{
    if (!swiftlet_feature_profiler)
        return false;
    swiftlet_feature_profiler();
    return true;
}
