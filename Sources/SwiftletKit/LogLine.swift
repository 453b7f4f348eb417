import Foundation

/// The host side of the libOS's log line (`Sources/Runtime/Log.swift`, `Log.format`): the `swiftlet` command's own
/// messages have the same shape as an app's, so one reader (a person, `grep`, a log shipper) takes both.
///
///     [0.012345] info swiftlet: building hello for virtio...
///     {"time":0.012345,"level":"info","subsystem":"swiftlet","message":"building hello for virtio..."}
///
/// The time is seconds since the command started (six decimals, as the libOS's is since launch), then the level,
/// the subsystem and the message. `SWIFTLET_LOG_FORMAT=json` selects the JSON form (RFC 8259), as the boot argument
/// `log.format=json` does for an app. `LogLineTests` checks both forms against the strings the runtime suite's
/// `log.text-and-json-lines` checks the libOS formatter against, for the same input.
public enum LogLine {
    /// The levels, as the libOS names them.
    public enum Level: String, Sendable {
        case error, warning, info, debug
    }

    /// Text or JSON.
    public enum Format: Sendable {
        case text, json
    }

    /// The command's start: the zero of every line's time (set by ``markStart()``, else at the first line).
    nonisolated(unsafe) private static var start: UInt64?

    /// Makes now the zero of the lines' times; `main` calls it first.
    public static func markStart() {
        if start == nil { start = DispatchTime.now().uptimeNanoseconds }
    }

    /// The format `SWIFTLET_LOG_FORMAT` asks for (`json`, else text).
    public static var environmentFormat: Format {
        ProcessInfo.processInfo.environment["SWIFTLET_LOG_FORMAT"] == "json" ? .json : .text
    }

    /// A line for now (without its newline).
    public static func now(_ level: Level, _ subsystem: String, _ message: String) -> String {
        markStart()
        let elapsed = DispatchTime.now().uptimeNanoseconds &- (start ?? 0)
        return format(level, subsystem, message, elapsedNanoseconds: Int64(clamping: elapsed), as: environmentFormat)
    }

    /// One line as the libOS's `Log.format` writes it; pure.
    public static func format(
        _ level: Level, _ subsystem: String, _ message: String, elapsedNanoseconds: Int64, as format: Format
    ) -> String {
        let time = seconds(max(elapsedNanoseconds, 0))
        switch format {
        case .text:
            return "[\(time)] \(level.rawValue) \(subsystem): \(message)"
        case .json:
            return "{\"time\":\(time),\"level\":\"\(level.rawValue)\",\"subsystem\":\"\(jsonEscaped(subsystem))\","
                + "\"message\":\"\(jsonEscaped(message))\"}"
        }
    }

    /// `12.000345`: whole seconds, a point, exactly six digits of microseconds (truncated, as the libOS does).
    static func seconds(_ nanoseconds: Int64) -> String {
        let micro = nanoseconds / 1000
        let fraction = String(micro % 1_000_000)
        return "\(micro / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    /// The inside of a JSON string: `"` and `\` escaped, control characters as `\n`, `\r`, `\t` or `\u00XX`
    /// (RFC 8259 §7), the libOS's escaping byte for byte.
    static func jsonEscaped(_ value: String) -> String {
        var bytes: [UInt8] = []
        let hex = Array("0123456789abcdef".utf8)
        for byte in value.utf8 {
            switch byte {
            case 0x22: bytes += [0x5C, 0x22]
            case 0x5C: bytes += [0x5C, 0x5C]
            case 0x0A: bytes += [0x5C, 0x6E]
            case 0x0D: bytes += [0x5C, 0x72]
            case 0x09: bytes += [0x5C, 0x74]
            case 0..<0x20: bytes += [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
