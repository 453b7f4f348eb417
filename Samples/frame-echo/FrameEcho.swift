/// frame-echo: answers every Ethernet frame on `service` with the source and
/// destination MACs swapped — the smallest useful network app, for driver
/// tests and benchmarks. Boot arguments: `count=N` stops after N frames
/// (default: run forever); `quiet=1` skips the per-1000 progress line.
import Runtime

@main
struct FrameEcho: Application {
    /// The sample's diagnostics (subsystem `frame-echo`, docs/OBSERVABILITY.md).
    static let log = Log("frame-echo")

    static func run(_ arguments: BootArguments) async -> Int32 {
        let device: NetDevice
        do throws(ABIError) {
            device = try NetDevice.acquire("service")
        } catch {
            log.error("cannot acquire net device 'service' (\(error)); run with --net service=...")
            return 1
        }
        print("frame-echo: service mac \(device.macAddressDescription) mtu \(device.mtu)")
        let limit = arguments.integer("count") ?? Int.max
        let quiet = arguments["quiet"] == "1"
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: device.maximumReceiveFrameLength, alignment: 16)
        defer { buffer.deallocate() }
        var echoed = 0
        var skipped = 0
        while echoed < limit {
            let length: Int
            do throws(ABIError) {
                length = try await device.receive(into: buffer)
            } catch {
                log.error("read failed: \(error)")
                return 1
            }
            guard length >= 14 else {
                skipped += 1  // a runt frame has no MACs to swap: count it and go on
                continue
            }
            swapMACs(buffer)
            do throws(ABIError) {
                try await device.send(UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
            } catch {
                log.error("write failed: \(error)")
                return 1
            }
            echoed += 1
            if !quiet && echoed % 1000 == 0 { print("frame-echo: \(echoed) frames echoed") }
        }
        print("frame-echo: echoed \(echoed) frames, skipped \(skipped) runts")
        return 0
    }

    /// Swaps the destination (bytes 0..<6) and source (6..<12) MAC addresses in place.
    static func swapMACs(_ frame: UnsafeMutableRawBufferPointer) {
        for index in 0..<6 {
            let byte = frame[index]
            frame[index] = frame[index + 6]
            frame[index + 6] = byte
        }
    }
}
