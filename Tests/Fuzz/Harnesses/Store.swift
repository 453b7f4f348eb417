/// The store's on-disk decoding (`Sources/Store`): meta pages, tree pages (slots, cells, keys, child links),
/// overflow extents and commit digests, reached through the public API exactly as a unikernel opening a damaged or
/// hostile disk image would.
///
/// The image under test is a real store (formatted, two commits, a branch level and an overflow value: built once,
/// ``baseImage``) with the input's patches applied. Input: one control byte, then patches, each `u8 page, u16
/// offset (little-endian), u8 length, bytes`. Every patched page gets its CRC-32C filled again unless control bit 0
/// says not to, so mutations get past the checksums to the decoding behind them. The store is then opened, read
/// (`get`, `list`), checked, and with control bit 1 written to and checked again. Errors are expected; a trap is a
/// finding.
import Store
import _Concurrency

@_extern(c, "swiftlet_executor_run_until")
func swiftletExecutorRunUntil(
    _ condition: @convention(c) (UnsafeMutableRawPointer?) -> Bool, _ context: UnsafeMutableRawPointer?)

nonisolated(unsafe) var asyncDone = false

/// Runs `body` as a task on Runtime's executor until it returns (the store never waits on a real device here).
func runAsync(_ body: @escaping () async -> Void) {
    asyncDone = false
    Task {
        await body()
        asyncDone = true
    }
    swiftletExecutorRunUntil({ _ in asyncDone }, nil)
}

let storeBlockSize = 4096
let storePages = 32

func key(_ index: Int) -> [UInt8] { Array("key-\(index)".utf8) }

/// A store image: two commits (so both meta pages are valid and the newest one's digest is checked), enough keys
/// for a branch level, and one value in an overflow extent.
let baseImage: [UInt8] = {
    let device = MemoryStoreDevice(blockSize: storeBlockSize, blockCount: UInt64(storePages))
    runAsync {
        do throws(StoreError) {
            let store = try await KeyValueStore.format(device)
            var first = StoreBatch()
            for index in 0..<90 { first.set(key(index), [UInt8](repeating: UInt8(index), count: 40)) }
            _ = try await store.commit(first)
            var second = StoreBatch()
            second.set(Array("big".utf8), [UInt8](repeating: 0x42, count: 9000))
            second.remove(key(3))
            _ = try await store.commit(second)
            await store.close()
        } catch {
            fatalError("building the base store image failed: \(error)")
        }
    }
    return device.bytes
}()

/// CRC-32C (Castagnoli, reflected), one table: the store's own `CRC32C` is internal to its module.
let crc32cTable: [UInt32] = (0..<256).map { index in
    var crc = UInt32(index)
    for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    return crc
}

/// Fills the CRC-32C of page `index` (over bytes 4..<4096, stored little-endian at 0).
func sealPage(_ image: inout [UInt8], _ index: Int) {
    let start = index * storeBlockSize
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in image[(start + 4)..<(start + storeBlockSize)] {
        crc = crc32cTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
    }
    crc = ~crc
    for shift in 0..<4 { image[start + shift] = UInt8(truncatingIfNeeded: crc >> (8 * shift)) }
}

func fuzzStore(_ input: UnsafeRawBufferPointer) {
    guard let control = input.first else { return }
    var image = baseImage
    var patched = Set<Int>()
    var offset = 1
    while offset + 4 <= input.count {
        let page = Int(input[offset]) % storePages
        let at = (Int(input[offset + 1]) | Int(input[offset + 2]) << 8) % storeBlockSize
        let length = min(Int(input[offset + 3]), input.count - offset - 4, storeBlockSize - at)
        for index in 0..<length { image[page * storeBlockSize + at + index] = input[offset + 4 + index] }
        patched.insert(page)
        offset += 4 + length
    }
    if control & 1 == 0 {
        for page in patched { sealPage(&image, page) }
    }
    let device = MemoryStoreDevice(blockSize: storeBlockSize, copying: image)
    let writes = control & 2 != 0
    runAsync {
        do throws(StoreError) {
            let store = try await KeyValueStore.open(device)
            _ = try? await store.get(key(1))
            _ = try? await store.get(Array("big".utf8))
            _ = try? await store.list(prefix: [], after: nil, limit: 200)
            _ = try? await store.check()
            if writes {
                _ = try? await store.set(key(200), [1, 2, 3])
                _ = try? await store.remove(key(5))
                _ = try? await store.check()
            }
            await store.close()
        } catch {
            return
        }
    }
}
