/// {{Name}}'s tests, over an in-memory store: `swiftlet test . --net service=echo --block storage=temp:1M` runs them
/// in dev and prod and compares the transcripts (the manifest's devices need backends even though no test uses them).
import Runtime
import Store

extension {{Target}}App {
    static func tests(_ suite: inout TestSuite) {
        suite.test("put-get") { () async throws(TestFailure) in
            let store: KeyValueStore<MemoryStoreDevice>
            do throws(StoreError) {
                store = try await KeyValueStore.format(MemoryStoreDevice(blockSize: 4096, blockCount: 64))
            } catch {
                throw TestFailure("format: \(error)")
            }
            try expectEqual(await execute(Array("GET greeting".utf8), on: store), "NONE\n", "missing key")
            try expect(await execute(Array("PUT greeting hello world".utf8), on: store).hasPrefix("OK "), "put")
            try expectEqual(await execute(Array("GET greeting".utf8), on: store), "VALUE hello world\n", "value")
            try expect(await execute(Array("DROP x".utf8), on: store).hasPrefix("ERROR"), "unknown command")
        }
    }
}
