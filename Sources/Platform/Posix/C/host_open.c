/*
 * host_open.c — the tender's host calls for opening device backends (before lockdown).
 *
 * Only what Swift cannot import lives here: open(2) and fcntl(2) and ioctl(2)
 * are variadic, and `struct sockaddr_un`/`struct ifreq` are fixed char arrays
 * that are clumsy to fill from Swift. Every function returns a new fd (or 0)
 * or a negative errno, and never prints: TenderDevices.swift turns each
 * failure into the one line the user sees. None of this runs after lockdown;
 * the filter forbids every call made here.
 */
#include "posix_internal.h" /* first: it defines _GNU_SOURCE */

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

int swiftlet_posix_open_block_file(const char *path, uint64_t *size, int *regular)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    *regular = S_ISREG(st.st_mode);
    *size = st.st_size < 0 ? 0 : (uint64_t)st.st_size;
    return fd;
}

int swiftlet_posix_open_pcap_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    return fd < 0 ? -errno : fd;
}

/*
 * A TAP interface, as QEMU's tap-linux.c and Solo5's tenders/common/tap_attach.c
 * open it: /dev/net/tun, then TUNSETIFF with IFF_TAP | IFF_NO_PI (no 4-byte
 * packet-information prefix: each read/write is exactly one Ethernet frame),
 * non-blocking. `*stage` is 2 when no interface has that name (TUNSETIFF would
 * create a fresh, unconfigured one as root), 0 when opening /dev/net/tun
 * failed, 1 when TUNSETIFF did.
 *
 * With IFF_VNET_HDR every frame is preceded by a 10-byte struct virtio_net_hdr
 * (TUNSETVNETHDRSZ; virtio 1.2 §5.1.6), and the offloads of virtio-net come
 * with it, as QEMU's tap backend uses them (net/tap-linux.c): the kernel takes
 * checksum-partial and TSO frames from us (always, with the header), and
 * TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4) lets it hand us checksum-partial and
 * coalesced TCP/IPv4 frames of up to 64 KiB. `*offloads` gets the
 * SWIFTLET_NET_OFFLOAD_* bits that hold, `*vnet_header` whether the header is on
 * (a kernel without IFF_VNET_HDR gets the plain interface). With `offload` 0
 * (`offload=off`) the header is not asked for at all: every frame either way is
 * a complete frame of at most mtu + 14 bytes with its checksums filled in, as
 * anyone capturing or relaying the TAP in user space expects.
 */
int swiftlet_posix_open_tap(const char *iface, int offload, int *stage, int *vnet_header, uint32_t *offloads)
{
    *stage = 0;
    *vnet_header = 0;
    *offloads = 0;
    if (strlen(iface) >= IFNAMSIZ)
        return -ENAMETOOLONG;
    if (if_nametoindex(iface) == 0) {
        *stage = 2;
        return -ENODEV;
    }
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    memcpy(ifr.ifr_name, iface, strlen(iface));
    if (offload && ioctl(fd, TUNSETIFF, &ifr) == 0) {
        int size = 10; /* struct virtio_net_hdr, without num_buffers */
        if (ioctl(fd, TUNSETVNETHDRSZ, &size) == 0) {
            *vnet_header = 1;
            *offloads = SWIFTLET_NET_OFFLOAD_TX_CSUM | SWIFTLET_NET_OFFLOAD_TX_TSO4;
            if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4)) == 0)
                *offloads |= SWIFTLET_NET_OFFLOAD_RX_CSUM | SWIFTLET_NET_OFFLOAD_RX_TSO4;
            return fd;
        }
        close(fd);
        fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            return -errno;
    }
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
        int e = errno;
        close(fd);
        *stage = 1;
        return -e;
    }
    /* The offloads of a persistent TAP outlive the fd that set them: after a run with offloads the kernel
     * would still hand this reader checksum-partial frames. Turn them off, as QEMU's tap backend does. */
    (void)ioctl(fd, TUNSETOFFLOAD, 0ul);
    return fd;
}

/** Connects to a listening UNIX stream socket at `path` (QEMU `-netdev stream,server=off`). */
int swiftlet_posix_connect_unix(const char *path)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof sa.sun_path)
        return -ENAMETOOLONG;
    memcpy(sa.sun_path, path, len);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/**
 * Takes over an inherited fd (passt's `--fd`): it must be an open, connected
 * stream socket. Returns 0 (and makes it non-blocking) or a negative errno:
 * EBADF not open, ENOTSOCK not a socket, EPROTOTYPE not SOCK_STREAM, ENOTCONN not connected.
 */
int swiftlet_posix_adopt_stream_fd(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -errno;
    int type = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
        return -errno;
    if (type != SOCK_STREAM)
        return -EPROTOTYPE;
    struct sockaddr_storage peer;
    socklen_t peer_len = sizeof peer;
    if (getpeername(fd, (struct sockaddr *)&peer, &peer_len) != 0)
        return -errno;
    if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
        return -errno;
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    return 0;
}

/** errno as a short lower-case phrase for the tender's lines (strerror for the rare ones). */
const char *swiftlet_posix_errno_text(int err)
{
    switch (err) {
    case ENOENT: return "no such file or directory";
    case EACCES: case EPERM: return "permission denied";
    case EISDIR: return "is a directory";
    case EROFS: return "read-only file system";
    case ECONNREFUSED: return "connection refused (nothing is listening)";
    case ENAMETOOLONG: return "name too long";
    case EBUSY: return "device or resource busy";
    case ENODEV: return "no such device";
    case EINVAL: return "invalid argument";
    case EBADF: return "not an open file descriptor";
    case ENOTSOCK: return "not a socket";
    case EPROTOTYPE: return "not a stream socket";
    case ENOTCONN: return "not connected";
    case ENOTDIR: return "a path component is not a directory";
    case ELOOP: return "too many symbolic links";
    case ETXTBSY: return "file busy";
    default: return strerror(err);
    }
}
