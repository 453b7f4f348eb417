/// DeviceSpec+Settings.swift — splitting `NAME=BACKEND,key=value,...` and the `,,` escape (docs/DEVICES.md §2).
///
/// As in QEMU's option syntax, commas separate settings and a doubled comma is a literal comma, so a path may
/// contain commas. The CLI escapes every path it hands to the tender or QEMU with ``escapeSetting(_:)``; the
/// tender and the CLI split with ``splitSettings(_:)``.

extension DeviceSpec {
    /// Splits at single commas; `,,` is a literal comma. Always at least one (maybe empty) field.
    public static func splitSettings(_ text: [UInt8]) -> [[UInt8]] {
        var fields: [[UInt8]] = [[]]
        var index = 0
        while index < text.count {
            let byte = text[index]
            if byte == UInt8(ascii: ",") {
                if index + 1 < text.count && text[index + 1] == UInt8(ascii: ",") {
                    fields[fields.count - 1].append(byte)
                    index += 2
                    continue
                }
                fields.append([])
            } else {
                fields[fields.count - 1].append(byte)
            }
            index += 1
        }
        return fields
    }

    /// `value` with every comma doubled, so ``splitSettings(_:)`` gives it back as one field.
    public static func escapeSetting(_ value: [UInt8]) -> [UInt8] {
        var escaped: [UInt8] = []
        escaped.reserveCapacity(value.count)
        for byte in value {
            escaped.append(byte)
            if byte == UInt8(ascii: ",") { escaped.append(byte) }
        }
        return escaped
    }
}
