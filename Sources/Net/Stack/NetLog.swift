/// NetLog.swift — the network stack's log subsystem.

import Runtime

extension Log {
    /// The network stack's messages (subsystem `net`: the counters `verbose=1` reports; `log=net:debug` sets it).
    public static let net = Log("net")
}
