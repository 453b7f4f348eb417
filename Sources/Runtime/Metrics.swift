/// One registry of counters and gauges, rendered in the Prometheus text exposition format (version 0.0.4).
///
/// The registry holds *collectors*: functions that read figures the libOS and the app already keep (the heap's
/// bytes, the executor's queues, a network stack's counters, a store's statistics) and write them when a scrape
/// asks, so a metric costs nothing between scrapes. Runtime's own come first in every scrape (`RuntimeMetrics`: no
/// registration, so an image that never scrapes links none of this); `Net` registers a stack's when the app calls `stack.registerMetrics()`; `Store` a store's
/// (`BlockDeviceStore.registerMetrics(of:)`). An app adds its own with ``Metrics/register(_:_:)``.
///
/// ```swift
/// let body = await Metrics.exposition()          // the bytes of GET /metrics (Content-Type: Metrics.contentType)
/// await Metrics.print()                          // or on the console, on demand
/// ```
///
/// The format (Prometheus "Exposition formats", text format 0.0.4): per family, `# HELP name text` and
/// `# TYPE name counter|gauge`, then one line per sample, `name{label="value",...} value`; names are
/// `swiftlet_<area>_<what>`, counters end in `_total`, label values escape `\`, `"` and newline.
public enum Metrics {
    /// The HTTP Content-Type of ``exposition()``.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Writes metric families into a scrape.
    public typealias Collector = (inout MetricsWriter) async -> Void

    /// One registered collector. A list of nodes rather than an array of tuples: a new array element type in
    /// Runtime changes how the optimiser merges the array code every image uses (docs/OBSERVABILITY.md, "Cost").
    final class Registration {
        let name: String
        var collect: Collector
        var next: Registration?

        init(name: String, collect: @escaping Collector, next: Registration?) {
            self.name = name
            self.collect = collect
            self.next = next
        }
    }

    /// The collectors, in registration order.
    nonisolated(unsafe) static var registrations: Registration? = nil

    /// Adds `collector` under `name`, replacing the collector registered under that name before (so registering
    /// twice is harmless). Names are only for replacement; they do not appear in the output.
    public static func register(_ name: String, _ collector: @escaping Collector) {
        var last: Registration? = nil
        var node = registrations
        while let current = node {
            if current.name.utf8.elementsEqual(name.utf8) {
                current.collect = collector
                return
            }
            last = current
            node = current.next
        }
        let added = Registration(name: name, collect: collector, next: nil)
        if let last { last.next = added } else { registrations = added }
    }

    /// Removes the collector registered under `name`, if any.
    public static func unregister(_ name: String) {
        var previous: Registration? = nil
        var node = registrations
        while let current = node {
            if current.name.utf8.elementsEqual(name.utf8) {
                if let previous { previous.next = current.next } else { registrations = current.next }
                return
            }
            previous = current
            node = current.next
        }
    }

    /// Appends a whole scrape (Runtime's figures, then every collector in registration order) to `buffer`.
    public static func render(into buffer: inout [UInt8]) async {
        var writer = MetricsWriter(bytes: buffer)
        buffer = []
        RuntimeMetrics.collect(&writer)
        var node = registrations
        while let current = node {
            await current.collect(&writer)
            node = current.next
        }
        buffer = writer.bytes
    }

    /// A whole scrape as bytes: the body of a `/metrics` response.
    public static func exposition() async -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4096)
        await render(into: &bytes)
        return bytes
    }

    /// Writes a scrape to the console between `# swiftlet-metrics begin` and `# swiftlet-metrics end` lines
    /// (comments to a Prometheus parser), so that a host can cut it out of the console output.
    public static func print() async {
        let bytes = await exposition()
        Console.writeLine("# swiftlet-metrics begin")
        for byte in bytes { Console.put(byte) }
        Console.writeLine("# swiftlet-metrics end")
    }
}

/// Builds the text of a scrape: one family at a time, its samples right after its `HELP` and `TYPE` lines.
public struct MetricsWriter {
    /// What a family's samples are.
    public enum Kind {
        /// Only goes up (restarts at 0 with the unikernel); the name ends in `_total`.
        case counter
        /// Goes up and down.
        case gauge
    }

    /// The exposition so far.
    public private(set) var bytes: [UInt8]
    /// The names of the families already written, each followed by a newline (a family may appear once per
    /// scrape; a second is skipped whole).
    private var families: [UInt8] = []
    private var skipping = false

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// Starts family `name`; the samples that follow belong to it. Returns false, and ignores samples until the
    /// next family, when `name` was written already in this scrape.
    @discardableResult
    public mutating func family(_ name: StaticString, _ kind: Kind, help: StaticString) -> Bool {
        if name.withUTF8Buffer({ written($0) }) {
            skipping = true
            return false
        }
        name.withUTF8Buffer { families.append(contentsOf: $0) }
        families.append(0x0A)
        skipping = false
        append("# HELP ")
        append(name)
        bytes.append(0x20)
        append(help)
        append("\n# TYPE ")
        append(name)
        append(kind == .counter ? " counter\n" : " gauge\n")
        return true
    }

