/// Leveled logging for the libOS and apps: one line per message on the console, the same in dev and prod.
///
/// ```swift
/// let log = Log("kv")
/// log.info("serving on port \(port)")
/// log.debug("request \(id): \(bytes.count) bytes")   // nothing is built unless kv is at debug
/// ```
///
/// A line is `[<seconds>.<micro>] <level> <subsystem>: <message>`, e.g.
/// `[0.012345] info net: bound 10.0.0.2/24`, where the time is the monotonic clock since launch (the suite
/// runner masks it when it compares transcripts: a number of six or more digits becomes `#`). With the boot
/// argument `log.format=json` each line is one JSON object (RFC 8259) instead, for log shippers:
/// `{"time":0.012345,"level":"info","subsystem":"net","message":"bound 10.0.0.2/24"}`.
///
/// Levels are set per run by the boot argument `log` (``LogConfiguration``): `log=debug`, or
/// `log=net:debug,store:warning,info` (subsystem `net` at debug, `store` at warning, the rest at info). The default
/// is info. A message is an autoclosure: below its subsystem's level it costs one comparison (and, only when some
/// subsystem is more verbose than the default, a short byte comparison of subsystem names), never a String.
/// The boot arguments are read at the first use, not at launch: an image that never logs pays nothing for `Log`
/// (and a malformed `log=` ends the run at its first log line instead of before the app starts).
public struct Log {
    /// The subsystem every line of this log names (`net`, `store`, an app's name): ASCII letters, digits, `-`,
    /// `_` and `.`; a static string, so a log costs no allocation.
    public let subsystem: StaticString

    public init(_ subsystem: StaticString) { self.subsystem = subsystem }

    /// Whether a message at `level` would be written now.
    @inline(__always)
    public func isEnabled(_ level: LogLevel) -> Bool {
        guard level.rawValue <= Log.configuration.mostVerbose.rawValue else { return false }
        return level.rawValue <= Log.configuration.level(for: subsystem).rawValue
    }

    /// Something failed that the app or the operator must act on.
    @inline(__always)
    public func error(_ message: @autoclosure () -> String) { write(.error, message) }
    /// Something unexpected that was handled (dropped, retried, clamped).
    @inline(__always)
    public func warning(_ message: @autoclosure () -> String) { write(.warning, message) }
    /// A milestone of normal operation (an address bound, a store opened).
    @inline(__always)
    public func info(_ message: @autoclosure () -> String) { write(.info, message) }
    /// Detail for whoever debugs this subsystem.
    @inline(__always)
    public func debug(_ message: @autoclosure () -> String) { write(.debug, message) }

    /// Writes `message()` at `level` when enabled.
    @inline(__always)
    public func write(_ level: LogLevel, _ message: () -> String) {
        guard isEnabled(level) else { return }
        Log.emit(level, subsystem, message())
    }

    // MARK: - The process-wide configuration

    /// The levels and format in force: read from the boot arguments `log` and `log.format` at the first use (so an
    /// image that never logs links no parser), or set (tests swap it).
    public static var configuration: LogConfiguration {
        get {
            if let loaded { return loaded }
            return load()
        }
        set { loaded = newValue }
    }
    nonisolated(unsafe) private static var loaded: LogConfiguration? = nil
    /// Lines written so far, per level (error, warning, info, debug): metrics read them.
    nonisolated(unsafe) public private(set) static var linesWritten: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// Reads `log` and `log.format` from ``Runtime/arguments``; a setting that cannot be read ends the run with
    /// `swiftlet: bad log setting ...` and status 2, as a malformed boot argument does.
    @inline(never)
    private static func load() -> LogConfiguration {
        do throws(LogConfigurationError) {
            let configuration = try LogConfiguration(bootArguments: Runtime.arguments)
            loaded = configuration
            return configuration
        } catch {
            // Writes, not an interpolation: the same line for less code in every image that logs.
            Console.write("swiftlet: bad log setting '")
            Console.write(error.text)
            Console.write("': ")
            Console.writeLine(error.reason)
            ABI.exit(ExitStatus.usage)
        }
    }

    @inline(never)
    static func emit(_ level: LogLevel, _ subsystem: StaticString, _ message: String) {
        switch level {
        case .error: linesWritten.0 &+= 1
        case .warning: linesWritten.1 &+= 1
        case .info: linesWritten.2 &+= 1
        case .debug: linesWritten.3 &+= 1
        case .off: return
        }
        let elapsed = Instant.now - Runtime.launched
        write(level, subsystem, message, elapsedNanoseconds: elapsed.nanosecondsClamped, as: configuration.format) {
            putConsole($0)
        }
        putConsole(10)
    }

