/// kv: an HTTP key-value service on port 80 of the `service` NIC over a crash-safe store on the `storage` block
/// device. Data survives restarts, power cuts (an answered write is durable) and a switch between modes (the
/// on-disk format is the same). See ``KVService`` for the URL space and status codes.
///
///     ./swiftlet store create kv.img --size 64M
///     ./swiftlet run kv --target posix --net service=passt:tcp=8080:80 --block storage=kv.img
///     curl -X PUT --data-binary @file localhost:8080/kv/greeting; curl localhost:8080/kv/greeting
///
/// Boot arguments: `ip=a.b.c.d/n`, `gw=a.b.c.d` (else DHCP), `port=P` (80), `format=1` formats a disk that holds no
/// store yet (never one that does), `cache=N` blocks of store cache (1024), `verbose=1` prints the stack's counters
/// every 5 s, `idle=S` seconds a kept-alive connection may wait (60).
///
/// Exit statuses: 2 bad boot arguments or a disk that is not a store (create one, or boot with `format=1`), 3 the
/// store could not be opened (corrupt, wrong version, too small: the message says which), 1 the network failed.
import Net
import Runtime
import Store

@main
struct KV: TestableApplication {
    static func run(_ arguments: BootArguments) async -> Int32 {
        let device: BlockDevice
        do throws(ABIError) {
            device = try BlockDevice.acquire("storage")
        } catch {
            print("kv: no block device 'storage' (run with --block storage=FILE)")
            return 2
        }
        var options = StoreOptions()
        if let blocks = arguments.integer("cache") {
            guard blocks >= 16 else {
                print("kv: cache=\(blocks): give at least 16 blocks")
                return 2
            }
            options.cacheBlocks = blocks
        }
        let store: KeyValueStore<BlockDeviceStore>
        do throws(StoreError) {
            store = try await openStore(BlockDeviceStore(device), options: options, format: arguments["format"] == "1")
        } catch {
            switch error {
            case .notFormatted:
                print("kv: 'storage' holds no store: create one with `swiftlet store create FILE --size 64M`, or boot with format=1")
                return 2
            default:
                print("kv: cannot open the store on 'storage': \(error)")
                return 3
            }
        }
        if await store.statistics.rolledBack {
            // Normal after a power cut during a commit (that commit was never acknowledged); also what damage to
            // the newest commit's pages looks like (docs/STORE.md §3), so say it rather than stay silent.
            print("kv: the store opened at the commit before an incomplete newest one (cut short before it was acknowledged, or its pages are damaged: `swiftlet store check` tells)")
        }
        let stack: NetworkStack
        do throws(NetworkStackError) {
            stack = try await NetworkStack.up(device: "service", bootArguments: arguments)
        } catch {
            print("kv: cannot bring up 'service': \(error)")
            return error.exitStatus
        }
        let port = UInt16(arguments.integer("port") ?? 80)
        let listener: TCPListener
        do throws(TCPError) {
            listener = try TCPListener.listen(port: port, backlog: 128, on: stack)
        } catch {
            print("kv: cannot listen on port \(port): \(error)")
            return 1
        }
        let idle = Duration.seconds(Int64(arguments.integer("idle") ?? 60))
        let service = KVService(store: store)
        print("kv: \(stack.address.map { $0.description } ?? "no address") mac \(stack.mac), serving port \(port)")
        if arguments["verbose"] == "1" { stack.reportCounters(every: .seconds(5), label: "kv") }
        do throws(TCPError) {
            _ = try await listener.serve { connection in
                await serve(connection, service: service, idle: idle)
            }
            return 0
        } catch {
            print("kv: accept: \(error)")
            return 1
        }
    }

    /// Opens the store on `device`; with `format`, formats it first when it holds no store (and only then).
    static func openStore<Device: StoreDevice>(_ device: Device, options: StoreOptions, format: Bool)
        async throws(StoreError) -> KeyValueStore<Device>
    {
        do throws(StoreError) {
            return try await KeyValueStore.open(device, options: options)
        } catch .notFormatted where format {
            print("kv: formatting 'storage' (\(device.blockCount) blocks of \(device.blockSize) bytes)")
            return try await KeyValueStore.format(device, options: options)
        }
    }