    /// One sample of the current family: `name{labels} value`.
    public mutating func sample(_ name: StaticString, _ labels: [(StaticString, String)] = [], _ value: Int) {
        guard begin(name, labels) else { return }
        appendDecimal(value)
        bytes.append(0x0A)
    }

    /// One sample with an unsigned value.
    public mutating func sample(_ name: StaticString, _ labels: [(StaticString, String)] = [], _ value: UInt64) {
        guard begin(name, labels) else { return }
        if value > UInt64(Int.max) {
            bytes.append(contentsOf: String(value).utf8)
        } else {
            appendDecimal(Int(value))
        }
        bytes.append(0x0A)
    }

    /// One sample written as decimal text (`12.000345`): for values with a fraction, which Embedded Swift cannot
    /// print from a `Double`.
    public mutating func sample(_ name: StaticString, _ labels: [(StaticString, String)] = [], text: String) {
        guard begin(name, labels) else { return }
        bytes.append(contentsOf: text.utf8)
        bytes.append(0x0A)
    }

    /// Samples of the current family whose label `label` takes, in order, the comma-separated values of `values`
    /// (plain names such as `malformed,not_for_us`, written as they are), with `numbers` in the same order (a
    /// value without a number is left out); each sample carries `fixed` as its first label when given
    /// (`interface="service"`). One call per family instead of one ``sample(_:_:_:)`` per value: a family of many
    /// samples costs a table, not code per sample.
    public mutating func samples(
        _ name: StaticString, fixed: (StaticString, String)? = nil, label: StaticString, values: StaticString,
        _ numbers: [Int]
    ) {
        guard !skipping else { return }
        values.withUTF8Buffer { list in
            var index = 0
            var start = 0
            while start < list.count && index < numbers.count {
                var end = start
                while end < list.count && list[end] != 0x2C { end += 1 }
                append(name)
                bytes.append(0x7B)  // {
                if let fixed {
                    appendLabel(fixed.0, fixed.1)
                    bytes.append(0x2C)
                }
                append(label)
                bytes.append(contentsOf: [0x3D, 0x22])  // ="
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: list[start..<end]))
                bytes.append(contentsOf: [0x22, 0x7D, 0x20])  // "}
                appendDecimal(numbers[index])
                bytes.append(0x0A)
                index += 1
                start = end + 1
            }
        }
    }

    /// A family with a single unlabelled sample.
    public mutating func single(_ name: StaticString, _ kind: Kind, help: StaticString, _ value: Int) {
        family(name, kind, help: help)
        sample(name, [], value)
    }

    /// A family with a single unlabelled unsigned sample.
    public mutating func single(_ name: StaticString, _ kind: Kind, help: StaticString, _ value: UInt64) {
        family(name, kind, help: help)
        sample(name, [], value)
    }

    /// Whether `key` is one of ``families``' lines.
    private func written(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        var start = 0
        for index in families.indices where families[index] == 0x0A {
            if index - start == key.count {
                var same = true
                for offset in 0..<key.count where families[start + offset] != key[offset] { same = false; break }
                if same { return true }
            }
            start = index + 1
        }
        return false
    }

    private mutating func begin(_ name: StaticString, _ labels: [(StaticString, String)]) -> Bool {
        guard !skipping else { return false }
        append(name)
        if !labels.isEmpty {
            bytes.append(0x7B)  // {
            for (index, label) in labels.enumerated() {
                if index > 0 { bytes.append(0x2C) }
                appendLabel(label.0, label.1)
            }
            bytes.append(0x7D)  // }
        }
        bytes.append(0x20)
        return true
    }

    /// `key="value"`, the value with `\`, `"` and newline escaped.
    private mutating func appendLabel(_ key: StaticString, _ value: String) {
        append(key)
        bytes.append(contentsOf: [0x3D, 0x22])  // ="
        for byte in value.utf8 {
            switch byte {
            case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
            case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
            default: bytes.append(byte)
            }
        }
        bytes.append(0x22)
    }

    private mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func appendDecimal(_ value: Int) {
        if value < 0 { bytes.append(0x2D) }
        var magnitude = value.magnitude
        if magnitude == 0 {
            bytes.append(0x30)
            return
        }
        var scratch = [UInt8](repeating: 0, count: 20)
        var count = 0
        while magnitude > 0 {
            scratch[count] = UInt8(magnitude % 10) + 0x30
            magnitude /= 10
            count += 1
        }
        while count > 0 {
            count -= 1
            bytes.append(scratch[count])
        }
    }
}
