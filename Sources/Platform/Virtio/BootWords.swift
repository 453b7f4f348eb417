/// BootWords.swift — the command-line words meant for the platform, not the app.
///
/// docs/DEVICES.md §4: `swiftlet run` appends `@net.NAME=MAC` for each net
/// device (the unikernel matches a NIC to NAME by its MAC), `@exit=i8042`
/// for VMMs without isa-debug-exit (Exit.swift), and QEMU's
/// microvm appends `virtio_mmio.device=SIZE@0xBASE:GSI` for each virtio-mmio
/// transport with a device (hw/i386/microvm.c, when ACPI is off). Both are
/// recorded here and removed, with every other `@...` word, from the line
/// Runtime sees, which stays normalised (single spaces, no blanks at the
/// ends: StartInfo.swift). The net names and virtio-mmio words are kept
/// aside at boot and parsed at their first look-up (a device acquire), so an
/// app that acquires no device links no parser for them (docs/BENCHMARKS.md,
/// footprint).

import DeviceSpec
import VirtioHW

/// One `@net.NAME=MAC` word.
struct NetName {
    /// NAME, NUL-padded (1–31 bytes, docs/DEVICES.md §1).
    var name: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    var length = 0
    /// The MAC's six bytes, first byte in bits 47:40 (0 when the word gave an index).
    var mac: UInt64 = 0
    /// `@net.NAME=#N`: the Nth NIC found at boot (PCI bus order, or virtio-mmio order), 0...99; else -1.
    var index = -1

    /// Lends NAME's bytes and length to `body`.
    func withName(_ body: (UnsafePointer<UInt8>, Int) -> Void) {
        var copy = name
        withUnsafeBytes(of: &copy) { raw in body(raw.baseAddress!.assumingMemoryBound(to: UInt8.self), length) }
    }

    func matches(_ other: UnsafePointer<UInt8>, _ otherLength: Int) -> Bool {
        guard otherLength == length else { return false }
        var copy = name
        return withUnsafeBytes(of: &copy) { raw in
            for i in 0..<length where raw[i] != other[i] { return false }
            return true
        }
    }
}

enum BootWords {
    /// Parsed from the words kept aside, at the first look-up (``parseKeptWords()``).
    private static var netNames: [NetName] = []
    private static var mmio: [(base: UInt, gsi: Int)] = []
    /// The `@...` and `virtio_mmio.device=` words taken off the line, space-separated, until parsed.
    private static var kept: UnsafeMutablePointer<UInt8>? = nil
    private static var keptLength = 0
    private static var parsed = false
    /// `@exit=i8042`: end through the console and the i8042 reset (Exit.swift), for VMMs without
    /// isa-debug-exit (Firecracker).
    static var exitThroughI8042 = false

    /// Records and strips the platform's words from `StartInfo.cmdline`.
    static func extract() {
        let line = UnsafeMutableRawPointer(StartInfo.cmdline).assumingMemoryBound(to: UInt8.self)
        let length = StartInfo.cmdlineLength
        var read = 0, write = 0
        while read < length {
            var end = read
            while end < length && line[end] != 0x20 { end += 1 }
            let word = UnsafePointer(line + read)
            let count = end - read
            var keep = true
            if word[0] == UInt8(ascii: "@") {
                keep = false
                if count == 11 && hasPrefix(word, count, "@exit=i8042") {
                    exitThroughI8042 = true
                } else {
                    keepAside(word, count, lineLength: length)
                }
            } else if hasPrefix(word, count, "virtio_mmio.device=") {
                keep = false
                keepAside(word, count, lineLength: length)
            }
            if keep {
                if write > 0 {
                    line[write] = 0x20
                    write += 1
                }
                for i in 0..<count { line[write + i] = word[i] }
                write += count
            }
            read = end + 1
        }
        line[write] = 0
        StartInfo.cmdlineLength = write
    }

    /// Appends a word taken off the line to the kept words (they fit in the line's length: they came from it).
    private static func keepAside(_ word: UnsafePointer<UInt8>, _ count: Int, lineLength: Int) {
        if kept == nil { kept = .allocate(capacity: lineLength) }
        guard let kept else { return }
        if keptLength > 0 {
            kept[keptLength] = 0x20
            keptLength += 1
        }
        for i in 0..<count { kept[keptLength + i] = word[i] }
        keptLength += count
    }

