/// The ``IPv4Reassembler`` of `Sources/Net/Protocols` as an ``Interface``'s ``IPv4ReassemblyHook``.
///
/// The reassembler is a value-type state machine; the hook's closures need one place to keep it, which this class
/// is. Whoever holds the class can read the reassembler's statistics:
///
/// ```swift
/// let reassembly = SharedIPv4Reassembler()
/// interface.reassembler = reassembly.hook
/// print(reassembly.statistics)
/// ```
import Runtime

/// An ``IPv4Reassembler`` owned by reference, for the interface's hook.
public final class SharedIPv4Reassembler {
    /// The state machine.
    public private(set) var reassembler: IPv4Reassembler

    /// A reassembler with these limits (by default 8 datagrams, 64 KiB, 30 s).
    public init(limits: IPv4Reassembler.Limits = IPv4Reassembler.Limits()) {
        self.reassembler = IPv4Reassembler(limits: limits)
    }

    /// What the reassembler completed and dropped, by reason.
    public var statistics: IPv4Reassembler.Statistics { self.reassembler.statistics }

    /// The hook to install in ``Interface/reassembler``.
    public var hook: IPv4ReassemblyHook {
        IPv4ReassemblyHook(
            accept: { header, fragment, now in
                guard let datagram = self.reassembler.insert(header: header, payload: fragment, now: now) else {
                    return nil
                }
                return (datagram.header, datagram.payload)
            },
            expire: { now in self.reassembler.expire(now: now) },
            nextDeadline: { self.reassembler.nextExpiry })
    }
}
