/// The part of the prod platform's `StartInfo` (Sources/Platform/Virtio/StartInfo.swift) that `BootWords.swift`
/// uses: the command line, copied and normalised as `StartInfo.copy(from:)` does from the PVH start info
/// (single spaces, no blanks at the ends, at most VIRTIO_CMDLINE_MAX - 2 bytes), into an exact-size buffer.
enum StartInfo {
    static let capacity = 4096 - 2
    nonisolated(unsafe) static var cmdlineLength = 0
    nonisolated(unsafe) static var buffer = UnsafeMutablePointer<CChar>.allocate(capacity: 1)

    static var cmdline: UnsafeMutablePointer<CChar> { buffer }

    /// Replaces the command line with `input`, normalised; the buffer holds it and its NUL, nothing more.
    static func load(_ input: UnsafeRawBufferPointer) {
        var normalised: [UInt8] = []
        var pendingSpace = false
        for c in input {
            if c == 0 || normalised.count >= capacity { break }
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D {
                pendingSpace = !normalised.isEmpty
                continue
            }
            if pendingSpace {
                normalised.append(0x20)
                pendingSpace = false
            }
            normalised.append(c)
        }
        buffer.deallocate()
        buffer = UnsafeMutablePointer<CChar>.allocate(capacity: normalised.count + 1)
        for (index, byte) in normalised.enumerated() { buffer[index] = CChar(bitPattern: byte) }
        buffer[normalised.count] = 0
        cmdlineLength = normalised.count
    }
}
