/// Entropy.swift — `swiftlet_platform_random` from the CPU's DRNG.
///
/// RDSEED (CPUID.(EAX=7,ECX=0):EBX[18]) draws from the entropy conditioner;
/// RDRAND (CPUID.1:ECX[30]) from the DRBG it reseeds. Either may fail
/// transiently (CF=0); Intel's DRNG guide (§5.2.1) recommends retrying RDRAND
/// 10 times, and RDSEED failures are common under load, so RDSEED gets a
/// longer loop with PAUSE and then falls back to RDRAND. No DRNG at all is
/// fatal at first use, with a message (QEMU TCG needs `-cpu max`).

import VirtioHW

enum Entropy {
    static var probed = false
    static var hasRDSEED = false
    static var hasRDRAND = false

    static func probe() {
        probed = true
        hasRDRAND = virtio_cpuid(1, 0).ecx & (1 << 30) != 0
        if virtio_cpuid(0, 0).eax >= 7 {
            hasRDSEED = virtio_cpuid(7, 0).ebx & (1 << 18) != 0
        }
    }

    static func next() -> UInt64 {
        if !probed { probe() }
        var v: UInt64 = 0
        if hasRDSEED {
            for _ in 0..<100 {
                if virtio_rdseed64(&v) != 0 { return v }
                virtio_pause()
            }
        }
        if hasRDRAND {
            for _ in 0..<10 {
                if virtio_rdrand64(&v) != 0 { return v }
            }
            Exit.abort("RDRAND failed 10 times in a row")
        }
        if hasRDSEED { Exit.abort("RDSEED keeps failing and there is no RDRAND") }
        Exit.abort("no hardware entropy: the CPU has neither RDSEED nor RDRAND (QEMU: use -cpu max or host)")
    }
}

@_cdecl("swiftlet_platform_random")
public func swiftlet_platform_random(_ buf: UnsafeMutableRawPointer?, _ len: Int) {
    guard let buf, len > 0 else { return }
    var offset = 0
    while offset < len {
        var word = Entropy.next()
        let n = min(8, len - offset)
        withUnsafeBytes(of: &word) { bytes in
            for i in 0..<n { buf.storeBytes(of: bytes[i], toByteOffset: offset + i, as: UInt8.self) }
        }
        offset += n
    }
}