    /// ``Console/put(_:)`` out of line: `write` hands bytes from seventeen places, and LTO copied the console's
    /// buffering and flush into each (docs/BENCHMARKS.md, footprint). A log line is not a hot path.
    @inline(never)
    private static func putConsole(_ byte: UInt8) {
        Console.put(byte)
    }

    /// One line (without its newline) as `log` would write it; pure, for tests and for the host's alignment.
    public static func format(
        _ level: LogLevel, _ subsystem: StaticString, _ message: String, elapsedNanoseconds: Int64,
        as format: LogFormat
    ) -> String {
        var bytes: [UInt8] = []
        write(level, subsystem, message, elapsedNanoseconds: elapsedNanoseconds, as: format) { bytes.append($0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Hands the bytes of one line (without its newline) to `put`, one at a time: the console's own byte sink when
    /// logging, so a line is never built as a String (less code in every image that logs than String appends).
    static func write(
        _ level: LogLevel, _ subsystem: StaticString, _ message: String, elapsedNanoseconds: Int64,
        as format: LogFormat, _ put: (UInt8) -> Void
    ) {
        let json = format == .json
        putStatic(json ? "{\"time\":" : "[", put)
        putSeconds(max(elapsedNanoseconds, 0), put)
        putStatic(json ? ",\"level\":\"" : "] ", put)
        putStatic(level.staticName, put)
        putStatic(json ? "\",\"subsystem\":\"" : " ", put)
        subsystem.withUTF8Buffer { for byte in $0 { putEscaped(byte, json: json, put) } }
        putStatic(json ? "\",\"message\":\"" : ": ", put)
        StringBytes.with(message) { for byte in $0 { putEscaped(byte, json: json, put) } }
        if json { putStatic("\"}", put) }
    }

    private static func putStatic(_ text: StaticString, _ put: (UInt8) -> Void) {
        text.withUTF8Buffer { for byte in $0 { put(byte) } }
    }

    /// `12.000345`: whole seconds, a point, exactly six digits of microseconds.
    static func seconds(_ nanoseconds: Int64) -> String {
        var bytes: [UInt8] = []
        putSeconds(max(nanoseconds, 0)) { bytes.append($0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// ``seconds(_:)``'s digits, handed to `put`.
    static func putSeconds(_ nanoseconds: Int64, _ put: (UInt8) -> Void) {
        let micro = UInt64(nanoseconds) / 1000
        let whole = micro / 1_000_000
        var places = 1
        while places < 19 && whole >= power(places) { places += 1 }
        for place in stride(from: places - 1, through: 0, by: -1) { put(UInt8(whole / power(place) % 10) + 0x30) }
        put(0x2E)  // .
        let fraction = micro % 1_000_000
        for place in stride(from: 5, through: 0, by: -1) { put(UInt8(fraction / power(place) % 10) + 0x30) }
    }

    /// 10 to the `exponent` (0...19).
    private static func power(_ exponent: Int) -> UInt64 {
        var value: UInt64 = 1
        for _ in 0..<exponent { value &*= 10 }
        return value
    }

    /// `byte` as it is (`json` false), or as part of the inside of a JSON string: `"` and `\` escaped, control
    /// characters as `\n`, `\r`, `\t` or `\u00XX` (RFC 8259 §7).
    private static func putEscaped(_ byte: UInt8, json: Bool, _ put: (UInt8) -> Void) {
        guard json, byte < 0x20 || byte == 0x22 || byte == 0x5C else { return put(byte) }
        put(0x5C)
        switch byte {
        case 0x0A: put(0x6E)
        case 0x0D: put(0x72)
        case 0x09: put(0x74)
        case 0x22, 0x5C: put(byte)
        default:
            let hex: StaticString = "0123456789abcdef"
            put(0x75)
            put(0x30)
            put(0x30)
            hex.withUTF8Buffer { digits in
                put(digits[Int(byte >> 4)])
                put(digits[Int(byte & 15)])
            }
        }
    }
}

/// How much a subsystem logs. Each level includes the ones before it.
public enum LogLevel: UInt8, Sendable {
    /// Nothing at all (`log=off`).
    case off = 0
    case error = 1
    case warning = 2
    case info = 3
    case debug = 4

    /// ``name`` as a static string (what a log line writes).
    var staticName: StaticString {
        switch self {
        case .off: "off"
        case .error: "error"
        case .warning: "warning"
        case .info: "info"
        case .debug: "debug"
        }
    }

    /// The word used in boot arguments and in each line.
    public var name: String {
        staticName.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
    }

    /// The level named `word` (byte for byte), or nil. Compares UTF-8 bytes: `switch` on a String compares
    /// canonically equivalent strings, which links the stdlib's Unicode normalization tables (about 30 KiB).
    public init?(name word: String) {
        var level = LogLevel.debug
        while !word.utf8.elementsEqual(level.name.utf8) {
            guard level != .off, let less = LogLevel(rawValue: level.rawValue - 1) else { return nil }
            level = less
        }
        self = level
    }
}

/// What a log line looks like.
public enum LogFormat: Sendable {
    /// `[0.012345] info net: message`.
    case text
    /// One JSON object per line.
    case json
}

/// Levels per subsystem and the line format: the boot arguments `log` and `log.format`.
///
/// `log` is a comma-separated list; each item is a level (`error`, `warning`, `info`, `debug`, `off`), the default
/// for every subsystem, or `subsystem:level`. The last item for a subsystem wins.
public struct LogConfiguration {
    /// The level of subsystems not listed.
    public var defaultLevel: LogLevel = .info
    /// Subsystems with their own level, in the order given: each is the name's bytes, `:` and the level's raw
    /// value (a name holds neither `:` nor `,`). Bytes rather than an array of tuples: a new array element type in
    /// Runtime changes how the optimiser merges the array code every image uses (docs/OBSERVABILITY.md, "Cost").
    private var overrides: [UInt8] = []
    public var format: LogFormat = .text
    /// The most verbose level of any subsystem: the fast test every call makes first.
    public private(set) var mostVerbose: LogLevel = .info

    public init() {}

    /// The settings of the boot arguments `log` (levels) and `log.format` (`text` or `json`).
    /// - Throws: ``LogConfigurationError`` naming the value that cannot be read.
    public init(bootArguments arguments: BootArguments) throws(LogConfigurationError) {
        if let levels = arguments["log"] { try self.init(parsing: levels) } else { self.init() }
        if let format = arguments["log.format"] {
            if format.utf8.elementsEqual("text".utf8) {
                self.format = .text
            } else if format.utf8.elementsEqual("json".utf8) {
                self.format = .json
            } else {
                throw LogConfigurationError(text: format, reason: "log.format is text or json")
            }
        }
    }

    /// Parses the value of `log`.
    /// - Throws: ``LogConfigurationError`` naming the item that is not a level or `subsystem:level`.
    public init(parsing text: String) throws(LogConfigurationError) {
        mostVerbose = .off
        // Items by hand rather than with split(separator:): its array of slices would be a new array element type
        // in Runtime (see `overrides`).
        let bytes = Array(text.utf8)
        var itemStart = 0
        while itemStart <= bytes.count {
            var itemEnd = itemStart
            while itemEnd < bytes.count && bytes[itemEnd] != 0x2C { itemEnd += 1 }
            let item = bytes[itemStart..<itemEnd]
            itemStart = itemEnd + 1
            let word = String(decoding: item, as: UTF8.self)
            if let colon = item.firstIndex(of: 0x3A) {
                let name = item[item.startIndex..<colon]
                let levelWord = String(decoding: item[(colon + 1)...], as: UTF8.self)
                guard !name.isEmpty, let level = LogLevel(name: levelWord) else {
                    throw LogConfigurationError(text: word, reason: "expected subsystem:level")
                }
                overrides.append(contentsOf: name)
                overrides.append(0x3A)
                overrides.append(level.rawValue)
                if level.rawValue > mostVerbose.rawValue { mostVerbose = level }
            } else {
                guard let level = LogLevel(name: word) else {
                    throw LogConfigurationError(text: word, reason: "levels are error, warning, info, debug, off")
                }
                defaultLevel = level
            }
        }
        if defaultLevel.rawValue > mostVerbose.rawValue { mostVerbose = defaultLevel }
    }

    /// The level of `subsystem` (the last override naming it, else the default).
    public func level(for subsystem: StaticString) -> LogLevel {
        guard !overrides.isEmpty else { return defaultLevel }
        return subsystem.withUTF8Buffer { name in
            var level = defaultLevel
            var start = 0
            var index = 0
            while index < overrides.count {
                if overrides[index] == 0x3A {
                    if index - start == name.count && overrides[start..<index].elementsEqual(name) {
                        level = LogLevel(rawValue: overrides[index + 1]) ?? defaultLevel
                    }
                    index += 2
                    start = index
                } else {
                    index += 1
                }
            }
            return level
        }
    }
}

/// A `log` or `log.format` boot argument that cannot be read.
public struct LogConfigurationError: Error {
    /// The offending item.
    public var text: String
    /// What is expected instead.
    public var reason: String
}

extension Log {
    /// The libOS's own messages (executor, devices, block queues, metrics, profiler).
    public static let runtime = Log("runtime")
}
