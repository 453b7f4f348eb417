import Runtime

/// IPv4 reassembly, a pure state machine: fragments in, whole datagrams out (RFC 791 §3.2 "Fragmentation and
/// Reassembly", with RFC 815's hole bookkeeping and RFC 1122 §3.3.2's limits).
///
/// The interface hands every fragment (MF set or a non-zero offset) to ``IPv4Reassembler/insert(header:payload:now:)``
/// and calls ``IPv4Reassembler/expire(now:)`` by ``IPv4Reassembler/nextExpiry``. Time is an argument; nothing here
/// reads a clock.
///
/// Rules, each counted in ``IPv4Reassembler/Statistics`` when it drops something:
///
/// - A datagram is keyed by (source, destination, protocol, identification) (RFC 791 §3.2 "the identification
///   field ... together with the source, destination, and protocol").
/// - Fragments arrive in any order. A fragment whose every byte is already held is a *duplicate*: it is dropped
///   and the datagram kept.
/// - **Overlaps.** A fragment that overlaps held bytes *with the same content* is accepted (its new bytes fill
///   holes: a path that refragmented a retransmission). A fragment whose overlapping bytes *differ* is a
///   conflicting overlap and the whole datagram is dropped, as RFC 5722 requires for IPv6 and Linux does for
///   IPv4 since 4.19: which copy is right cannot be known, and overlap tricks are an attack (RFC 1858 §4, RFC 3128).
/// - Every fragment but the last carries a multiple of 8 bytes (RFC 791 §3.2 "the data ... must be a multiple of
///   8 octets"); the last one (MF clear) fixes the length. A second last fragment with another end, or bytes
///   beyond that end, make the datagram malformed.
/// - Limits (``IPv4Reassembler/Limits``): bytes held over all datagrams, datagrams held at once, the reassembled
///   size (20-byte header + data ≤ 65535, RFC 791 §3.1 "Total Length"; larger is the "ping of death"), and the
///   reassembly timeout. Memory is one buffer per datagram sized to the highest fragment end seen so far, and
///   that size is what ``IPv4Reassembler/bytesHeld`` counts.
/// - When every slot is taken, a fragment of a new datagram evicts the oldest held datagram (the one nearest its
///   timeout), as Linux's LRU does: otherwise a burst of first fragments that never complete would block every
///   new fragmented datagram for a whole timeout (found by Tests/Interop/malformed.sh). Bytes work the same way:
///   when a fragment needs more bytes than are left, the oldest other datagrams are evicted until it fits, so one
///   spoofed fragment at offset ~65000 (which sizes its buffer to 64 KiB) cannot squat the whole budget until its
///   timeout; only a datagram that could not fit even alone is dropped itself.
///
/// The timeout is 30 s by default. RFC 1122 §3.3.2 recommends a fixed value "between 60 seconds and 120
/// seconds"; we follow Linux's `ipfrag_time` (30 s) instead, because with few slots a shorter hold frees them
/// sooner, and a fragment lost on a LAN is not coming back after 30 s anyway. ``IPv4Reassembler/Limits/timeout``
/// changes it.
public struct IPv4Reassembler {
    /// Bounds on what the reassembler holds.
    public struct Limits: Equatable {
        /// Bytes held over all datagrams (each datagram's buffer is sized to its highest fragment end).
        public var maximumBytes: Int
        /// Datagrams being reassembled at once.
        public var maximumDatagrams: Int
        /// The largest reassembled datagram, header (counted as 20 bytes) included; at most 65535.
        public var maximumDatagramLength: Int
        /// How long a datagram may wait for its missing fragments, from its first fragment's arrival.
        public var timeout: Duration

        /// Limits: by default 64 KiB held, 8 datagrams, 65535-byte datagrams, a 30-second timeout.
        public init(
            maximumBytes: Int = 65536, maximumDatagrams: Int = 8, maximumDatagramLength: Int = 65535,
            timeout: Duration = .seconds(30)
        ) {
            self.maximumBytes = maximumBytes
            self.maximumDatagrams = maximumDatagrams
            self.maximumDatagramLength = Swift.min(maximumDatagramLength, 65535)
            self.timeout = timeout
        }
    }

