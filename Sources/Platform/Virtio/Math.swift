/// Math.swift — the libm functions the Swift stdlib links against (`ceil`, for
/// Dictionary/Set capacity). Written without `rounded(.up)`, which LLVM lowers
/// to a call to `ceil` itself on x86-64 without SSE4.1.

@_cdecl("ceil")
public func virtio_ceil(_ x: Double) -> Double {
    // |x| ≥ 2⁵² is already integral (and NaN/±inf pass through unchanged).
    guard x.magnitude < 4_503_599_627_370_496.0 else { return x }
    let truncated = Double(Int64(x))
    let up = truncated < x ? truncated + 1 : truncated
    return up == 0 && x.sign == .minus ? -0.0 : up
}
