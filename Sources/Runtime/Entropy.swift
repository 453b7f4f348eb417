/// Entropy from the platform: `getrandom` in dev, RDSEED/RDRAND in prod.
public enum Entropy {
    /// Fills `buffer` with cryptographically strong random bytes.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        ABI.randomBytes(buffer)
    }

    /// A uniformly random 64-bit value.
    public static func next() -> UInt64 {
        var value: UInt64 = 0
        withUnsafeMutableBytes(of: &value) { fill($0) }
        return value
    }
}

/// The Embedded stdlib seeds hashing and `SystemRandomNumberGenerator` through
/// `arc4random_buf`; Runtime supplies it from the ABI so both modes draw
/// entropy from the same call (and dev needs no extra system call for it).
@_cdecl("arc4random_buf")
public func swiftletArc4randomBuf(_ buffer: UnsafeMutableRawPointer?, _ count: Int) {
    guard let buffer else { return }
    ABI.randomBytes(UnsafeMutableRawBufferPointer(start: buffer, count: count))
}
