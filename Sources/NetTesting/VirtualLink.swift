/// An in-memory Ethernet segment for tests: ports that behave like hosts on one switch, with a latency, a seeded
/// ``FaultInjector`` and a capture of every frame sent (smoltcp's `phy/loopback.rs` and `fault_injector.rs`,
/// mirage-vnetif in spirit).
///
/// Time is an argument: a frame sent at `now` becomes receivable at `now + latency (+ a reorder delay)`, and a port
/// hands it out only to a `receive(into:now:)` whose `now` has reached that instant. Nothing reads a clock, so tests
/// drive the link (and the interfaces on it) with a virtual clock and run the same in both modes.
///
/// Delivery is a switch's: a unicast frame goes to the port with that destination MAC; broadcast, multicast and
/// unknown destinations are flooded to every other port. A port with no interface on it is a raw host: a test
/// reads what arrives there with ``VirtualLinkDevice/receive(into:now:)`` and sends with ``inject(_:into:at:)``.
///
/// Offloads: a port attached with ``NetOffloads`` takes frames asking for checksum completion and TCP
/// segmentation, under the ABI's one rule (``NetDevice/isValidWrite(length:metadata:mtu:offloads:)``). Such a frame
/// reaches a unicast destination port with ``NetOffloads/receiveSegmentation`` whole and marked checksum-partial,
/// as Linux hands a TSO frame to a local TAP reader; every other port gets the frames a NIC would put on the wire
/// (``SoftwareOffload/wireFrames(_:metadata:)``), and the faults apply to each of those.
import Net
import Runtime

/// A frame seen on the link, for tests to inspect.
public struct CapturedFrame {
    /// The port that sent it.
    public var port: Int
    /// When it was sent.
    public var time: Instant
    /// The frame as sent, before any fault.
    public var bytes: [UInt8]
}

/// A port's transmit queue, for tests of back-pressure: at most ``frames`` frames wait to go on the wire, which
/// takes them at ``bytesPerSecond``; a frame sent while the queue is full is refused with
/// ``NetworkDeviceError/again`` (nothing queued), as a NIC whose transmit ring is full refuses one.
public struct VirtualTransmitQueue: Equatable {
    /// Frames that may wait at once.
    public var frames: Int
    /// How fast the wire takes them (serialization delay per frame: its length over this).
    public var bytesPerSecond: Int

    public init(frames: Int, bytesPerSecond: Int) {
        precondition(frames >= 1 && bytesPerSecond >= 1, "a transmit queue needs room and a rate")
        self.frames = frames
        self.bytesPerSecond = bytesPerSecond
    }

    /// How long the wire takes to carry `length` bytes.
    func serialization(of length: Int) -> Duration {
        .nanoseconds(Int64(length) * 1_000_000_000 / Int64(self.bytesPerSecond))
    }
}

/// The shared medium the ports of a test network are attached to.
public final class VirtualLink {
    struct InFlight {
        var deliverAt: Instant
        var sequence: UInt64
        var bytes: [UInt8]
        var metadata = NetFrameMetadata.none
    }

    struct Port {
        var mac: MACAddress
        var mtu: Int
        var offloads: NetOffloads = []
        var inbox: [InFlight] = []
        /// The modelled transmit queue, if any (else frames leave at once).
        var transmitQueue: VirtualTransmitQueue?
        /// When each frame in the transmit queue is done going on the wire, in order.
        var departures: [Instant] = []
        /// Called when a frame is queued for the port (a stack's wake, ``VirtualLinkDevice/watchArrivals(_:)``).
        var onArrival: (() -> Void)?
    }

    var ports: [Port] = []
    private var sequence: UInt64 = 0

    /// One-way delay of every frame.
    public var latency: Duration
    /// The faults applied to frames sent through ports (not to injected frames).
    public var faults: FaultInjector
    /// Whether sent frames are recorded in ``captured``.
    public var isCapturing = true
    /// Every frame sent through a port while ``isCapturing``, in order.
    public var captured: [CapturedFrame] = []
    /// Frames that were too long for the sending port and refused.
    public private(set) var oversizeFrames = 0
    /// Frames refused because the sending port's transmit queue was full (``VirtualTransmitQueue``).
    public private(set) var transmitQueueRefusals = 0

    /// A link with this one-way latency and these faults.
    public init(latency: Duration = .microseconds(100), faults: FaultConfiguration = .none, seed: UInt64 = 1) {
        self.latency = latency
        self.faults = FaultInjector(faults, seed: seed)
    }

