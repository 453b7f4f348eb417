/// What every networked app does first: bring a stack up as its boot arguments say, and optionally print the
/// counters now and then.
import Runtime

extension NetworkStackOn where Device == NetDevice, Clock == MonotonicClock {
    /// Brings up net device `name` with the address plan of the boot arguments (``StackConfiguration``: `ip=`,
    /// `gw=`, `dns=`; DHCP without `ip`).
    ///
    /// - Throws: ``NetworkStackError/invalidArguments(_:)`` for a malformed `ip`/`gw`/`dns`, else as
    ///   ``up(device:configuration:socketCapacity:tcpCapacity:timeout:)``.
    public static func up(
        device name: String, bootArguments arguments: BootArguments, tcpCapacity: Int = 256,
        timeout: Duration = .seconds(30)
    ) async throws(NetworkStackError) -> NetworkStack {
        let configuration: StackConfiguration
        do throws(StackConfigurationError) {
            configuration = try StackConfiguration(bootArguments: arguments)
        } catch {
            throw .invalidArguments(error)
        }
        return try await Self.up(device: name, configuration: configuration, tcpCapacity: tcpCapacity, timeout: timeout)
    }

    /// Logs `label: address counters | mem inuse=BYTES hw=BYTES` at info level of subsystem `net` every `interval`
    /// (`[12.000345] info net: http: 10.0.0.2/24 eth rx=...`), from a task of its own, for as long as the app runs
    /// (`mem`: the heap now and its high-water mark, the same heap in both modes).
    public func reportCounters(every interval: Duration, label: String) {
        Task {
            while true {
                do throws(CancellationError) {
                    try await sleep(for: interval)
                } catch {
                    return
                }
                guard Log.net.isEnabled(.info) else { continue }
                // Appends, not an interpolation: each interpolated segment is inlined (docs/BENCHMARKS.md, footprint).
                var line = label
                line += ": "
                line += self.address.map { $0.description } ?? "no address"
                line += " "
                line += self.counters.description
                line.append(" | mem inuse=")
                line.append(String(Runtime.heapInUse()))
                line.append(" hw=")
                line.append(String(Runtime.heapHighWater()))
                Log.net.info(line)
            }
        }
    }
}
