/// Recovery from long silences: a 1 s link outage in the middle of a 10 MiB stream (the retransmission timer backs
/// off, RFC 6298 (5.5)) and a receiver that stops reading until its window is shut (zero-window probes with
/// back-off, RFC 1122 §4.2.2.17, and no give-up while they are answered).
import Net
import NetTesting
import Runtime

/// Whether each gap is about twice the one before (±10 %, RFC 6298 (5.5) "back off the timer"), or the ceiling.
private func doubles(_ gaps: [Int64], ceiling: Int64 = .max) -> Bool {
    for index in gaps.indices.dropFirst() {
        let expected = Swift.min(2 * gaps[index - 1], ceiling)
        if gaps[index] * 10 < expected * 9 || gaps[index] * 10 > expected * 11 { return false }
    }
    return true
}

func registerRecoveryTests(_ suite: inout TestSuite) {
    suite.test("recovery.ten-mebibytes-across-a-one-second-outage") { () throws(TestFailure) in
        let network = transferNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        let (client, server) = try connect(network, a, b)
        let flow = Flow(10 << 20, seed: 8, from: (a, client), to: (b, server))
        var outage: LinkOutage? = nil
        var timeoutsBefore = 0
        drive(network, [flow], within: .seconds(600), step: {
            // Halfway through, the link goes down for 1 s; what is sent around it is captured.
            if outage == nil && flow.received >= 5 << 20 {
                outage = LinkOutage(from: network.now, until: network.now + .seconds(1))
                network.link.outage(from: outage!.from, until: outage!.until)
                timeoutsBefore = a[client].counters.timeouts
                network.link.isCapturing = true
            }
            if let outage, network.link.isCapturing, network.now >= outage.until + .seconds(2) {
                network.link.isCapturing = false
            }
        })
        try flow.expectIntact("10 MiB client to server")
        let window = try unwrap(outage, "the outage began")
        let counters = a[client].counters
        try expect(network.link.faults.counters.outageLost > 0, "the outage dropped frames")
        try expectEqual(network.link.faults.counters.lost, 0, "no other loss")
        // The segment at SND.UNA when the link went down is sent again at each expiry: 0.2 s, 0.6 s and 1.4 s into
        // the outage with a 200 ms RTO, the third after the link is back.
        // A send is a retransmission when its data lies below the highest sequence number captured before it
        // (the head segment's first transmission may predate the capture).
        var resends: [UInt32: [Instant]] = [:]
        var highest: UInt32? = nil
        for (time, segment) in capturedSegments(network, from: a) where !segment.payload.isEmpty {
            let end = segment.header.sequenceNumber &+ UInt32(segment.payload.count)
            if let top = highest, Int32(bitPattern: end &- top) <= 0 {
                resends[segment.header.sequenceNumber, default: []].append(time)
            }
            if highest == nil || Int32(bitPattern: end &- highest!) > 0 { highest = end }
        }
        var head: (sequence: UInt32, times: [Instant]) = (0, [])
        for (sequence, times) in resends where times.count > head.times.count { head = (sequence, times) }
        let retransmissions = head.times
        let gaps = intervals(retransmissions)
        print("  outage: \(network.link.faults.counters) timeouts=\(counters.timeouts - timeoutsBefore)"
            + " head segment retransmitted at +"
            + numbers(retransmissions.map { ($0 - window.from).milliseconds }) + " ms, gaps " + numbers(gaps) + " ms")
        try expect(counters.timeouts - timeoutsBefore >= 3, "the timer expired at least 3 times")
        try expect(retransmissions.count >= 3, "the head segment went out again at each expiry")
        try expect(retransmissions.first! < window.until, "the first retransmission fell in the outage")
        try expect(retransmissions.last! >= window.until, "the last one after it")
        try expect(gaps.first! >= 2 * 200 * 9 / 10, "the first gap is at least twice the 200 ms floor")
        try expect(doubles(gaps), "each gap doubles the one before (RFC 6298 (5.5)): " + numbers(gaps))
        try expectEqual(a[client].closeReason == nil, true, "the connection was not given up")
    }
    suite.test("recovery.a-shut-window-is-probed-with-back-off-and-reopens") { () throws(TestFailure) in
        let network = transferNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        // The server sends to a client with a 256 KiB receive ring that stops reading after 2 MiB.
        let (client, server) = try connect(
            network, a, b, client: transferConfiguration(buffers: 256 * 1024), server: transferConfiguration())
        let flow = Flow(4 << 20, seed: 9, from: (b, server), to: (a, client))
        let capacity = 256 * 1024
        drive(
            network, [flow], within: .seconds(60),
            step: { if flow.received >= 2 << 20 { flow.isReading = false } },
            until: { !flow.isReading && a[client].receiveQueueCount == capacity })
        try expect(a[client].receiveQueueCount == capacity && flow.problem == nil,
            "the client's ring filled after 2 MiB: \(a[client].receiveQueueCount) bytes queued; \(flow.state)")
        // Fifteen minutes shut: more probes than maximumRetransmissions, each answered with a zero window.
        network.link.isCapturing = true
        let shutAt = network.now
        let answersBefore = a[client].counters.segmentsSent
        network.run(for: .seconds(15 * 60))
        network.link.isCapturing = false
        let probes = capturedSegments(network, from: b).filter { !$0.segment.payload.isEmpty }
        let gaps = intervals(probes.map { $0.time })
        let firstAt = ((probes.first?.time ?? shutAt) - shutAt).milliseconds
        print("  zero window: \(probes.count) probes in 15 min, first at +\(firstAt) ms"
            + " gaps " + numbers(gaps) + " ms")
        try expectEqual(b[server].state, .established, "the sender kept the connection")
        try expect(b[server].closeReason == nil, "and did not give up")
        try expect(probes.count > transferConfiguration().maximumRetransmissions,
            "more probes (\(probes.count)) than retransmissions allowed: answered probes do not count")
        try expect(probes.allSatisfy { $0.segment.payload.count == 1 }, "each probe carries one byte")
        // RFC 1122 §4.2.2.17: the first probe after one RTO (200 ms here, restarted by the last ACK), then "increase
        // exponentially the interval between successive probes", up to the 60 s RTO ceiling.
        let first = try unwrap(probes.first, "a probe").time - shutAt
        try expect(first <= .milliseconds(250), "first probe \(first.milliseconds) ms after the window shut")
        try expect(gaps.first! <= 450, "the probes started from the RTO, not a backed-off one: " + numbers(gaps))
        try expect(doubles(gaps, ceiling: 60_000), "probe gaps double up to the 60 s RTO ceiling: " + numbers(gaps))
        try expect(gaps.last! >= 59_000, "and reach it")
        try expect(a[client].counters.segmentsSent - answersBefore >= probes.count, "every probe was answered")
        try expectEqual(a[client].receiveQueueCount, capacity, "no probe byte was taken into a full ring")
        // The client reads again: its window update restarts the transfer at once, not at the next probe.
        let resumedAt = network.now
        flow.isReading = true
        network.link.isCapturing = true
        drive(network, [flow], within: .seconds(60))
        network.link.isCapturing = false
        try flow.expectIntact("4 MiB server to client")
        let resumed = capturedSegments(network, from: b).first { !$0.segment.payload.isEmpty && $0.time >= resumedAt }
        let restart = try unwrap(resumed, "data after the window opened").time - resumedAt
        try expect(restart < .seconds(1), "data flowed again \(restart) after the window opened")
    }
}