    /// Adds a port with this MAC, MTU and offloads and returns the device for it. With a `transmitQueue`, frames
    /// leave the port one after the other at its rate, and a full queue refuses frames (back-pressure); without
    /// one, every frame leaves at once.
    public func attach(
        mac: MACAddress, mtu: Int = 1500, offloads: NetOffloads = [], transmitQueue: VirtualTransmitQueue? = nil
    ) -> VirtualLinkDevice {
        let offloads = offloads.normalized
        self.ports.append(Port(mac: mac, mtu: mtu, offloads: offloads, transmitQueue: transmitQueue))
        return VirtualLinkDevice(link: self, port: self.ports.count - 1, mac: mac, mtu: mtu, offloads: offloads)
    }

    /// Takes the link down from `from` until `until`: every frame sent in that span is lost (counted in
    /// ``FaultCounters/outageLost`` of ``faults``); frames already in flight still arrive, as after a switch that
    /// stopped forwarding. Outages may overlap and may be scheduled before or during a run.
    public func outage(from: Instant, until: Instant) {
        self.faults.outages.append(LinkOutage(from: from, until: until))
    }

    /// Puts `frame` into `port`'s inbox, receivable from `now` on, bypassing latency and faults.
    public func inject(_ frame: [UInt8], into port: Int, at now: Instant) {
        self.enqueue(frame, into: port, at: now)
    }

    /// The earliest instant at which some port has a frame to hand out, or `nil` when every inbox is empty.
    public var nextDeliveryTime: Instant? {
        var earliest: Instant? = nil
        for port in self.ports {
            if let first = port.inbox.first, earliest == nil || first.deliverAt < earliest! {
                earliest = first.deliverAt
            }
        }
        return earliest
    }

    /// The earliest instant at which `port` has a frame to hand out, or `nil` when its inbox is empty.
    public func nextDeliveryTime(port: Int) -> Instant? { self.ports[port].inbox.first?.deliverAt }

    /// Frames waiting in `port`'s inbox, deliverable or not yet.
    public func pendingFrames(at port: Int) -> Int { self.ports[port].inbox.count }

    /// When `port`'s transmit queue, full at `now`, has room again: when its oldest frame is on the wire; `now`
    /// when it has room, `nil` when the port has no modelled queue.
    public func transmitReadyTime(port: Int, now: Instant) -> Instant? {
        guard let queue = self.ports[port].transmitQueue else { return nil }
        let waiting = self.ports[port].departures.filter { $0 > now }
        return waiting.count >= queue.frames ? waiting.first : now
    }

    /// Drops everything in flight.
    public func flush() {
        for index in self.ports.indices { self.ports[index].inbox.removeAll() }
    }

    func send(
        _ frame: UnsafeRawBufferPointer, metadata: NetFrameMetadata = .none, from port: Int, now: Instant
    ) throws(NetworkDeviceError) {
        let sender = self.ports[port]
        guard frame.count >= EthernetPacket.headerLength,
            NetDevice.isValidWrite(length: frame.count, metadata: metadata, mtu: sender.mtu, offloads: sender.offloads)
        else {
            self.oversizeFrames += 1
            throw .failed
        }
        // The frame leaves the port once the frames queued before it and itself are on the wire.
        var departure = now
        if let queue = sender.transmitQueue {
            self.ports[port].departures.removeAll { $0 <= now }
            guard self.ports[port].departures.count < queue.frames else {
                self.transmitQueueRefusals += 1
                throw .again
            }
            departure = Swift.max(now, self.ports[port].departures.last ?? now) + queue.serialization(of: frame.count)
            self.ports[port].departures.append(departure)
        }
        let bytes = Array(frame)
        if self.isCapturing { self.captured.append(CapturedFrame(port: port, time: now, bytes: bytes)) }
        let destination = MACAddress(
            rawValue: UInt64(bytes[0]) << 40 | UInt64(bytes[1]) << 32 | UInt64(bytes[2]) << 24
                | UInt64(bytes[3]) << 16 | UInt64(bytes[4]) << 8 | UInt64(bytes[5]))
        var receivers: [Int] = []
        if destination.isUnicast {
            for index in self.ports.indices where index != port && self.ports[index].mac == destination {
                receivers.append(index)
            }
        }
        if receivers.isEmpty { receivers = self.ports.indices.filter { $0 != port } }
        // A TSO or checksum-partial frame stays whole only for one receiver that takes coalesced frames.
        let whole = metadata == .none
            || (receivers.count == 1 && self.ports[receivers[0]].offloads.contains(.receiveSegmentation))
        let wire: [[UInt8]]
        var delivered = NetFrameMetadata.none
        if whole {
            wire = [bytes]
            if metadata != .none {
                delivered = NetFrameMetadata(
                    checksumPartial: true, segmentSize: metadata.segmentSize, checksumStart: metadata.checksumStart,
                    checksumOffset: metadata.checksumOffset)
            }
        } else {
            guard let frames = SoftwareOffload.wireFrames(bytes, metadata: metadata) else {
                self.oversizeFrames += 1
                throw .failed
            }
            wire = frames
        }
        for piece in wire {
            for (copy, delay) in self.faults.apply(to: piece, at: now) {
                for index in receivers {
                    self.enqueue(copy, metadata: delivered, into: index, at: departure + self.latency + delay)
                }
            }
        }
    }

