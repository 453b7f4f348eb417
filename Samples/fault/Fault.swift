/// fault: dereferences a bad address. Both modes report it the same way
/// (`swiftlet: memory fault: read of unmapped page at 0x...`) and exit with
/// the memory-fault status, 254. `address=0x...` picks another address.
import Runtime

@main
struct Fault: Application {
    static func run(_ arguments: BootArguments) async -> Int32 {
        var address = 0x8
        if let text = arguments["address"] {
            let digits = text.hasPrefix("0x") ? String(text.dropFirst(2)) : text
            guard let parsed = UInt(digits, radix: 16).map({ Int(bitPattern: $0) }) else {
                print("fault: address '\(text)' is not a hexadecimal number")
                return 2
            }
            address = parsed
        }
        print("fault: reading 8 bytes at address \(address)...")
        guard let pointer = UnsafePointer<UInt64>(bitPattern: address) else {
            print("fault: address 0 cannot be formed as a pointer; use address=0x8")
            return 2
        }
        print("fault: read \(pointer.pointee): no fault!")
        return 1
    }
}