    /// What happened to fragments and datagrams, by outcome.
    public struct Statistics: Equatable, CustomStringConvertible {
        /// Datagrams completed and returned.
        public var reassembled = 0
        /// Fragments dropped because all their bytes were already held (the datagram is kept).
        public var duplicates = 0
        /// Datagrams dropped for a conflicting overlap (overlapping bytes that differ).
        public var overlaps = 0
        /// Fragments or datagrams dropped as malformed: a non-last fragment not a multiple of 8 bytes or empty,
        /// two different ends, or bytes past the end.
        public var malformed = 0
        /// Datagrams dropped because they would exceed ``Limits/maximumDatagramLength``.
        public var tooLong = 0
        /// Datagrams dropped because ``Limits/maximumBytes`` would be exceeded: older datagrams evicted to make room
        /// for a newer one's bytes, and datagrams that could not fit even alone.
        public var outOfMemory = 0
        /// Held datagrams evicted (oldest first) to make room for a new one when ``Limits/maximumDatagrams`` were held.
        public var outOfSlots = 0
        /// Datagrams dropped at ``Limits/timeout`` (RFC 1122 §3.3.2).
        public var timedOut = 0

        public init() {}

        public var description: String {
            "reassembled=\(self.reassembled) duplicates=\(self.duplicates) overlaps=\(self.overlaps)"
                + " malformed=\(self.malformed) too-long=\(self.tooLong) out-of-memory=\(self.outOfMemory)"
                + " out-of-slots=\(self.outOfSlots) timed-out=\(self.timedOut)"
        }
    }

    struct Key: Equatable {
        var source: IPv4Address
        var destination: IPv4Address
        var nextProtocol: UInt8
        var identification: UInt16

        init(_ header: IPv4Header) {
            self.source = header.source
            self.destination = header.destination
            self.nextProtocol = header.nextProtocol.rawValue
            self.identification = header.identification
        }
    }

    /// One datagram being reassembled: its bytes so far and which ranges of them arrived.
    struct Pending {
        var key: Key
        var deadline: Instant
        /// The data, sized to the highest fragment end seen; bytes outside ``received`` are zero.
        var data: [UInt8] = []
        /// Received byte ranges, sorted, disjoint and not adjacent (adjacent ones are merged): RFC 815's holes
        /// are the gaps between them.
        var received: [Range<Int>] = []
        /// The data length, once the last fragment (MF clear) arrived.
        var length: Int?
        /// The header of the fragment at offset 0, which becomes the reassembled header (RFC 791 §3.2).
        var first: IPv4Header?
    }

    /// The limits this reassembler enforces.
    public let limits: Limits
    /// Counters of completed datagrams and of every drop, by reason.
    public private(set) var statistics = Statistics()
    /// Bytes held over all datagrams being reassembled.
    public private(set) var bytesHeld = 0
    var pending: [Pending] = []

    /// An empty reassembler.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Datagrams being reassembled.
    public var datagramsHeld: Int { self.pending.count }

    /// When the oldest held datagram times out (call ``expire(now:)`` then), or `nil` when none is held.
    public var nextExpiry: Instant? {
        var earliest: Instant?
        for entry in self.pending where earliest == nil || entry.deadline < earliest! {
            earliest = entry.deadline
        }
        return earliest
    }

    /// Drops every datagram whose timeout has passed at `now`, counting each in ``Statistics/timedOut``.
    ///
    /// - Returns: how many were dropped.
    @discardableResult
    public mutating func expire(now: Instant) -> Int {
        self.expire(now: now) { _, _ in }
    }

