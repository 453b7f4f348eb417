/// A connection born from a SYN cookie (RFC 4987 §3.6, `Congestion/SYNCookies.swift`): the handshake's final ACK
/// reached a listener that kept no state for it.
import Runtime

extension TCPControlBlock {
    /// ESTABLISHED from the ACK `header` that returned a valid cookie: ISS = SEG.ACK − 1, IRS = SEG.SEQ − 1, the
    /// peer's MSS as the cookie carried it, the window from this ACK (unscaled). Window scaling, SACK and
    /// timestamps are off: the cookie's SYN-ACK offered none (RFC 7323 §2.2, RFC 2018 §2). Hand the same segment
    /// to ``process(_:now:emit:)`` next, for any data it carries.
    convenience init(
        cookieACK header: TCPHeader, at local: TCPEndpoint, from remote: TCPEndpoint, mss: UInt16,
        configuration: TCPConfiguration
    ) {
        self.init(
            local: local, remote: remote, iss: header.acknowledgmentNumber &- 1, state: .established,
            configuration: configuration, timestampOffset: 0)
        self.irs = header.sequenceNumber &- 1
        self.rcvNxt = header.sequenceNumber
        self.receiveScale = 0
        self.sendScale = 0
        self.sendMSS = Self.clampedSendMSS(peer: Int(mss), ours: configuration.maximumSegmentSize)
        self.congestion = NewRenoCongestion(maximumSegmentSize: self.sendMSS)
        self.sndUna = header.acknowledgmentNumber
        self.sndNxt = header.acknowledgmentNumber
        self.sndMax = header.acknowledgmentNumber
        self.sndWnd = UInt32(header.window)
        self.maxSndWnd = self.sndWnd
        self.sndWl1 = header.sequenceNumber
        self.sndWl2 = header.acknowledgmentNumber
        self.lastAckSent = header.sequenceNumber
    }

    /// The stateless SYN-ACK that answers `syn` with `cookie` as our ISN: our MSS, the window (at most 65535,
    /// unscaled), no other option.
    static func cookieSYNACK(
        answering syn: TCPHeader, at local: TCPEndpoint, from remote: TCPEndpoint, cookie: UInt32,
        configuration: TCPConfiguration
    ) -> TCPHeader {
        var header = TCPHeader(
            sourcePort: local.port, destinationPort: remote.port, sequenceNumber: cookie,
            acknowledgmentNumber: syn.sequenceNumber &+ 1, flags: [.syn, .ack],
            window: UInt16(Swift.min(configuration.receiveBufferSize, 65535)))
        header.options.maximumSegmentSize = configuration.maximumSegmentSize
        return header
    }
}