    /// Answers requests on `connection` one at a time until the client closes, a reply closes the connection, it
    /// stays idle for `idle`, or it fails.
    static func serve<Device: StoreDevice>(_ connection: TCPConnection, service: KVService<Device>, idle: Duration) async {
        var parser = HTTPRequestParser(limits: HTTPLimits(maximumBodyLength: StoreLimits.maximumValueLength))
        var input: [UInt8] = []
        /// Where the bytes not yet parsed start in `input`: parsed requests are not cut off the front one by one
        /// (`removeFirst` moves everything after them); the buffer empties when all is parsed, and is compacted
        /// before a read only when the parsed part is at least half of it (amortised O(1) per byte).
        var start = 0
        var output: [UInt8] = []
        while true {
            var request: HTTPRequest? = nil
            var refusal: HTTPRequestError? = nil
            if start < input.count {
                do throws(HTTPRequestError) {
                    let step = try parser.parse(input[start...])
                    start += step.consumed
                    if start == input.count {
                        input.removeAll(keepingCapacity: true)
                        start = 0
                    }
                    request = step.request
                } catch {
                    refusal = error
                }
            }
            if parser.expectsContinue {
                parser.acknowledgeContinue()
                do throws(TCPError) {
                    try await connection.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                } catch {
                    connection.abort()
                    return
                }
            }
            if let refusal {
                output.removeAll(keepingCapacity: true)
                write(KVReply(status: refusal.status, text: refusal.description), head: false, keepAlive: false,
                    into: &output)
                try? await connection.write(output)
                break
            }
            if let request {
                let reply = await service.respond(to: request)
                output.removeAll(keepingCapacity: true)
                write(reply, head: request.method == .head, keepAlive: request.keepAlive,
                    statesKeepAlive: request.version == .http10, into: &output)
                do throws(TCPError) {
                    try await connection.write(output)
                } catch {
                    connection.abort()
                    return
                }
                if !request.keepAlive { break }
                continue
            }
            do throws(TCPError) {
                let bytes = try await connection.read(maximum: 65536, timeout: idle)
                if bytes.isEmpty { break }
                if start > 0 && 2 * start >= input.count {
                    input.removeFirst(start)
                    start = 0
                }
                input += bytes
            } catch .timedOut {
                break
            } catch {
                connection.abort()
                return
            }
        }
        connection.close()
    }

    /// Appends `reply` as an HTTP/1.1 response (RFC 9112 §4, §6.2) to `output`; `head`: without the body (RFC 9110
    /// §9.3.2, `Content-Length` still the GET's).
    /// `statesKeepAlive`: an HTTP/1.0 client, which assumes a close unless told otherwise (RFC 9112 §9.3).
    static func write(
        _ reply: KVReply, head: Bool, keepAlive: Bool, statesKeepAlive: Bool = false, into output: inout [UInt8]
    ) {
        output.write("HTTP/1.1 ")
        output.writeDecimal(UInt64(reply.status.code))
        output.write(" ")
        output.write(reply.status.reason)
        output.write("\r\nServer: swiftlet\r\n")
        if let type = reply.contentType {
            output.write("Content-Type: ")
            output.write(type)
            output.write("\r\n")
        }
        if let version = reply.version {
            output.write("ETag: \"")
            output.writeDecimal(version)
            output.write("\"\r\n")
        }
        if let allow = reply.allow {
            output.write("Allow: ")
            output.write(allow)
            output.write("\r\n")
        }
        // 204 carries no Content-Length (RFC 9110 §8.6).
        if reply.status.code != 204 {
            output.write("Content-Length: ")
            output.writeDecimal(UInt64(reply.body.count))
            output.write("\r\n")
        }
        if !keepAlive {
            output.write("Connection: close\r\n")
        } else if statesKeepAlive {
            output.write("Connection: keep-alive\r\n")
        }
        output.write("\r\n")
        if !head { output += reply.body }
    }
}
