/*
 * swiftlet_virtio_net_hdr.h — the platforms' one codec between the ABI's frame
 * metadata (struct swiftlet_net_frame_meta, swiftlet_platform.h) and the first
 * 10 bytes of a struct virtio_net_hdr (virtio 1.2 §5.1.6; little-endian, which
 * is also a Linux TAP's byte order on x86): flags u8, gso_type u8, hdr_len u16,
 * gso_size u16, csum_start u16, csum_offset u16. The posix platform reads and
 * writes it before each frame of a TAP with IFF_VNET_HDR, the virtio platform
 * in each ring buffer. Platform-side only: the libOS sees the metadata.
 */
#ifndef SWIFTLET_VIRTIO_NET_HDR_H
#define SWIFTLET_VIRTIO_NET_HDR_H

#include "swiftlet_platform.h"

#define SWIFTLET_VIRTIO_NET_HDR_SIZE 10
#define SWIFTLET_VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define SWIFTLET_VIRTIO_NET_HDR_F_DATA_VALID 2
#define SWIFTLET_VIRTIO_NET_HDR_GSO_NONE 0
#define SWIFTLET_VIRTIO_NET_HDR_GSO_TCPV4 1

static inline void swiftlet_virtio_net_hdr_store16(uint8_t *at, uint16_t value)
{
    at[0] = (uint8_t)value;
    at[1] = (uint8_t)(value >> 8);
}

static inline uint16_t swiftlet_virtio_net_hdr_load16(const uint8_t *at)
{
    return (uint16_t)(at[0] | at[1] << 8);
}

/**
 * Writes the header of `frame` (`size` bytes) sent with `meta` into `hdr` (§5.1.6.2): a plain frame gets all
 * zeros; CSUM_PARTIAL sets NEEDS_CSUM, csum_start and csum_offset; gso_size > 0 sets GSO_TCPV4 and gso_size.
 * hdr_len "SHOULD" be "not less than the length of the headers, including the transport header" (§5.1.6.2.1):
 * up to the end of the TCP header (csum_start + data offset × 4) for TCP (csum_offset 16) or any TSO frame, else
 * up to the end of the checksum field; 0 for a plain frame. Runtime has checked `meta` against the offloads.
 */
static inline void swiftlet_virtio_net_hdr_encode(const struct swiftlet_net_frame_meta *meta, const uint8_t *frame,
                                                  size_t size, uint8_t *hdr)
{
    int partial = (meta->flags & SWIFTLET_NET_F_CSUM_PARTIAL) != 0;
    size_t headers = 0;
    if (partial) {
        size_t start = meta->csum_start;
        headers = start + meta->csum_offset + 2;
        if ((meta->gso_size > 0 || meta->csum_offset == 16) && start + 13 <= size) {
            size_t tcp_end = start + (size_t)(frame[start + 12] >> 4) * 4;
            if (tcp_end > headers)
                headers = tcp_end;
        }
        if (headers > size)
            headers = size;
    }
    hdr[0] = partial ? SWIFTLET_VIRTIO_NET_HDR_F_NEEDS_CSUM : 0;
    hdr[1] = meta->gso_size > 0 ? SWIFTLET_VIRTIO_NET_HDR_GSO_TCPV4 : SWIFTLET_VIRTIO_NET_HDR_GSO_NONE;
    swiftlet_virtio_net_hdr_store16(hdr + 2, (uint16_t)headers);
    swiftlet_virtio_net_hdr_store16(hdr + 4, meta->gso_size);
    swiftlet_virtio_net_hdr_store16(hdr + 6, partial ? meta->csum_start : 0);
    swiftlet_virtio_net_hdr_store16(hdr + 8, partial ? meta->csum_offset : 0);
}

/**
 * Reads the metadata of a received frame from `hdr` (§5.1.6.4): NEEDS_CSUM → CSUM_PARTIAL with csum_start and
 * csum_offset (which a driver "MUST NOT use" otherwise), DATA_VALID → CSUM_VALID, other flag bits ignored;
 * GSO_TCPV4 gives gso_size (the MSS); hdr_len is only a hint and is not used. Returns 0, or -1 for a frame to
 * drop: any other GSO type (UDP, TCPv6, the ECN bit: never asked for) or GSO_TCPV4 with gso_size 0.
 */
static inline int swiftlet_virtio_net_hdr_decode(const uint8_t *hdr, struct swiftlet_net_frame_meta *meta)
{
    struct swiftlet_net_frame_meta m = {0, 0, 0, 0};
    if (hdr[0] & SWIFTLET_VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        m.flags |= SWIFTLET_NET_F_CSUM_PARTIAL;
        m.csum_start = swiftlet_virtio_net_hdr_load16(hdr + 6);
        m.csum_offset = swiftlet_virtio_net_hdr_load16(hdr + 8);
    }
    if (hdr[0] & SWIFTLET_VIRTIO_NET_HDR_F_DATA_VALID)
        m.flags |= SWIFTLET_NET_F_CSUM_VALID;
    if (hdr[1] != SWIFTLET_VIRTIO_NET_HDR_GSO_NONE) {
        uint16_t mss = swiftlet_virtio_net_hdr_load16(hdr + 4);
        if (hdr[1] != SWIFTLET_VIRTIO_NET_HDR_GSO_TCPV4 || mss == 0)
            return -1;
        m.gso_size = mss;
    }
    *meta = m;
    return 0;
}

#endif /* SWIFTLET_VIRTIO_NET_HDR_H */