    func receive(
        into buffer: UnsafeMutableRawBufferPointer, metadata: inout NetFrameMetadata, port: Int, now: Instant
    ) throws(NetworkDeviceError) -> Int {
        guard let first = self.ports[port].inbox.first, first.deliverAt <= now else { throw .again }
        self.ports[port].inbox.removeFirst()
        guard first.bytes.count <= buffer.count else { throw .failed }
        first.bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: source.count)
        }
        metadata = first.metadata
        return first.bytes.count
    }

    /// Inserts in (deliverAt, sequence) order, so equal instants keep their sending order.
    private func enqueue(
        _ bytes: [UInt8], metadata: NetFrameMetadata = .none, into port: Int, at deliverAt: Instant
    ) {
        self.sequence += 1
        let item = InFlight(deliverAt: deliverAt, sequence: self.sequence, bytes: bytes, metadata: metadata)
        var index = self.ports[port].inbox.count
        while index > 0 && self.ports[port].inbox[index - 1].deliverAt > deliverAt { index -= 1 }
        self.ports[port].inbox.insert(item, at: index)
        self.ports[port].onArrival?()
    }
}

/// One port of a ``VirtualLink``: a ``NetworkDevice`` for an ``Interface``, a ``StackDevice`` for a
/// ``NetworkStackOn`` (in virtual time with a ``VirtualClock``), or a raw host for a test.
public struct VirtualLinkDevice: StackDevice {
    /// The link this port belongs to.
    public let link: VirtualLink
    /// The port's index on the link (the `port` of ``CapturedFrame``).
    public let port: Int
    public let mac: MACAddress
    public let mtu: Int
    /// What the port does with frames that ask for it (see ``VirtualLink``).
    public let offloads: NetOffloads

    public func receive(into buffer: UnsafeMutableRawBufferPointer, now: Instant) throws(NetworkDeviceError) -> Int {
        var metadata = NetFrameMetadata.none
        return try self.link.receive(into: buffer, metadata: &metadata, port: self.port, now: now)
    }

    public func receive(
        into buffer: UnsafeMutableRawBufferPointer, metadata: inout NetFrameMetadata, now: Instant
    ) throws(NetworkDeviceError) -> Int {
        try self.link.receive(into: buffer, metadata: &metadata, port: self.port, now: now)
    }

    public func transmit(_ frame: UnsafeRawBufferPointer, now: Instant) throws(NetworkDeviceError) {
        try self.link.send(frame, from: self.port, now: now)
    }

    /// Calls `wake` whenever a frame is queued for this port (it becomes receivable at
    /// ``nextArrivalTime()``); one watcher per port, the last one set.
    public func watchArrivals(_ wake: @escaping () -> Void) {
        self.link.ports[self.port].onArrival = wake
    }

    /// When the earliest frame queued for this port becomes receivable.
    public func nextArrivalTime() -> Instant? { self.link.nextDeliveryTime(port: self.port) }

    /// When the port's full transmit queue has room again (``VirtualLink/transmitReadyTime(port:now:)``).
    public func transmitReadyTime(now: Instant) -> Instant? {
        self.link.transmitReadyTime(port: self.port, now: now)
    }

    public func transmit(
        _ frame: UnsafeRawBufferPointer, metadata: NetFrameMetadata, now: Instant
    ) throws(NetworkDeviceError) {
        try self.link.send(frame, metadata: metadata, from: self.port, now: now)
    }

    /// The next frame that has arrived by `now`, as an array; `nil` when none has.
    public func receiveFrame(now: Instant) -> [UInt8]? {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: self.maximumReceiveFrameLength, alignment: 16)
        defer { buffer.deallocate() }
        do throws(NetworkDeviceError) {
            var metadata = NetFrameMetadata.none
            let length = try self.link.receive(into: buffer, metadata: &metadata, port: self.port, now: now)
            return Array(UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
        } catch {
            return nil
        }
    }
}
