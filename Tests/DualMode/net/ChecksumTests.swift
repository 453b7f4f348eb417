/// The Internet checksum (Sources/Net/Wire/Checksum.swift): the fast path against the byte-by-byte reference,
/// RFC 1071's worked example, known header checksums from captured packets, pseudo-header and RFC 1624 updates.
import Net
import Runtime

/// The IPv4 header of the ping frame (scapy: checksum 0x149b).
private let pingIPv4Header: [UInt8] = [
    0x45, 0x00, 0x00, 0x2c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x01, 0x14, 0x9b,
    0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
]

func registerChecksumTests(_ suite: inout TestSuite) {
    suite.test("checksum.fast-sum-equals-reference-at-every-length-and-alignment") { () throws(TestFailure) in
        var random = SplitMix64(state: 1071)
        var bytes = [UInt8](repeating: 0, count: 2048 + 8)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: random.next()) }
        // Runs of 0xFF make the 64-bit accumulator overflow: the end-around carry must be right.
        for index in 512..<1024 { bytes[index] = 0xFF }
        try withBytes(bytes) { (buffer) throws(TestFailure) in
            for offset in 0...7 {
                for length in 0...2048 {
                    let slice = UnsafeRawBufferPointer(
                        rebasing: UnsafeRawBufferPointer(buffer)[offset..<offset + length])
                    let fast = Checksum.sum(slice)
                    let reference = Checksum.referenceSum(slice)
                    if fast != reference {
                        throw TestFailure("offset \(offset) length \(length): \(hex(fast)) vs \(hex(reference))")
                    }
                }
            }
        }
    }
    suite.test("checksum.all-ones-and-all-zeros") { () throws(TestFailure) in
        let ones = [UInt8](repeating: 0xFF, count: 4096)
        let zeros = [UInt8](repeating: 0, count: 100)
        try withRawBytes(ones) { (bytes) throws(TestFailure) in
            try expectHex(Checksum.sum(bytes), 0xFFFF, "sum of 4096 0xff bytes")
            try expectHex(Checksum.referenceSum(bytes), 0xFFFF, "reference sum of 4096 0xff bytes")
        }
        try withRawBytes(zeros) { (bytes) throws(TestFailure) in
            try expectHex(Checksum.sum(bytes), 0, "sum of zeros")
            try expectHex(Checksum.checksum(bytes), 0xFFFF, "checksum of zeros")
        }
        try expectHex(Checksum.sum(UnsafeRawBufferPointer(start: nil, count: 0)), 0, "sum of nothing")
    }
    suite.test("checksum.rfc1071-worked-example") { () throws(TestFailure) in
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (and to f2dd in swapped order).
        let bytes: [UInt8] = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]
        try withRawBytes(bytes) { (raw) throws(TestFailure) in
            try expectHex(Checksum.sum(raw), 0xddf2, "sum")
            try expectHex(Checksum.checksum(raw), 0x220d, "checksum")
        }
    }
    suite.test("checksum.captured-ipv4-header-sums-to-ffff-and-recomputes") { () throws(TestFailure) in
        try withBytes(pingIPv4Header) { (bytes) throws(TestFailure) in
            try expectHex(Checksum.sum(UnsafeRawBufferPointer(bytes)), 0xFFFF, "sum over an intact header")
            bytes[10] = 0
            bytes[11] = 0
            try expectHex(Checksum.checksum(UnsafeRawBufferPointer(bytes)), 0x149b, "recomputed header checksum")
        }
    }
    suite.test("checksum.partial-sums-combine-at-any-even-split") { () throws(TestFailure) in
        var random = SplitMix64(state: 768)
        var bytes = [UInt8](repeating: 0, count: 301)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: random.next()) }
        try withRawBytes(bytes) { (raw) throws(TestFailure) in
            let whole = Checksum.sum(raw)
            for split in stride(from: 0, through: 300, by: 2) {
                let first = Checksum.sum(UnsafeRawBufferPointer(rebasing: raw[0..<split]))
                let second = Checksum.sum(UnsafeRawBufferPointer(rebasing: raw[split..<raw.count]))
                try expectHex(Checksum.combine(first, second), whole, "split at \(split)")
            }
        }
    }
    suite.test("checksum.pseudo-header-matches-captured-udp") { () throws(TestFailure) in
        // scapy: UDP 10.0.0.2:49152 -> 10.0.0.1:53 "hello, swiftlet", checksum 0x08d3.
        let datagram: [UInt8] = [
            0xc0, 0x00, 0x00, 0x35, 0x00, 0x17, 0x00, 0x00, 0x68, 0x65, 0x6c, 0x6c,
            0x6f, 0x2c, 0x20, 0x73, 0x77, 0x69, 0x66, 0x74, 0x6c, 0x65, 0x74,
        ]
        let pseudo = Checksum.pseudoHeaderSum(
            source: IPv4Address(10, 0, 0, 2), destination: IPv4Address(10, 0, 0, 1), protocol: .udp, length: 23)
        try withRawBytes(datagram) { (raw) throws(TestFailure) in
            try expectHex(~Checksum.combine(pseudo, Checksum.sum(raw)), 0x08d3, "UDP checksum")
        }
    }
    suite.test("checksum.incremental-update-matches-recomputation") { () throws(TestFailure) in
        try withBytes(pingIPv4Header) { (bytes) throws(TestFailure) in
            // Just the header: Total Length says 44, so only the unchecked view fits these 20 bytes.
            let packet = IPv4Packet(unchecked: bytes)
            try expect(packet.verifyChecksum(), "captured checksum verifies")
            for _ in 0..<64 {
                let old = UInt16(packet.timeToLive) << 8 | UInt16(packet.nextProtocol.rawValue)
                packet.timeToLive -= 1
                let new = UInt16(packet.timeToLive) << 8 | UInt16(packet.nextProtocol.rawValue)
                let updated = Checksum.update(packet.headerChecksum, replacing: old, with: new)
                packet.fillChecksum()
                try expectHex(updated, packet.headerChecksum, "after TTL \(packet.timeToLive)")
            }
        }
    }
}
