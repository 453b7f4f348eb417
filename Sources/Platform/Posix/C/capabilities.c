/*
 * capabilities.c — drops every capability before lockdown, and checks that they are gone.
 *
 * The tender may need privilege to open its devices (a TAP interface as
 * root); the app never does. Once every device is open: the capability
 * bounding set is emptied (PR_CAPBSET_DROP, possible only with CAP_SETPCAP,
 * so only when we hold it), the ambient set is cleared, and the effective,
 * permitted and inheritable sets are set to empty with capset(2)
 * (_LINUX_CAPABILITY_VERSION_3: two 32-bit words per set). capget(2) then
 * reads them back: any bit left is a refusal to start. A process without
 * capabilities (the usual non-root run) passes through unchanged. With
 * PR_SET_NO_NEW_PRIVS (libseccomp sets it when the filter is loaded) and
 * execve forbidden, nothing can give them back (capabilities(7)).
 */
#include "posix_internal.h" /* first: it defines _GNU_SOURCE */

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

const char *swiftlet_posix_drop_capabilities(void)
{
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) != 0)
        return "capget failed";
    if (data[0].effective & (1u << CAP_SETPCAP)) {
        /* cap_last_cap is at most 63; dropping a capability the kernel does not know is EINVAL */
        for (int cap = 0; cap < 64; cap++)
            if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
                return "PR_CAPBSET_DROP failed";
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return "PR_CAP_AMBIENT_CLEAR_ALL failed";
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &header, data) != 0)
        return "capset to the empty set failed";
    memset(data, 0xFF, sizeof data);
    if (syscall(SYS_capget, &header, data) != 0)
        return "capget failed";
    for (int i = 0; i < 2; i++)
        if (data[i].effective | data[i].permitted | data[i].inheritable)
            return "capabilities are still held after capset";
    for (int cap = 0; cap < 64; cap++)
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1)
            return "an ambient capability is still set";
    return NULL;
}
