/// Runtime's ABI net device as an ``NetworkDevice``: the checked ABI calls, with `.again` kept and every other
/// ABI error reported as ``NetworkDeviceError/failed`` (docs/DEVICES.md §5).
import Runtime

extension NetDevice: NetworkDevice {
    /// The MAC address the platform reported at acquire.
    public var mac: MACAddress {
        let m = self.macAddress
        return MACAddress(m.0, m.1, m.2, m.3, m.4, m.5)
    }

    /// One non-blocking ABI read; `now` is unused (the platform has its own clock).
    public func receive(into buffer: UnsafeMutableRawBufferPointer, now: Instant) throws(NetworkDeviceError) -> Int {
        var metadata = NetFrameMetadata.none
        return try self.receive(into: buffer, metadata: &metadata, now: now)
    }

    /// One non-blocking ABI read with the frame's offload metadata.
    public func receive(
        into buffer: UnsafeMutableRawBufferPointer, metadata: inout NetFrameMetadata, now: Instant
    ) throws(NetworkDeviceError) -> Int {
        do throws(ABIError) {
            return try self.read(into: buffer, metadata: &metadata)
        } catch .again {
            throw .again
        } catch {
            throw .failed
        }
    }

    /// One non-blocking ABI write with offload metadata (checked by Runtime against ``offloads``).
    public func transmit(
        _ frame: UnsafeRawBufferPointer, metadata: NetFrameMetadata, now: Instant
    ) throws(NetworkDeviceError) {
        do throws(ABIError) {
            try self.write(frame, metadata: metadata)
        } catch .again {
            throw .again
        } catch {
            throw .failed
        }
    }

    /// One non-blocking ABI write; a full transmit queue is ``NetworkDeviceError/again``.
    public func transmit(_ frame: UnsafeRawBufferPointer, now: Instant) throws(NetworkDeviceError) {
        try self.transmit(frame, metadata: .none, now: now)
    }
}
