/*
 * sandbox_pcap.c — the seccomp module of one pcap file: write(2) on its fd, nothing else.
 *
 * Pcap.swift writes each record (16-byte header and the frame) with write(2);
 * the file was created and its global header written before lockdown.
 */
#include "posix_internal.h" /* first: it defines _GNU_SOURCE */

#include <sys/syscall.h>

enum { MAX_PCAP = 64 };

static int pcaps[MAX_PCAP];
static unsigned pcap_count;

static int rules_pcap(scmp_filter_ctx ctx, void *arg)
{
    struct scmp_arg_cmp on_fd = ARG(0, SCMP_CMP_EQ, (unsigned)*(const int *)arg);
    return sandbox_allow(ctx, SCMP_SYS(write), 1, &on_fd);
}

int swiftlet_posix_sandbox_pcap(int fd)
{
    if (fd < 3 || pcap_count == MAX_PCAP)
        return -1;
    pcaps[pcap_count] = fd;
    if (sandbox_add_module(rules_pcap, &pcaps[pcap_count], 0) != 0)
        return -1;
    pcap_count++;
    return 0;
}
