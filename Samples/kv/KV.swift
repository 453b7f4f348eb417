/// kv: an HTTP key-value service on port 80 of the `service` NIC over a crash-safe store on the `storage` block
/// device. Data survives restarts, power cuts (an answered write is durable) and a switch between modes (the
/// on-disk format is the same). See ``KVService`` for the URL space and status codes.
///
///     ./swiftlet store create kv.img --size 64M
///     ./swiftlet run kv --target posix --net service=passt:tcp=8080:80 --block storage=kv.img
///     curl -X PUT --data-binary @file localhost:8080/kv/greeting; curl localhost:8080/kv/greeting
///
/// `GET /metrics` serves the stack's, the HTTP server's and the store's figures in the Prometheus text format.
///
/// Boot arguments: `ip=a.b.c.d/n`, `gw=a.b.c.d` (else DHCP), `port=P` (80), `format=1` formats a disk that holds no
/// store yet (never one that does), `cache=N` blocks of store cache (1024), `verbose=1` prints the stack's counters
/// every 5 s; the HTTP server's limits (``HTTPServerLimits/apply(_:)``): `idle=S` seconds a kept-alive connection may
/// wait (60), `header-timeout=S`, `write-timeout=S`, `connections=N` (240); bodies up to the store's value limit.
///
/// Exit statuses: 2 bad boot arguments or a disk that is not a store (create one, or boot with `format=1`), 3 the
/// store could not be opened (corrupt, wrong version, too small: the message says which), 1 the network failed.
import Net
import Runtime
import Store

@main
struct KV: TestableApplication {
    /// The sample's diagnostics (subsystem `kv`; `log=kv:debug` and the rest, docs/OBSERVABILITY.md).
    static let log = Log("kv")

    static func run(_ arguments: BootArguments) async -> Int32 {
        let device: BlockDevice
        do throws(ABIError) {
            device = try BlockDevice.acquire("storage")
        } catch {
            log.error("no block device 'storage' (run with --block storage=FILE)")
            return 2
        }
        var options = StoreOptions()
        if let blocks = arguments.integer("cache") {
            guard blocks >= 16 else {
                log.error("cache=\(blocks): give at least 16 blocks")
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
                log.error("'storage' holds no store: create one with `swiftlet store create FILE --size 64M`, or boot with format=1")
                return 2
            default:
                log.error("cannot open the store on 'storage': \(error)")
                return 3
            }
        }
        if await store.statistics.rolledBack {
            // Normal after a power cut during a commit (that commit was never acknowledged); also what damage to
            // the newest commit's pages looks like (docs/STORE.md §3), so say it rather than stay silent.
            log.warning("the store opened at the commit before an incomplete newest one (cut short before it was acknowledged, or its pages are damaged: `swiftlet store check` tells)")
        }
        var limits = HTTPServerLimits(maximumConnections: 240)
        limits.request.maximumBodyLength = StoreLimits.maximumValueLength
        limits.apply(arguments)
        let endpoint: HTTPEndpoint
        do throws(HTTPEndpointFailure) {
            endpoint = try await HTTPEndpoint.open("kv", arguments: arguments, limits: limits)
        } catch {
            return error.exitStatus
        }
        let stack = endpoint.stack
        let server = HTTPServer(router: routes(KVService(store: store)), limits: limits)
        server.serveMetrics(stack: stack)  // GET /metrics: the stack, the server and (below) the store
        store.registerMetrics(store: "storage")
        if arguments["verbose"] == "1" { stack.reportCounters(every: .seconds(5), label: "kv") }
        do throws(TCPError) {
            try await server.serve(on: endpoint.listener)
            return 0
        } catch {
            log.error("accept: \(error)")
            return 1
        }
    }

    /// The routes: `/stats` and everything under `/kv/` go to the service (``KVRoute`` decodes the rest); other
    /// paths are the library's 404, other methods its 405 with `Allow`.
    static func routes<Device: StoreDevice>(_ service: KVService<Device>) -> HTTPRouter {
        let handler: HTTPHandler = { request throws(HTTPError) in
            var head = request.head
            if request.method == .put {
                head.body = try await request.body.collect(upTo: StoreLimits.maximumValueLength)
            }
            return response(await service.respond(to: head))
        }
        var router = HTTPRouter()
        router.get("/stats", handler)
        router.get("/kv/*", handler)
        router.put("/kv/*", handler)
        router.delete("/kv/*", handler)
        return router
    }

    /// `reply` as the library's response (it adds the framing and leaves the body out for HEAD; a 204 has no
    /// `Content-Length`, RFC 9110 §8.6).
    static func response(_ reply: KVReply) -> HTTPServerResponse {
        var response = HTTPServerResponse(status: reply.status, contentType: reply.contentType, body: .bytes(reply.body))
        if let version = reply.version {
            var tag: [UInt8] = [UInt8(ascii: "\"")]
            tag.writeDecimal(version)
            tag.append(UInt8(ascii: "\""))
            response.addHeader("ETag", tag)
        }
        if let allow = reply.allow {
            var value: [UInt8] = []
            value.write(allow)
            response.addHeader("Allow", value)
        }
        return response
    }

    /// Opens the store on `device`; with `format`, formats it first when it holds no store (and only then).
    static func openStore<Device: StoreDevice>(_ device: Device, options: StoreOptions, format: Bool)
        async throws(StoreError) -> KeyValueStore<Device>
    {
        do throws(StoreError) {
            return try await KeyValueStore.open(device, options: options)
        } catch .notFormatted where format {
            log.info("formatting 'storage' (\(device.blockCount) blocks of \(device.blockSize) bytes)")
            return try await KeyValueStore.format(device, options: options)
        }
    }

}
