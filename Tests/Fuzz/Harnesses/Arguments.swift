/// The text a unikernel parses at start: Runtime's boot arguments, the prod platform's own command-line words
/// (`Sources/Platform/Virtio/BootWords.swift`, compiled into this module over the shim in `StartInfoShim.swift`),
/// and the dev tender's device options (`Sources/Platform/Posix/DeviceOptions.swift`).
import Runtime

func fuzzBootArguments(_ input: UnsafeRawBufferPointer) {
    let line = String(decoding: input, as: UTF8.self)
    guard let arguments = try? BootArguments(parsing: line) else { return }
    for pair in arguments.pairs {
        guard arguments[pair.key] != nil else { fatalError("a parsed key is not found again: \(pair.key)") }
        _ = arguments.integer(pair.key)
    }
    _ = (arguments.count, arguments["swiftlet.test"], arguments.integer("port"))
}

func fuzzBootWords(_ input: UnsafeRawBufferPointer) {
    StartInfo.load(input)
    BootWords.reset()
    BootWords.extract()
    guard StartInfo.cmdlineLength <= StartInfo.capacity else { fatalError("the command line grew") }
    _ = BootWords.mmioDevices
    for entry in BootWords.allNetNames {
        _ = BootWords.netName(for: entry.mac)
        entry.withName { name, length in _ = BootWords.net(for: name, length) }
    }
}

func fuzzDeviceOptions(_ input: UnsafeRawBufferPointer) {
    // Options separated by NUL bytes (argv words); each starts with a byte choosing --net, --block or --pcap.
    var options = DeviceOptions()
    var start = 0
    while start < input.count {
        var end = start
        while end < input.count && input[end] != 0 { end += 1 }
        if end > start {
            let kinds: [DeviceOptionKind] = [.net, .block, .pcap]
            let kind = kinds[Int(input[start]) % 3]
            do throws(TenderError) {
                try options.add(kind, value: Array(input[(start + 1)..<end]))
            } catch {
                _ = error.line.bytes.count
                return
            }
        }
        start = end + 1
    }
    do throws(TenderError) { try options.checkPcaps() } catch { _ = error.line.bytes.count }
}
