/// The libFuzzer entry points of the host fuzz build (docs/FUZZING.md).
///
/// One binary holds every harness; `SWIFTLET_FUZZ_TARGET` names the one to run (``harnesses`` lists them). Each
/// harness takes the input as untrusted bytes and must never trap: a Swift runtime trap (a bounds check, an
/// overflow, a precondition — this build keeps the checks `-Osize` images compile out) or an AddressSanitizer
/// report is a finding, and libFuzzer saves the input that caused it.

import Net

/// A named harness: what it feeds the input to.
struct Harness {
    var name: StaticString
    var summary: StaticString
    var run: (UnsafeRawBufferPointer) -> Void
}

/// Every harness, in the order `bench/fuzz.sh` runs them.
let harnesses: [Harness] = [
    Harness(name: "ethernet", summary: "Ethernet II header", run: fuzzEthernet),
    Harness(name: "arp", summary: "ARP message", run: fuzzARP),
    Harness(name: "ipv4", summary: "IPv4 header and options", run: fuzzIPv4),
    Harness(name: "icmp", summary: "ICMPv4 message", run: fuzzICMP),
    Harness(name: "udp", summary: "UDP header", run: fuzzUDP),
    Harness(name: "tcp", summary: "TCP header with options", run: fuzzTCP),
    Harness(name: "tcp-options", summary: "TCP options alone", run: fuzzTCPOptions),
    Harness(name: "dhcp", summary: "DHCP message and options", run: fuzzDHCP),
    Harness(name: "dns", summary: "DNS message with compressed names", run: fuzzDNS),
    Harness(name: "http", summary: "HTTP/1.1 request parser, whole and split", run: fuzzHTTP),
    Harness(name: "http-response", summary: "HTTP/1.1 response head and body framing, whole and split; URLs",
            run: fuzzHTTPResponse),
    Harness(name: "boot-arguments", summary: "boot arguments (Runtime)", run: fuzzBootArguments),
    Harness(name: "boot-words", summary: "prod platform words: @net.NAME=MAC, virtio_mmio.device=", run: fuzzBootWords),
    Harness(name: "device-options", summary: "dev tender --net/--block/--pcap values", run: fuzzDeviceOptions),
    Harness(name: "store", summary: "store image: meta and tree pages, open, read, check", run: fuzzStore),
    Harness(name: "interface", summary: "Interface receive path: frames into a listening host", run: fuzzInterface),
]

@_extern(c, "getenv")
func getenv(_ name: UnsafePointer<CChar>) -> UnsafePointer<CChar>?
@_extern(c, "exit")
func exit(_ status: Int32)
@_extern(c, "fuzz_platform_reset")
func fuzzPlatformReset()
@_extern(c, "fuzz_platform_advance")
func fuzzPlatformAdvance(_ nanoseconds: UInt64)

nonisolated(unsafe) var selected: Harness? = nil

func equalsCString(_ text: StaticString, _ cString: UnsafePointer<CChar>) -> Bool {
    var index = 0
    let bytes = UnsafeRawPointer(cString).assumingMemoryBound(to: UInt8.self)
    for byte in UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount) {
        if bytes[index] != byte { return false }
        index += 1
    }
    return bytes[index] == 0
}

@_cdecl("LLVMFuzzerInitialize")
func fuzzerInitialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutableRawPointer) -> Int32 {
    if let name = getenv("SWIFTLET_FUZZ_TARGET") {
        for harness in harnesses where equalsCString(harness.name, name) {
            selected = harness
            return 0
        }
    }
    print("swiftlet-fuzz: set SWIFTLET_FUZZ_TARGET to one of:")
    for harness in harnesses { print("  \(harness.name)  \(harness.summary)") }
    exit(2)
    return 2
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzPlatformReset()
    selected!.run(UnsafeRawBufferPointer(start: size == 0 ? nil : data, count: size))
    return 0
}

// MARK: - Helpers

/// Runs `body` on a private, writable copy of `input` in an allocation of exactly its size, so that AddressSanitizer
/// sees a read one byte past the end (the parsers' views need mutable bytes).
func withCopy<R>(_ input: UnsafeRawBufferPointer, _ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: input.count, alignment: 1)
    defer { copy.deallocate() }
    if input.count > 0 { copy.copyMemory(from: input) }
    return body(copy)
}

/// Traps (a finding) unless `a == b`: whatever parses must survive emit → parse unchanged.
func expectSame<T: Equatable & CustomStringConvertible>(_ a: T, _ b: T, _ what: StaticString) {
    if a != b { fatalError("\(what) round trip changed the value: \(a) became \(b)") }
}

/// Emits into a fresh zeroed buffer of `length` bytes and parses it back; traps when parsing fails.
func roundTrip<T>(
    length: Int, _ emit: (UnsafeMutableRawBufferPointer) -> Void,
    _ parse: (UnsafeMutableRawBufferPointer) throws(WireError) -> T, _ what: StaticString
) -> T {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 1)
    defer { buffer.deallocate() }
    buffer.initializeMemory(as: UInt8.self, repeating: 0)
    emit(buffer)
    do throws(WireError) {
        return try parse(buffer)
    } catch {
        fatalError("\(what): an emitted value does not parse again")
    }
}
