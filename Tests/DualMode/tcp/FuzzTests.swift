/// Hostile input: the scapy segments of the wire tests mutated by a seeded generator (the same inputs in both
/// modes), through TCPPacket and TCPHeader with every accessor and description touched, and into a connection's
/// state machine. Nothing may trap; whatever parses must survive emit → parse unchanged.
import Net
import Runtime

/// SplitMix64, seeded: the same mutations in both modes.
private struct Generator {
    var state: UInt64

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(self.next() % UInt64(bound)) }
}

func registerFuzzTests(_ suite: inout TestSuite) {
    suite.test("fuzz.mutated-segments-never-trap-and-round-trip") { () throws(TestFailure) in
        var random = Generator(state: 0x7C9)
        let seeds = [Array(synDatagram[20...]), Array(sackDatagram[20...])]
        var parsed = 0
        var rejected = 0
        var connection = TCPControlBlock(
            connectingFrom: TCPEndpoint(ip("10.0.0.2"), 49152), to: TCPEndpoint(ip("10.0.0.3"), 80), iss: 1)
        var now = Instant(nanoseconds: 1_000_000_000)
        _ = connection.dispatch(now: now)
        for round in 0..<3000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<(1 + random.below(6)) {
                switch random.below(4) {
                case 0 where !bytes.isEmpty: bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
                case 1 where bytes.count > 12: bytes[12] = UInt8(truncatingIfNeeded: random.next())  // data offset
                case 2 where bytes.count > 20: bytes[20 + random.below(bytes.count - 20)] = UInt8(random.below(12))
                case 3: bytes = Array(bytes[0..<random.below(bytes.count + 1)])
                default: break
                }
            }
            let outcome = try withBytes(bytes) { (raw) throws(TestFailure) -> TCPHeader? in
                guard let packet = try? TCPPacket(checking: raw) else { return nil }
                _ = (packet.options.count, packet.payload.count, packet.flags.description, packet.urgentPointer)
                guard let header = try? TCPHeader(
                    parsing: packet, source: ip("10.0.0.3"), destination: ip("10.0.0.2"), verifyingChecksum: false)
                else { return nil }
                _ = header.description
                return header
            }
            guard var header = outcome else {
                rejected += 1
                continue
            }
            parsed += 1
            if header.options.sackBlocks.count <= 4 && header.options.encodedLength <= 40 {
                let payload = [UInt8](repeating: 0x5A, count: header.payloadLength)
                var buffer = PacketBuffer(capacity: 60 + payload.count, headroom: 60)
                payload.withUnsafeBytes { raw in buffer.writeBytes(raw) }
                buffer.prepend(header.headerLength) { _ in }
                buffer.withUnsafeMutableReadableBytes { raw in
                    header.emit(into: TCPPacket(unchecked: raw), source: ip("10.0.0.3"), destination: ip("10.0.0.2"))
                }
                let again = try buffer.withUnsafeMutableReadableBytes { (raw) throws(TestFailure) in
                    try accept("re-parse of \(header)") { () throws(WireError) in
                        try TCPHeader(
                            parsing: try TCPPacket(checking: raw), source: ip("10.0.0.3"),
                            destination: ip("10.0.0.2"))
                    }
                }
                try expectEqual(again, header, "round trip")
            }
            // Into the state machine, whatever it says (ports forced to the connection's).
            header.sourcePort = 80
            header.destinationPort = 49152
            now = now + .milliseconds(1)
            _ = connection.process(
                TCPSegment(header: header, payload: [UInt8](repeating: 1, count: header.payloadLength)), now: now)
            while connection.dispatch(now: now) != nil {}
        }
        try expect(parsed > 300 && rejected > 300, "both outcomes exercised: \(parsed) parsed, \(rejected) rejected")
    }
}
