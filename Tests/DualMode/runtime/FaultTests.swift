/// Fault tests: each must END the unikernel with a documented status, in both
/// modes, after a one-line report. The host runs each alone and checks the
/// status (see TestSuite's doc).
import Runtime

/// A value the optimiser cannot see through, so faulting accesses stay in the binary.
@inline(never)
func opaque(_ value: Int) -> Int {
    Runtime.arguments["swiftlet.never-set"] == nil ? value : 0
}

@inline(never)
func recurseForever(_ depth: Int) -> Int {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { frame in
        frame[0] = UInt8(truncatingIfNeeded: depth)
        if depth == Int.max { return 0 }
        return recurseForever(depth + 1) &+ Int(frame[opaque(0)])
    }
}

@inline(never)
func someFunction() -> Int { opaque(7) }

func registerFaultTests(_ suite: inout TestSuite) {
    suite.faultTest("memory.read-page-zero", expecting: ExitStatus.memoryFault) {
        let pointer = UnsafePointer<UInt64>(bitPattern: opaque(0x10))!
        print("read \(pointer.pointee)")
    }
    suite.faultTest("memory.write-to-text", expecting: ExitStatus.memoryFault) {
        let function: @convention(c) () -> Int = someFunction
        let text = unsafeBitCast(function, to: UnsafeMutablePointer<UInt8>.self)
        text[opaque(0)] = 0xCC
        print("wrote to text: \(someFunction())")
    }
    suite.faultTest("memory.execute-data", expecting: ExitStatus.memoryFault) {
        let code = UnsafeMutablePointer<UInt8>.allocate(capacity: 16)
        code.initialize(repeating: 0xC3, count: 16)  // `ret`
        let function = unsafeBitCast(code + opaque(0), to: (@convention(c) () -> Void).self)
        function()
        print("executed heap memory")
    }
    suite.faultTest("memory.stack-overflow-hits-the-guard", expecting: ExitStatus.memoryFault) {
        print("depth \(recurseForever(opaque(0)))")
    }
    suite.faultTest("trap.integer-overflow", expecting: ExitStatus.cpuTrap) {
        let big = Int.max - 1 + opaque(0)
        print("sum \(big + opaque(5))")
    }
    suite.faultTest("abort.runtime-abort", expecting: ExitStatus.abort) {
        Runtime.abort("requested by the test")
    }
}
