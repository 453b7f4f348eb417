/// The dual-mode TCP API suite: the async ``TCPListener`` and ``TCPConnection`` of `Sources/Net/Stack` on a real
/// ``NetworkStack`` (net device `service`, an echo peer in tests), with both ends in this image talking through
/// the interface's loopback: connect, accept, read, write with back-pressure, timeouts, half-close, close, abort,
/// cancellation, many connections at once, in dev (posix) and prod (virtio). Real time, not a virtual clock: the
/// executor, the poll task and the device readiness are part of what is tested.
/// Run: `./swiftlet test Tests/DualMode/tcp-api --target both`.
import Net
import Runtime

@main
struct TCPAPISuite: TestableApplication {
    static func run(_ arguments: BootArguments) async -> Int32 {
        print("tcp-api suite: run with swiftlet.test=all (or a test's name)")
        return 0
    }

    static func tests(_ suite: inout TestSuite) {
        registerConnectionTests(&suite)
        registerClosingTests(&suite)
        registerLoadTests(&suite)
        registerVirtualLinkTests(&suite)
        registerPollTaskTests(&suite)
    }
}

/// The one stack of this image (a device is acquired once), brought up by the first test that needs it.
enum Shared {
    nonisolated(unsafe) static var stack: NetworkStack?
    nonisolated(unsafe) static var nextPort: UInt16 = 7000
}

/// The shared stack on `service`, 10.9.0.2/24.
func testStack() async throws(TestFailure) -> NetworkStack {
    if let stack = Shared.stack { return stack }
    do throws(NetworkStackError) {
        let stack = try await NetworkStack.up(
            device: "service",
            configuration: .static(cidr: IPv4CIDR("10.9.0.2/24")!, gateway: nil), tcpCapacity: 128)
        Shared.stack = stack
        return stack
    } catch {
        throw TestFailure("stack up: \(error)")
    }
}

/// A fresh port per test, so that no test sees another's connections.
func freshPort() -> UInt16 {
    Shared.nextPort += 1
    return Shared.nextPort
}

/// A listener on a fresh port of the shared stack.
func listen(_ stack: NetworkStack, backlog: Int = 16, configuration: TCPConfiguration = TCPConfiguration())
    throws(TestFailure) -> TCPListener
{
    do throws(TCPError) {
        return try TCPListener.listen(port: freshPort(), backlog: backlog, on: stack, configuration: configuration)
    } catch {
        throw TestFailure("listen: \(error)")
    }
}

/// A connection from the stack to its own `listener`, and the accepted other end: (client, server).
func connectedPair(_ listener: TCPListener, configuration: TCPConfiguration = TCPConfiguration())
    async throws(TestFailure) -> (TCPConnection, TCPConnection)
{
    let stack = listener.stack
    let client = try await tcp("connect") { () async throws(TCPError) in
        try await TCPConnection.connect(
            to: stack.address!.address, port: listener.port, on: stack, timeout: .seconds(5),
            configuration: configuration)
    }
    let server = try await tcp("accept") { () async throws(TCPError) in try await listener.accept(timeout: .seconds(5)) }
    return (client, server)
}

/// Runs a TCP operation; a ``TCPError`` becomes a failure that says what was being done.
func tcp<T>(_ what: String, _ body: () async throws(TCPError) -> T) async throws(TestFailure) -> T {
    do throws(TCPError) {
        return try await body()
    } catch {
        throw TestFailure("\(what): \(error)")
    }
}

/// Expects a TCP operation to fail with `expected`; `unexpected` says what it would mean if it succeeded.
func expectError<T>(
    _ expected: TCPError, _ what: String, else unexpected: String, _ body: () async throws(TCPError) -> T
) async throws(TestFailure) {
    do throws(TCPError) {
        _ = try await body()
    } catch {
        try expectEqual(error, expected, what)
        return
    }
    throw TestFailure(unexpected)
}

/// Reads until `count` bytes arrived; fails on an error, an early end of stream, or after `timeout`.
func readExactly(_ connection: TCPConnection, _ count: Int, timeout: Duration = .seconds(20))
    async throws(TestFailure) -> [UInt8]
{
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count)
    let deadline = Instant.now + timeout
    while bytes.count < count {
        let left = deadline - Instant.now
        guard left > .zero else { throw TestFailure("read: \(bytes.count) of \(count) bytes in time") }
        let chunk = try await tcp("read after \(bytes.count) of \(count) bytes") { () async throws(TCPError) in
            try await connection.read(maximum: count - bytes.count, timeout: left)
        }
        if chunk.isEmpty { throw TestFailure("read: end of stream after \(bytes.count) of \(count) bytes") }
        bytes += chunk
    }
    return bytes
}

/// Writes `bytes`, failing on any error.
func writeAll(_ connection: TCPConnection, _ bytes: [UInt8], timeout: Duration = .seconds(20))
    async throws(TestFailure)
{
    try await tcp("write of \(bytes.count) bytes") { () async throws(TCPError) in
        try await connection.write(bytes, timeout: timeout)
    }
}

/// Expects the end of the stream (a read returning nothing) within `timeout`.
func expectEndOfStream(_ connection: TCPConnection, _ what: String, timeout: Duration = .seconds(5))
    async throws(TestFailure)
{
    let bytes = try await tcp("\(what): expected end of stream") { () async throws(TCPError) in
        try await connection.read(timeout: timeout)
    }
    try expect(bytes.isEmpty, "\(what): end of stream, got \(bytes.count) bytes")
}

/// `count` bytes of a pattern that starts at `seed`.
func pattern(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    for index in 0..<count { bytes[index] = UInt8(truncatingIfNeeded: index &* 31 &+ index >> 9 &+ Int(seed)) }
    return bytes
}
