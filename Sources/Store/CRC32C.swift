/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78; RFC 3720 §12.1, the iSCSI and ext4/btrfs checksum),
/// computed slicing-by-8 with eight 256-entry tables built once.
enum CRC32C {
    static let tables: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 8 * 256)
        for index in 0..<256 {
            var crc = UInt32(index)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            table[index] = crc
        }
        for index in 0..<256 {
            var crc = table[index]
            for slice in 1..<8 {
                crc = table[Int(crc & 0xFF)] ^ (crc >> 8)
                table[slice * 256 + index] = crc
            }
        }
        return table
    }()

    /// The CRC-32C of `count` bytes at `start` (initial value and final xor 0xFFFFFFFF).
    static func checksum(_ start: UnsafeRawPointer, count: Int) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        var offset = 0
        tables.withUnsafeBufferPointer { t in
            guard let t = t.baseAddress else { return }
            while count - offset >= 8 {
                let low = UInt32(littleEndian: start.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) ^ crc
                let high = UInt32(littleEndian: start.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
                crc = t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                offset += 8
            }
            while offset < count {
                crc = t[Int((crc ^ UInt32(start.load(fromByteOffset: offset, as: UInt8.self))) & 0xFF)] ^ (crc >> 8)
                offset += 1
            }
        }
        return crc ^ 0xFFFF_FFFF
    }

    /// The CRC-32C of `bytes`.
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return 0 }
            return checksum(base, count: raw.count)
        }
    }
}
