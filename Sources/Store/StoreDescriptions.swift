/// One-line descriptions of the store's errors and statistics (written by hand: Embedded Swift has no reflection).

extension StoreError: CustomStringConvertible {
    /// The case's name, e.g. `full` or `corrupt(block: 7)`: what tests and logs print.
    public var name: String {
        switch self {
        case .invalidKey: "invalidKey"
        case .valueTooLarge: "valueTooLarge"
        case .full: "full"
        case .notFormatted: "notFormatted"
        case .unsupportedVersion(let version): "unsupportedVersion(\(version))"
        case .deviceTooSmall: "deviceTooSmall"
        case .corrupt(let block): "corrupt(block: \(block))"
        case .conflict: "conflict"
        case .io: "io"
        case .closed: "closed"
        }
    }

    /// One line for people: what went wrong and the limit involved.
    public var description: String {
        switch self {
        case .invalidKey: "invalid key (keys are 1-\(StoreLimits.maximumKeyLength) bytes)"
        case .valueTooLarge: "value too large (at most \(StoreLimits.maximumValueLength) bytes)"
        case .full: "the store is full"
        case .notFormatted: "not a Swiftlet store (no valid meta page)"
        case .unsupportedVersion(let version):
            "unsupported store format version \(version) (this build reads \(StoreLimits.formatVersion))"
        case .deviceTooSmall: "the device is too small for a store (at least \(StoreLimits.minimumPages) pages)"
        case .corrupt(let block): "corrupt block \(block) (checksum or structure check failed)"
        case .conflict: "version conflict (compare-and-set failed)"
        case .io: "the device failed; the store takes no more writes until reopened"
        case .closed: "the store is closed"
        }
    }
}

extension StoreStatistics: CustomStringConvertible {
    public var description: String {
        "store tx=\(transaction) keys=\(keys) commits=\(commits) requests=\(requests) flushes=\(flushes)"
            + " cache hit=\(cacheHits) miss=\(cacheMisses) reads=\(deviceReads) writes=\(deviceWrites)"
            + " pages used=\(pagesUsed) free=\(pagesFree) of \(pages) height=\(height)" + (failed ? " FAILED" : "")
            + (rolledBack ? " (opened at the commit before an incomplete newest one)" : "")
    }
}
