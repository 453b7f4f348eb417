// Gets in a loop inside the actor: the store's own cost, without the host runtime's thread hop per call.
extension KeyValueStore {
    func benchGets(_ keys: [[UInt8]]) async throws(StoreError) -> Int {
        var hits = 0
        for k in keys { if try await get(k) != nil { hits += 1 } }
        return hits
    }
}
