/// trap: stops on a Swift runtime trap, so that its report can be read. Both modes end with
/// `swiftlet: cpu trap: invalid opcode ...` and exit 252 (SWIFTLET_EXIT_CPU_TRAP); the host names the trap from
/// the image's debug information (`swift runtime failure: arithmetic overflow`) and prints the backtrace with
/// function, file and line (docs/DEBUGGING.md §3). `kind=overflow` (the default), `kind=index` (an array read out
/// of range), `kind=nil` (a force unwrap of nil) or `kind=abort` (`Runtime.abort`) picks the failure.
import Runtime

@main
struct Trap: Application {
    static func run(_ arguments: BootArguments) async -> Int32 {
        let kind = arguments["kind"] ?? "overflow"
        // The boot arguments are what the optimiser cannot see through: `extra` is 0 unless `extra=` says otherwise.
        let extra = arguments["extra"].flatMap { Int($0) } ?? 0
        print("trap: \(kind)...")
        switch kind {
        case "overflow": print("trap: total \(Ledger.total([Int.max - 1, 1 + extra, 1]))")
        case "index": print("trap: entry \(Ledger.entry([1, 2, 3], at: 3 + extra))")
        case "nil": print("trap: first \(Ledger.first(extra == 0 ? nil : extra))")
        case "abort": Runtime.abort("trap: kind=abort")
        default:
            print("trap: unknown kind '\(kind)': use overflow, index, nil or abort")
            return 2
        }
        print("trap: no trap!")
        return 1
    }
}

/// Small functions that trap, kept out of line so each is a frame of its own in the backtrace.
enum Ledger {
    @inline(never)
    static func total(_ amounts: [Int]) -> Int {
        var sum = 0
        for amount in amounts { sum = add(sum, amount) }
        return sum
    }

    @inline(never)
    static func add(_ sum: Int, _ amount: Int) -> Int {
        sum + amount  // traps on overflow
    }

    @inline(never)
    static func entry(_ entries: [Int], at index: Int) -> Int {
        entries[index]  // traps when out of range
    }

    @inline(never)
    static func first(_ value: Int?) -> Int {
        value!  // traps on nil
    }
}