    /// Parses the kept words, once.
    private static func parseKeptWords() {
        guard !parsed else { return }
        parsed = true
        guard let kept else { return }
        var start = 0
        while start < keptLength {
            var end = start
            while end < keptLength && kept[end] != 0x20 { end += 1 }
            let word = UnsafePointer(kept + start)
            if word[0] == UInt8(ascii: "@") {
                recordNetName(word, end - start)
            } else {
                recordMMIO(word + 19, end - start - 19)
            }
            start = end + 1
        }
        kept.deallocate()
        self.kept = nil
    }

    /// Every `@net.NAME=` word, parsed (for the fuzz harness).
    static var allNetNames: [NetName] {
        parseKeptWords()
        return netNames
    }

    /// Forgets every word (the fuzz harness extracts many lines in one process).
    static func reset() {
        kept?.deallocate()
        kept = nil
        keptLength = 0
        parsed = false
        netNames = []
        mmio = []
        exitThroughI8042 = false
    }

    /// (base, GSI) of each `virtio_mmio.device=` word.
    static var mmioDevices: [(base: UInt, gsi: Int)] {
        parseKeptWords()
        return mmio
    }

    static func hasPrefix(_ word: UnsafePointer<UInt8>, _ count: Int, _ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard count >= n else { return false }
        for i in 0..<n where word[i] != prefix.utf8Start[i] { return false }
        return true
    }

    /// `@net.NAME=aa:bb:cc:dd:ee:ff` or `@net.NAME=#N` (NAME and MAC by DeviceSpec's rules); anything else
    /// starting with `@` is ignored.
    static func recordNetName(_ word: UnsafePointer<UInt8>, _ count: Int) {
        guard hasPrefix(word, count, "@net.") else { return }
        var equals = 5
        while equals < count && word[equals] != UInt8(ascii: "=") { equals += 1 }
        let nameLength = equals - 5
        guard DeviceSpec.nameProblem(UnsafeBufferPointer(start: word + 5, count: nameLength), block: false) == nil
        else { return }
        var entry = NetName()
        entry.length = nameLength
        withUnsafeMutableBytes(of: &entry.name) { raw in
            for i in 0..<nameLength { raw[i] = word[5 + i] }
        }
        // `#N`: by position, for a disk image whose NIC's MAC is the cloud's to choose (docs/DEPLOY.md §1).
        let valueLength = count - equals - 1
        if (valueLength == 2 || valueLength == 3) && word[equals + 1] == UInt8(ascii: "#") {
            var index = 0
            for i in (equals + 2)..<count {
                guard word[i] >= 0x30 && word[i] <= 0x39 else { return }
                index = index * 10 + Int(word[i] - 0x30)
            }
            entry.index = index
            netNames.append(entry)
            return
        }
        let text = UnsafeBufferPointer(start: word + equals + 1, count: max(valueLength, 0))
        guard let mac = try? DeviceSpec.parseMAC(text) else { return }
        entry.mac = mac
        netNames.append(entry)
    }

    /// `SIZE@0xBASE:GSI[:ID]` (Linux drivers/virtio/virtio_mmio.c's parameter syntax).
    static func recordMMIO(_ text: UnsafePointer<UInt8>, _ count: Int) {
        var i = 0
        while i < count && text[i] != UInt8(ascii: "@") { i += 1 }
        i += 1
        guard i + 2 < count, text[i] == UInt8(ascii: "0"), text[i + 1] | 0x20 == UInt8(ascii: "x") else { return }
        i += 2
        var base: UInt = 0
        while i < count, let d = DeviceSpec.hexDigit(text[i]) {
            base = base << 4 | UInt(d)
            i += 1
        }
        guard i < count, text[i] == UInt8(ascii: ":") else { return }
        i += 1
        var gsi = 0
        var digits = 0
        while i < count && text[i] >= 0x30 && text[i] <= 0x39 && digits < 4 {
            gsi = gsi * 10 + Int(text[i] - 0x30)
            i += 1
            digits += 1
        }
        guard digits > 0, base != 0, base < 0x1_0000_0000 else { return }
        mmio.append((base, gsi))
    }

    /// The `@net.NAME=MAC` word that named `mac`, or nil.
    static func netName(for mac: UInt64) -> NetName? {
        parseKeptWords()
        for entry in netNames.reversed() where entry.mac == mac { return entry }
        return nil
    }

    /// The MAC that `@net.NAME=` gave for `name`, or nil.
    /// The last word for NAME (a later word overrides an earlier one: an SMBIOS override follows grub.cfg's).
    static func net(for name: UnsafePointer<UInt8>, _ length: Int) -> NetName? {
        parseKeptWords()
        for entry in netNames.reversed() where entry.matches(name, length) { return entry }
        return nil
    }
}