    /// Drops every datagram whose timeout has passed at `now`, and reports each one whose first fragment had
    /// arrived, so that the interface can send ICMP Time Exceeded, code 1 "fragment reassembly time exceeded"
    /// (RFC 1122 §3.3.2: "if the timer runs out, the partially-reassembled datagram MUST be discarded and an
    /// ICMP Time Exceeded message sent to the source host (if fragment zero has been received)"; RFC 792 quotes
    /// the header and the first 64 bits of data).
    ///
    /// - Parameter report: called with the first fragment's header and up to its first 8 data bytes (borrowed for
    ///   the call).
    /// - Returns: how many were dropped.
    @discardableResult
    public mutating func expire(
        now: Instant, reporting report: (_ firstFragment: IPv4Header, _ firstBytes: UnsafeRawBufferPointer) -> Void
    ) -> Int {
        var dropped = 0
        var index = 0
        while index < self.pending.count {
            if self.pending[index].deadline <= now {
                if let first = self.pending[index].first {
                    let count = Swift.min(8, first.payloadLength, self.pending[index].data.count)
                    self.pending[index].data.withUnsafeBytes { data in
                        report(first, UnsafeRawBufferPointer(rebasing: data[0..<count]))
                    }
                }
                self.remove(at: index)
                dropped += 1
            } else {
                index += 1
            }
        }
        self.statistics.timedOut += dropped
        return dropped
    }

    /// Adds one fragment and returns the datagram when it is complete.
    ///
    /// Expired datagrams are dropped first (as ``expire(now:)``). A datagram that is not a fragment (MF clear,
    /// offset 0) is returned at once, copied.
    ///
    /// - Parameters:
    ///   - header: the fragment's parsed header (``IPv4Header/init(parsing:verifyingChecksum:)``).
    ///   - payload: the fragment's data, ``IPv4Packet/payload``; copied, not kept.
    ///   - now: the arrival time.
    /// - Returns: the reassembled datagram: the first fragment's header with MF clear, offset 0 and the whole
    ///   data length; the data in a new ``PacketBuffer``. `nil` while holes remain or when the fragment was
    ///   dropped (see ``statistics``).
    public mutating func insert(header: IPv4Header, payload: UnsafeRawBufferPointer, now: Instant)
        -> ReassembledDatagram?
    {
        self.expire(now: now)
        let start = Int(header.fragmentOffset)
        let end = start + payload.count
        if !header.moreFragments && start == 0 {
            var whole = header
            whole.payloadLength = payload.count
            return ReassembledDatagram(header: whole, payload: PacketBuffer(copying: payload))
        }
        let key = Key(header)
        var slot = self.pending.firstIndex { $0.key == key }
        if header.moreFragments && (payload.count == 0 || payload.count % 8 != 0) {
            self.statistics.malformed += 1
            return nil
        }
        if IPv4Packet.minimumHeaderLength + end > self.limits.maximumDatagramLength {
            if let slot { self.remove(at: slot) }
            self.statistics.tooLong += 1
            return nil
        }
        if slot == nil {
            if self.pending.count >= self.limits.maximumDatagrams, !self.pending.isEmpty {
                var oldest = 0
                for index in self.pending.indices where self.pending[index].deadline < self.pending[oldest].deadline {
                    oldest = index
                }
                self.remove(at: oldest)
                self.statistics.outOfSlots += 1
            }
            self.pending.append(Pending(key: key, deadline: now + self.limits.timeout))
            slot = self.pending.count - 1
        }
        let index = slot!
        return self.add(header: header, payload: payload, start: start, end: end, at: index)
    }

