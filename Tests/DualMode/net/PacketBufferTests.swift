/// PacketBuffer (Sources/Net/Wire/PacketBuffer.swift): headroom, prepend without copying, NIO-style verbs.
import Net
import Runtime

func registerPacketBufferTests(_ suite: inout TestSuite) {
    suite.test("packet-buffer.prepend-writes-headers-in-front-without-moving-the-payload") { () throws(TestFailure) in
        var buffer = PacketBuffer(capacity: 64, headroom: 42)
        try expectEqual(buffer.readableBytes, 0, "empty length")
        buffer.writeBytes(UnsafeRawBufferPointer(start: nil, count: 0))
        let payload: [UInt8] = [1, 2, 3, 4]
        payload.withUnsafeBytes { raw in buffer.writeBytes(raw) }
        let before = buffer.withUnsafeReadableBytes { bytes in UInt(bitPattern: bytes.baseAddress) }
        buffer.prepend(8) { header in header.storeBytes(of: 0x1122_3344_5566_7788 as UInt64, as: UInt64.self) }
        let after = buffer.withUnsafeReadableBytes { bytes in UInt(bitPattern: bytes.baseAddress) }
        try expectEqual(after + 8, before, "payload address")
        try expectEqual(buffer.readableBytes, 12, "length")
        try expectEqual(buffer.headroom, 34, "headroom")
        try expectEqual(buffer.tailroom, 18, "tailroom")
        try expectBytes(Array(array(buffer)[8...]), payload, "payload after prepend")
    }
    suite.test("packet-buffer.integers-are-big-endian-and-get-peek-read-follow-nio") { () throws(TestFailure) in
        var buffer = PacketBuffer(capacity: 16, headroom: 2)
        buffer.writeInteger(UInt16(0x0800))
        buffer.writeInteger(UInt32(0x0A00_0002))
        try expectBytes(array(buffer), [0x08, 0x00, 0x0a, 0x00, 0x00, 0x02], "bytes")
        try expectEqual(buffer.getInteger(at: 2, as: UInt16.self) ?? 0, 0x0800, "UInt16 at the reader index")
        try expectEqual(buffer.getInteger(at: 4, as: UInt32.self) ?? 0, 0x0A00_0002, "UInt32 at 4")
        try expect(buffer.getInteger(at: 5, as: UInt32.self) == nil, "UInt32 past the writer index")
        try expect(buffer.getInteger(at: 1, as: UInt8.self) == nil, "headroom is not readable")
        try expectEqual(buffer.peekInteger(as: UInt16.self) ?? 0, 0x0800, "peek")
        try expectEqual(buffer.readerIndex, 2, "get and peek move nothing")
        try expectEqual(buffer.readInteger(as: UInt16.self) ?? 0, 0x0800, "read")
        try expectEqual(buffer.readerIndex, 4, "read moves the reader index")
        try expect(buffer.readInteger(as: UInt64.self) == nil, "read of too many bytes")
        try expectEqual(buffer.readInteger(as: UInt32.self) ?? 0, 0x0A00_0002, "read after a failed read")
        try expectEqual(buffer.readableBytes, 0, "all read")
    }
    suite.test("packet-buffer.move-reader-index-strips-headers-and-truncate-drops-padding") { () throws(TestFailure) in
        var buffer = PacketBuffer([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        buffer.moveReaderIndex(forwardBy: 4)
        try expectBytes(array(buffer), [5, 6, 7, 8, 9, 10], "after strip")
        buffer.truncate(toReadableBytes: 3)
        try expectBytes(array(buffer), [5, 6, 7], "after truncate")
        try expectEqual(buffer.headroom, 4, "stripped header became headroom")
        buffer.prepend(4) { _ in }
        try expectBytes(array(buffer), [1, 2, 3, 4, 5, 6, 7], "header bytes still there")
        buffer.clear(headroom: 6)
        try expectEqual(buffer.readableBytes, 0, "cleared")
        try expectEqual(buffer.headroom, 6, "headroom after clear")
    }
    suite.test("packet-buffer.copies-on-write") { () throws(TestFailure) in
        var first = PacketBuffer([1, 2, 3])
        var second = first
        second.withUnsafeMutableReadableBytes { bytes in bytes[0] = 99 }
        try expectBytes(array(first), [1, 2, 3], "original")
        try expectBytes(array(second), [99, 2, 3], "copy")
        first.append(0) { _ in }
        try expect(first != second, "buffers differ")
    }
    // Index misuse is a bug in the caller, never a property of a packet: it traps (NIO §7 exit tests).
    suite.faultTest("packet-buffer.prepend-beyond-the-headroom-traps", expecting: ExitStatus.cpuTrap) {
        var buffer = PacketBuffer(capacity: 64, headroom: 14)
        buffer.prepend(14 + buffer.tailroom + 1) { _ in }
        print("prepended \(buffer.readableBytes) bytes into 14 bytes of headroom")
    }
    suite.faultTest("packet-buffer.move-reader-index-past-the-writer-index-traps", expecting: ExitStatus.cpuTrap) {
        var buffer = PacketBuffer([1, 2, 3])
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes + 1)
        print("reader index \(buffer.readerIndex) past 3 bytes")
    }
    suite.test("packet-buffer.closures-pass-typed-errors-through") { () throws(TestFailure) in
        var buffer = PacketBuffer(capacity: 8, headroom: 8)
        var caught = false
        do throws(WireError) {
            try buffer.prepend(8) { (_) throws(WireError) in throw WireError() }
        } catch {
            caught = error == WireError()
        }
        try expect(caught, "the closure's WireError came out of prepend")
        try expectEqual(buffer.description, "PacketBuffer(readable 8, headroom 0, tailroom 0)", "description")
    }
}
