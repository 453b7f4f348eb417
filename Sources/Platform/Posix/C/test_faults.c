/*
 * test_faults.c — the weak reference to a test image's fault-injection hook
 * (swiftlet_platform.h, SWIFTLET_TEST_SITE_*). Swift cannot declare a weak
 * symbol, so the question is asked here: a production image does not define
 * the hook, its address is 0, and the answer is always "no fault".
 */
#include <stdint.h>

#include "swiftlet_platform.h"

extern int32_t swiftlet_test_device_fault(uint32_t site) __attribute__((weak));

int32_t swiftlet_posix_test_fault(uint32_t site)
{
    return swiftlet_test_device_fault ? swiftlet_test_device_fault(site) : SWIFTLET_TEST_FAULT_NONE;
}