    private mutating func add(
        header: IPv4Header, payload: UnsafeRawBufferPointer, start: Int, end: Int, at slot: Int
    ) -> ReassembledDatagram? {
        var index = slot
        // The end: fixed by the last fragment; nothing may lie beyond it.
        var settledLength = false
        if !header.moreFragments {
            if let length = self.pending[index].length, length != end {
                return self.dropMalformed(at: index)
            }
            if let last = self.pending[index].received.last, last.upperBound > end {
                return self.dropMalformed(at: index)
            }
            settledLength = self.pending[index].length == nil
            self.pending[index].length = end
        } else if let length = self.pending[index].length, end > length {
            return self.dropMalformed(at: index)
        }

        // Overlaps: same bytes are fine, different bytes drop the datagram.
        var covered = 0
        for range in self.pending[index].received where range.overlaps(start..<end) {
            let lower = Swift.max(range.lowerBound, start)
            let upper = Swift.min(range.upperBound, end)
            for offset in lower..<upper where self.pending[index].data[offset] != payload[offset - start] {
                self.statistics.overlaps += 1
                self.remove(at: index)
                return nil
            }
            covered += upper - lower
        }
        if covered == end - start && !settledLength && (start != 0 || self.pending[index].first != nil) {
            self.statistics.duplicates += 1
            return nil
        }

        // Memory: grow the buffer to the fragment's end if the byte limit allows.
        let growth = Swift.max(0, end - self.pending[index].data.count)
        if growth > 0 {
            guard self.pending[index].data.count + growth <= self.limits.maximumBytes else {
                self.statistics.outOfMemory += 1
                self.remove(at: index)
                return nil
            }
            // Make room by evicting the oldest other datagrams (nearest their timeout), as for slots.
            while self.bytesHeld + growth > self.limits.maximumBytes {
                var oldest: Int? = nil
                for other in self.pending.indices where other != index {
                    if oldest == nil || self.pending[other].deadline < self.pending[oldest!].deadline { oldest = other }
                }
                guard let victim = oldest else { break }
                self.remove(at: victim)
                if victim < index { index -= 1 }
                self.statistics.outOfMemory += 1
            }
            self.pending[index].data.append(contentsOf: repeatElement(0, count: growth))
            self.bytesHeld += growth
        }
        if let base = payload.baseAddress, !payload.isEmpty {
            self.pending[index].data.withUnsafeMutableBytes { data in
                (data.baseAddress! + start).copyMemory(from: base, byteCount: payload.count)
            }
        }
        if start < end { self.pending[index].received.insertMerging(start..<end) }
        if header.fragmentOffset == 0 { self.pending[index].first = header }

        // Complete when the first fragment, the length and every byte up to it are here.
        guard let first = self.pending[index].first, let length = self.pending[index].length else { return nil }
        let received = self.pending[index].received
        guard length == 0 || (received.count == 1 && received[0] == 0..<length) else { return nil }
        var whole = first
        whole.moreFragments = false
        whole.fragmentOffset = 0
        whole.payloadLength = length
        let payload = self.pending[index].data.withUnsafeBytes { data in
            PacketBuffer(copying: UnsafeRawBufferPointer(rebasing: data[0..<length]))
        }
        self.remove(at: index)
        self.statistics.reassembled += 1
        return ReassembledDatagram(header: whole, payload: payload)
    }

    private mutating func dropMalformed(at index: Int) -> ReassembledDatagram? {
        self.statistics.malformed += 1
        self.remove(at: index)
        return nil
    }

    private mutating func remove(at index: Int) {
        self.bytesHeld -= self.pending[index].data.count
        self.pending.remove(at: index)
    }
}

/// A datagram put back together by ``IPv4Reassembler``.
public struct ReassembledDatagram {
    /// The first fragment's header with MF clear, offset 0 and ``IPv4Header/payloadLength`` the whole data.
    public var header: IPv4Header
    /// The whole data (the upper-layer packet), readable from index 0.
    public var payload: PacketBuffer

    /// A datagram of these parts.
    public init(header: IPv4Header, payload: PacketBuffer) {
        self.header = header
        self.payload = payload
    }
}

extension Array where Element == Range<Int> {
    /// Inserts `new` into sorted, disjoint, non-adjacent ranges, merging it with those it overlaps or touches.
    fileprivate mutating func insertMerging(_ new: Range<Int>) {
        var lower = new.lowerBound
        var upper = new.upperBound
        var index = 0
        while index < self.count && self[index].upperBound < lower { index += 1 }
        var last = index
        while last < self.count && self[last].lowerBound <= upper {
            lower = Swift.min(lower, self[last].lowerBound)
            upper = Swift.max(upper, self[last].upperBound)
            last += 1
        }
        self.replaceSubrange(index..<last, with: CollectionOfOne(lower..<upper))
    }
}
