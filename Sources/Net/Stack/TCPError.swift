/// The errors of the async TCP API (``TCPConnection``, ``TCPListener``): one enum, so that a caller handles a
/// connection's whole life in one `catch`.
import Runtime

/// Why a TCP operation of a ``NetworkStack`` did not complete.
public enum TCPError: Error, Equatable, CustomStringConvertible {
    /// The peer answered the SYN with a RST: nothing listens there (RFC 9293 §3.10.7.3).
    case connectionRefused
    /// The peer reset the established connection (RFC 9293 §3.10.7.4 second check, RFC 5961 §3).
    case connectionReset
    /// The operation's own timeout passed; the connection itself is still usable unless it was a connect.
    case timedOut
    /// Retransmissions (or keepalive probes) went unanswered and the connection was given up (RFC 1122
    /// §4.2.3.5).
    case connectionTimedOut
    /// This side aborted the connection.
    case aborted
    /// The connection is not open for this: written after ``TCPConnection/closeWrite()`` or ``TCPConnection/close()``,
    /// or used after it was released.
    case notConnected
    /// No route to the address, no address of our own, or port 0.
    case unaddressable
    /// No free connection or listener slot, or no free ephemeral port.
    case exhausted
    /// Another listener has the port.
    case addressInUse
    /// The calling task was cancelled.
    case cancelled

    public var description: String {
        switch self {
        case .connectionRefused: "connection refused"
        case .connectionReset: "connection reset by peer"
        case .timedOut: "timed out"
        case .connectionTimedOut: "connection timed out (no answer to retransmissions)"
        case .aborted: "connection aborted"
        case .notConnected: "connection not open for this"
        case .unaddressable: "no route to that address, or port 0"
        case .exhausted: "no free TCP socket or port"
        case .addressInUse: "port already has a listener"
        case .cancelled: "cancelled"
        }
    }

    /// The error that stands for how a connection ended abnormally.
    init(_ reason: TCPCloseReason, synchronized: Bool) {
        switch reason {
        case .reset: self = synchronized ? .connectionReset : .connectionRefused
        case .timedOut: self = .connectionTimedOut
        case .aborted: self = .aborted
        }
    }
}
