/// Conversions between the wire's SACK block (``TCPSACKBlock``, raw edges as carried in the option, RFC 2018 §3)
/// and ``SACKBlock`` (edges as ``SequenceNumber``s, for the scoreboard and the out-of-order queue).
extension SACKBlock {
    /// The block a SACK option carried: left edge `start`, right edge `end`.
    public init(_ wire: TCPSACKBlock) {
        self.init(start: SequenceNumber(wire.left), end: SequenceNumber(wire.right))
    }
}

extension TCPSACKBlock {
    /// The option's form of `block`.
    public init(_ block: SACKBlock) {
        self.init(left: block.start.rawValue, right: block.end.rawValue)
    }
}
