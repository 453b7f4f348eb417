/// {{Name}}: a key-value service on a block device, over TCP port 7000 (boot argument `port=P`), one command per
/// line: `PUT key value` answers `OK <version>` once the value is durable, `GET key` answers `VALUE <value>` or
/// `NONE`. The store is formatted on first use. On a fresh disk file, rootless:
///
///     swiftlet store create data.img --size 16M
///     swiftlet run . --target posix --net service=passt:tcp=7000:7000 --block storage=data.img
///     printf 'PUT greeting hello\nGET greeting\n' | nc -q1 localhost 7000
import Net
import Runtime
import Store

/// Runs one command line against `store` and returns the reply line.
func execute<Device: StoreDevice>(_ line: [UInt8], on store: KeyValueStore<Device>) async -> String {
    let words = line.split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: true)
    let command = words.first.map { String(decoding: $0, as: UTF8.self) } ?? ""
    do throws(StoreError) {
        switch (command, words.count) {
        case ("PUT", 3):
            return "OK \(try await store.set(Array(words[1]), Array(words[2])))\n"
        case ("GET", 2):
            guard let value = try await store.get(Array(words[1])) else { return "NONE\n" }
            return "VALUE " + String(decoding: value, as: UTF8.self) + "\n"
        default:
            return "ERROR use PUT key value, or GET key\n"
        }
    } catch {
        return "ERROR \(error)\n"
    }
}

@main
struct {{Target}}App: TestableApplication {
    static func run(_ arguments: BootArguments) async -> Int32 {
        let store: KeyValueStore<BlockDeviceStore>
        do throws(StoreError) {
            let device: BlockDeviceStore
            do throws(StoreDeviceError) {
                device = try BlockDeviceStore.acquire("storage")
            } catch {
                print("{{Name}}: no block device 'storage' (run with --block storage=FILE)")
                return 2
            }
            do throws(StoreError) {
                store = try await KeyValueStore.open(device)
            } catch .notFormatted {
                print("{{Name}}: formatting 'storage'")
                store = try await KeyValueStore.format(device)
            }
        } catch {
            print("{{Name}}: cannot open the store: \(error)")
            return 1
        }
        let stack: NetworkStack
        do throws(NetworkStackError) {
            stack = try await NetworkStack.up(device: "service", bootArguments: arguments)
        } catch {
            print("{{Name}}: cannot bring up 'service': \(error)")
            return error.exitStatus
        }
        let port = UInt16(arguments.integer("port") ?? 7000)
        let listener: TCPListener
        do throws(TCPError) {
            listener = try TCPListener.listen(port: port, on: stack)
        } catch {
            print("{{Name}}: cannot listen on port \(port): \(error)")
            return 1
        }
        print("{{Name}}: serving \(stack.address.map { $0.description } ?? "?") port \(port)")
        _ = try? await listener.serve { connection in
            // Lines of at most 64 KiB; a connection idle for 60 s is closed.
            var input: [UInt8] = []
            while let bytes = try? await connection.read(timeout: .seconds(60)), !bytes.isEmpty {
                input += bytes
                while let end = input.firstIndex(of: UInt8(ascii: "\n")) {
                    var line = Array(input[..<end])
                    if line.last == UInt8(ascii: "\r") { line.removeLast() }
                    input.removeFirst(end + 1)
                    try? await connection.write(await execute(line, on: store), timeout: .seconds(10))
                }
                if input.count > 65536 { break }
            }
            connection.close()
        }
        return 1
    }
}
