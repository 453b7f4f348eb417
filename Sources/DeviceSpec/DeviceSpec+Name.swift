/// DeviceSpec+Name.swift — the device name rule (docs/DEVICES.md §1).

extension DeviceSpec {
    /// Why a name is not a device name.
    public enum NameProblem: Equatable {
        /// No characters.
        case empty
        /// A character other than `A-Z a-z 0-9 - _`.
        case badCharacter
        /// More than 31 characters, or more than 20 for a block device.
        case tooLong

        /// The reason, worded to follow "device name 'x' ".
        public func explanation(block: Bool) -> StaticString {
            switch self {
            case .empty: return "is empty"
            case .badCharacter: return "has a character other than A-Z a-z 0-9 - _"
            case .tooLong:
                return block ? "is longer than 20 characters (a block device's name must fit the virtio-blk serial)"
                             : "is longer than 31 characters"
            }
        }
    }

    /// What is wrong with `name` as a device name, or nil: 1–31 characters of `A-Z a-z 0-9 - _`, at most 20
    /// for a block device.
    public static func nameProblem(_ name: UnsafeBufferPointer<UInt8>, block: Bool) -> NameProblem? {
        if name.isEmpty { return .empty }
        for byte in name where !isNameByte(byte) { return .badCharacter }
        if name.count > (block ? maximumBlockNameLength : maximumNameLength) { return .tooLong }
        return nil
    }

    /// ``nameProblem(_:block:)`` for an array.
    public static func nameProblem(_ name: [UInt8], block: Bool) -> NameProblem? {
        name.withUnsafeBufferPointer { nameProblem($0, block: block) }
    }

    /// `A-Z a-z 0-9 - _`.
    public static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }
}
