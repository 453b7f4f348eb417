/// The interface layer's view of a network device: an Ethernet port with a MAC, an MTU, and non-blocking frame I/O.
///
/// Three requirements, as small as smoltcp's `phy::Device` (receive, transmit, capabilities) and Mirage's
/// `Mirage_net.S`. ``Interface`` is generic over it (Embedded Swift: no existentials of non-class protocols), so the
/// same interface code drives Runtime's ``NetDevice`` (see `NetDevice+NetworkDevice.swift`) and the in-memory
/// ``VirtualLink`` ports the tests use. Both calls take `now` because a simulated device (delays, reordering) needs
/// the time and must never read a clock itself.
import Runtime

/// Why a device call did nothing.
public enum NetworkDeviceError: Error, Equatable {
    /// Nothing to do now: no frame is pending (receive), or the transmit queue is full (transmit; the frame was not
    /// queued). Retry after the next poll.
    case again
    /// The device failed or rejected the call (an oversize frame, a broken backend). The interface counts it.
    case failed
}

/// An Ethernet device the ``Interface`` can drive.
public protocol NetworkDevice {
    /// The device's own MAC address: the source of every frame the interface sends.
    var mac: MACAddress { get }

    /// The largest IP datagram per frame, in bytes (1500 on Ethernet); a frame is at most `mtu + 14` bytes.
    var mtu: Int { get }

    /// Reads one whole pending frame (without FCS) into `buffer`, which holds at least `mtu + 14` bytes.
    ///
    /// Never blocks.
    /// - Returns: the frame's length in bytes.
    /// - Throws: ``NetworkDeviceError/again`` when no frame is pending; ``NetworkDeviceError/failed`` otherwise.
    mutating func receive(into buffer: UnsafeMutableRawBufferPointer, now: Instant) throws(NetworkDeviceError) -> Int

    /// Queues one frame of 14...`mtu + 14` bytes for sending.
    ///
    /// Never blocks. The device copies the bytes before it returns. A full queue is back-pressure, not a loss: the
    /// interface stops its egress and TCP commits nothing for the refused segment.
    /// - Throws: ``NetworkDeviceError/again`` when the queue is full (nothing queued); ``NetworkDeviceError/failed``
    ///   for an oversize frame or a failed device.
    mutating func transmit(_ frame: UnsafeRawBufferPointer, now: Instant) throws(NetworkDeviceError)

    /// When a transmit queue found full at `now` will have room again, for a device that can tell (a simulated
    /// link that models its queue); `nil` when it cannot, and the interface looks again at the next poll.
    /// Default: `nil`.
    func transmitReadyTime(now: Instant) -> Instant?

    /// What the device does for the stack (checksums, TCP segmentation; the ABI's offloads). Default: nothing.
    var offloads: NetOffloads { get }

    /// Reads one whole pending frame into `buffer` (``maximumReceiveFrameLength`` bytes) and what the device says of
    /// it (a checksum it vouches for, several segments coalesced). Default: ``receive(into:now:)``, nothing said.
    mutating func receive(
        into buffer: UnsafeMutableRawBufferPointer, metadata: inout NetFrameMetadata, now: Instant
    ) throws(NetworkDeviceError) -> Int

    /// Queues one frame whose `metadata` asks the device for work its ``offloads`` promise (a checksum to
    /// complete, a TSO frame of up to 64 KiB to segment). Default: plain frames only (``transmit(_:now:)``); any
    /// offload request is ``NetworkDeviceError/failed``.
    mutating func transmit(
        _ frame: UnsafeRawBufferPointer, metadata: NetFrameMetadata, now: Instant
    ) throws(NetworkDeviceError)
}

extension NetworkDevice {
    /// The largest plain frame in bytes: `mtu + 14`.
    public var maximumFrameLength: Int { self.mtu + EthernetPacket.headerLength }

    /// The buffer a receive needs: a whole 64 KiB datagram's frame when the device coalesces TCP segments, else
    /// ``maximumFrameLength``.
    public var maximumReceiveFrameLength: Int {
        self.offloads.contains(.receiveSegmentation) ? NetDevice.maximumOffloadFrameLength : self.maximumFrameLength
    }

    public var offloads: NetOffloads { [] }

    public func transmitReadyTime(now: Instant) -> Instant? { nil }

    public mutating func receive(
        into buffer: UnsafeMutableRawBufferPointer, metadata: inout NetFrameMetadata, now: Instant
    ) throws(NetworkDeviceError) -> Int {
        metadata = .none
        return try self.receive(into: buffer, now: now)
    }

    public mutating func transmit(
        _ frame: UnsafeRawBufferPointer, metadata: NetFrameMetadata, now: Instant
    ) throws(NetworkDeviceError) {
        guard metadata == .none else { throw .failed }
        try self.transmit(frame, now: now)
    }
}
