/// Logs and metrics: level settings, the line formats, laziness below the level, and a Prometheus scrape of the
/// runtime's own figures (docs/OBSERVABILITY.md).
import Runtime

/// Counts how often a log message was built.
nonisolated(unsafe) var messagesBuilt = 0

func builtMessage(_ text: String) -> String {
    messagesBuilt += 1
    return text
}

/// The text of a scrape.
func scrape() async -> String {
    String(decoding: await Metrics.exposition(), as: UTF8.self)
}

/// The value of the sample line that starts with `prefix` + " ", or nil.
func sampleValue(_ exposition: String, _ prefix: String) -> Int? {
    for line in exposition.utf8.split(separator: 10) {
        let text = String(decoding: line, as: UTF8.self)
        guard text.utf8.count > prefix.utf8.count + 1, text.utf8.starts(with: (prefix + " ").utf8) else { continue }
        return Int(String(decoding: line.dropFirst(prefix.utf8.count + 1), as: UTF8.self))
    }
    return nil
}

func registerObservabilityTests(_ suite: inout TestSuite) {
    suite.test("log.levels-per-subsystem") { () throws(TestFailure) in
        let configuration: LogConfiguration
        do throws(LogConfigurationError) {
            configuration = try LogConfiguration(parsing: "net:debug,store:error,warning")
        } catch {
            throw TestFailure("rejected a good setting at '\(error.text)'")
        }
        try expect(configuration.level(for: "net") == .debug, "net is not at debug")
        try expect(configuration.level(for: "store") == .error, "store is not at error")
        try expect(configuration.level(for: "kv") == .warning, "the default is not warning")
        let saved = Log.configuration
        Log.configuration = configuration
        defer { Log.configuration = saved }
        try expect(Log("net").isEnabled(.debug), "net debug is off")
        try expect(!Log("kv").isEnabled(.info), "kv info is on")
        try expect(Log("kv").isEnabled(.warning), "kv warning is off")
        try expect(!Log("store").isEnabled(.warning), "store warning is on")
    }
    suite.test("log.rejects-bad-settings") { () throws(TestFailure) in
        for (text, item) in [("verbose", "verbose"), ("net:loud,info", "net:loud"), (":debug", ":debug"), ("", "")] {
            var rejected: String? = nil
            do throws(LogConfigurationError) {
                _ = try LogConfiguration(parsing: text)
            } catch {
                rejected = error.text
            }
            try expectEqual(rejected ?? "(accepted)", item, "rejected item of '\(text)'")
        }
    }
    suite.test("log.message-not-built-below-level") { () throws(TestFailure) in
        let saved = Log.configuration
        defer { Log.configuration = saved }
        do throws(LogConfigurationError) { Log.configuration = try LogConfiguration(parsing: "suite:error,info") } catch {
            throw TestFailure("rejected suite:error,info")
        }
        messagesBuilt = 0
        let log = Log("suite")
        for _ in 0..<1000 { log.debug(builtMessage("never")) }
        log.warning(builtMessage("never either"))
        try expectEqual(messagesBuilt, 0, "messages built below the level")
    }
    suite.test("log.text-and-json-lines") { () throws(TestFailure) in
        let text = Log.format(.warning, "net", "arp: conflict for 10.0.0.2", elapsedNanoseconds: 12_000_345_678,
                              as: .text)
        try expectEqual(text, "[12.000345] warning net: arp: conflict for 10.0.0.2", "text line")
        let json = Log.format(.info, "kv", "key \"a\\b\"\n\tnext\u{1}", elapsedNanoseconds: 1_500, as: .json)
        try expectEqual(json, #"{"time":0.000001,"level":"info","subsystem":"kv","message":"key \"a\\b\"\n\tnext\u0001"}"#,
                        "json line")
        // The host CLI's formatter (SwiftletKit/LogLine.swift) must give these same lines for the same input:
        // Tests/SwiftletTests/LogLineTests.swift finds each expected string here.
        let host = Log.format(.error, "swiftlet", "unknown app 'x'; give a sample name",
                              elapsedNanoseconds: 3_000_000_999, as: .text)
        try expectEqual(host, "[3.000000] error swiftlet: unknown app 'x'; give a sample name", "host-shaped line")
        // A real line on the console: the suite runner compares it between the modes, timestamp masked.
        Log("suite").info("a log line both modes print alike")
    }
    suite.test("metrics.runtime-families-in-a-scrape") { () async throws(TestFailure) in
        let text = await scrape()
        for line in ["# TYPE swiftlet_heap_in_use_bytes gauge", "# TYPE swiftlet_executor_jobs_total counter",
                     "# HELP swiftlet_executor_timers Armed timers (sleeps and deadlines).",
                     "# TYPE swiftlet_log_lines_total counter"] {
            try expect(text.utf8.split(separator: 10).contains { $0.elementsEqual(line.utf8) }, "no line '\(line)'")
        }
        let jobs = try unwrap(sampleValue(text, "swiftlet_executor_jobs_total"), "jobs sample")
        try expect(jobs > 0, "no jobs run")
        let infos = try unwrap(sampleValue(text, #"swiftlet_log_lines_total{level="info"}"#), "info lines")
        try expect(infos >= 1, "the suite's info line is not counted")
        try expect(text.utf8.last == 10, "the scrape does not end in a newline")
    }
    suite.test("metrics.heap-in-use-and-high-water") { () async throws(TestFailure) in
        // The numbers themselves are heap.statistics-count-an-allocation's; here: the scrape carries them.
        let block = UnsafeMutableRawPointer.allocate(byteCount: 4 << 20, alignment: 16)
        let during = Runtime.heapInUse()
        block.deallocate()
        let text = await scrape()
        let high = try unwrap(sampleValue(text, "swiftlet_heap_high_water_bytes"), "high-water sample")
        try expect(high >= during, "scraped high water \(high) below \(during)")
        let size = try unwrap(sampleValue(text, "swiftlet_heap_size_bytes"), "heap size sample")
        try expectEqual(size, Runtime.heapSize(), "heap size")
    }
    suite.test("metrics.app-collectors-labels-and-duplicates") { () async throws(TestFailure) in
        Metrics.register("suite") { writer in
            writer.family("swiftlet_suite_requests_total", .counter, help: "Requests, by route.")
            writer.sample("swiftlet_suite_requests_total", [("route", "/a \"b\"\\c\nd")], 7)
            writer.sample("swiftlet_suite_requests_total", [("route", "/")], UInt64(1) << 40)
            // A family written twice in one scrape is skipped the second time (a parser rejects duplicates).
            writer.family("swiftlet_suite_requests_total", .counter, help: "again")
            writer.sample("swiftlet_suite_requests_total", [("route", "/dup")], 1)
            writer.single("swiftlet_suite_temperature", .gauge, help: "Negative values too.", -3)
        }
        defer { Metrics.unregister("suite") }
        let text = await scrape()
        try expectEqual(sampleValue(text, #"swiftlet_suite_requests_total{route="/a \"b\"\\c\nd"}"#) ?? -1, 7, "escaped")
        try expectEqual(sampleValue(text, #"swiftlet_suite_requests_total{route="/"}"#) ?? -1, 1 << 40, "large")
        try expect(sampleValue(text, #"swiftlet_suite_requests_total{route="/dup"}"#) == nil, "duplicate family kept")
        try expectEqual(sampleValue(text, "swiftlet_suite_temperature") ?? 0, -3, "gauge")
        Metrics.unregister("suite")
        try expect(sampleValue(await scrape(), "swiftlet_suite_temperature") == nil, "unregistered collector ran")
    }
}
