/// The components together, as a connection would drive them: a sender (NewReno, the SACK scoreboard) and a
/// receiver (the out-of-order queue, its SACK blocks) over a lossless-but-for-chosen-drops FIFO link, one
/// segment at a time with ACK clocking, starting near the 2^32 wrap. Checks the recovery a known loss pattern
/// must produce: one fast retransmit, one partial ACK, no timeout, every byte delivered in order; and tail losses
/// that only the retransmission timeout can repair.
import Net
import Runtime

private let smss = 1000

/// The sender and receiver ends and the link between them.
private struct Path {
    var congestion = NewRenoCongestion(maximumSegmentSize: smss)
    var scoreboard: SACKScoreboard
    var receiver: OutOfOrderBuffer
    let start: SequenceNumber
    let total: Int
    var una: SequenceNumber
    var nxt: SequenceNumber
    var drops: [Int]  // segment indices lost on their first transmission
    var sentOnce: [Bool]
    var link: [SequenceNumber] = []
    var acks: [(SequenceNumber, [SACKBlock])] = []
    var delivered = 0
    var retransmissions = 0
    var timeouts = 0
    var actions: [NewRenoCongestion.Action] = []
    var holesAtFastRetransmit: [SACKBlock] = []
    var holesAtPartialAck: [SACKBlock] = []

    init(start: SequenceNumber, segments: Int, drops: [Int]) {
        self.start = start
        self.total = segments * smss
        self.una = start
        self.nxt = start
        self.drops = drops
        self.sentOnce = [Bool](repeating: false, count: segments)
        self.scoreboard = SACKScoreboard(sendUnacknowledged: start, maximumSegmentSize: smss)
        self.receiver = OutOfOrderBuffer(receiveNext: start, capacity: 1 << 20)
    }

    var flight: Int { self.nxt - self.una }

    mutating func sendNewData() {
        while self.nxt - self.start < self.total
            && self.congestion.usableWindow(receiverWindow: 1 << 20, flightSize: self.flight) >= smss
        {
            self.link.append(self.nxt)
            self.nxt += smss
        }
    }

    mutating func retransmit(_ sequence: SequenceNumber) {
        self.retransmissions += 1
        self.link.append(sequence)
    }

    /// The link delivers one segment to the receiver, which ACKs it with SACK blocks.
    mutating func deliverOne() {
        let sequence = self.link.removeFirst()
        let index = (sequence - self.start) / smss
        let first = !self.sentOnce[index]
        self.sentOnce[index] = true
        if first && self.drops.contains(index) { return }
        var payload = [UInt8](repeating: 0, count: smss)
        for offset in 0..<smss { payload[offset] = UInt8(truncatingIfNeeded: (sequence - self.start) + offset) }
        payload.withUnsafeBytes { raw in _ = self.receiver.insert(raw, at: sequence) }
        var out = [UInt8](repeating: 0, count: 1 << 16)
        while self.receiver.contiguousBytes > 0 {
            let count = out.withUnsafeMutableBytes { raw in self.receiver.read(into: raw) }
            for offset in 0..<count where out[offset] != UInt8(truncatingIfNeeded: self.delivered + offset) {
                self.delivered = -1_000_000  // marks corruption
            }
            self.delivered += count
        }
        self.acks.append((self.receiver.receiveNext, self.receiver.sackBlocks(maximum: 3)))
    }

    /// The sender takes one ACK.
    mutating func processAck() {
        let (ack, blocks) = self.acks.removeFirst()
        self.scoreboard.update(cumulativeAck: ack, blocks: blocks, sendNext: self.nxt)
        if ack > self.una {
            let acked = ack - self.una
            self.una = ack
            let action = self.congestion.onAck(bytesAcked: acked, ackNumber: ack, flightSize: self.flight)
            if action != .none {
                self.actions.append(action)
                self.holesAtPartialAck = self.scoreboard.holes(sendNext: self.nxt)
                self.retransmit(self.una)
            }
        } else if ack == self.una && self.flight > 0 {
            let action = self.congestion.onDuplicateAck(ackNumber: ack, flightSize: self.flight, sendNext: self.nxt)
            if action == .fastRetransmit {
                self.actions.append(action)
                self.holesAtFastRetransmit = self.scoreboard.holes(sendNext: self.nxt)
                self.retransmit(self.una)
            }
        }
        self.sendNewData()
    }

    mutating func run() {
        self.sendNewData()
        var steps = 0
        while self.una - self.start < self.total && steps < 10_000 {
            steps += 1
            if !self.acks.isEmpty {
                self.processAck()
            } else if !self.link.isEmpty {
                self.deliverOne()
            } else {
                // Nothing in flight reaches the receiver: the retransmission timer would fire.
                self.timeouts += 1
                self.congestion.onRetransmissionTimeout(flightSize: self.flight, sendNext: self.nxt)
                self.scoreboard.reset()
                self.retransmit(self.una)
            }
        }
    }
}

func registerSimulationTests(_ suite: inout TestSuite) {
    suite.test("simulation.two-losses-in-one-window-recover-with-one-partial-ack") { () throws(TestFailure) in
        var path = Path(start: seq(0xFFFF_F000), segments: 60, drops: [3, 7])
        path.run()
        try expectEqual(path.delivered, 60 * smss, "delivered in order")
        try expectEqual(path.timeouts, 0, "no timeout")
        try expectElements(
            path.actions, [.fastRetransmit, .retransmitAfterPartialAck(restartTimer: true)], "recovery actions")
        try expectEqual(path.retransmissions, 2, "exactly the two lost segments resent")
        try expectEqual(path.congestion.statistics.fullAcks, 1, "one full ACK ends recovery")
        try expect(!path.congestion.inRecovery, "out of recovery")
        let base = seq(0xFFFF_F000)
        try expectElements(
            Array(path.holesAtFastRetransmit.prefix(1)), [SACKBlock(start: base + 3000, length: 1000)],
            "the scoreboard's first hole at the third duplicate ACK")
        try expectElements(
            Array(path.holesAtPartialAck.prefix(1)), [SACKBlock(start: base + 7000, length: 1000)],
            "and at the partial ACK, the second loss")
    }
    suite.test("simulation.tail-losses-need-the-retransmission-timer") { () throws(TestFailure) in
        // The last two of three segments are lost: no duplicate ACKs can come, so each is resent by a timeout.
        var path = Path(start: seq(0), segments: 3, drops: [1, 2])
        path.run()
        try expectEqual(path.delivered, 3 * smss, "delivered")
        try expectEqual(path.timeouts, 2, "one timeout per lost tail segment")
        try expectEqual(path.actions.count, 0, "no fast retransmit")
        try expectEqual(path.congestion.slowStartThreshold, 2 * smss, "ssthresh floor")
    }
}
