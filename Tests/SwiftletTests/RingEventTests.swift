import XCTest

/// The event-index rule of VIRTIO_F_RING_EVENT_IDX (virtio 1.2 §2.7.10.1), as the virtio driver runs it:
/// `Linked/RingEvent.swift` is a link to Sources/Platform/Virtio/RingEvent.swift, compiled here unchanged. A wrong
/// rule loses notifications (the unikernel stalls until a timer) or sends needless ones; these tests pin it down
/// against a plain reading of the spec, including where the 16-bit indexes wrap.
final class RingEventTests: XCTestCase {
    /// The spec in words: the batch (old, new] published the entry after `event`, that is, `event` is one of
    /// old, old + 1, ..., new − 1 (mod 2^16).
    func reference(event: UInt16, new: UInt16, old: UInt16) -> Bool {
        var index = old
        while index != new {
            if index == event { return true }
            index &+= 1
        }
        return false
    }

    func testTheRuleAgainstTheSpecAcrossTheWrap() {
        // Batches of 0 to 300 entries starting around 0, the middle and the wrap, every event near them.
        for old: UInt16 in [0, 1, 255, 256, 32767, 32768, 65000, 65534, 65535] {
            for count in 0...300 {
                let new = old &+ UInt16(count)
                for offset in -3...303 {
                    let event = old &+ UInt16(truncatingIfNeeded: offset)
                    XCTAssertEqual(RingEvent.needsEvent(event: event, new: new, old: old),
                                   reference(event: event, new: new, old: old),
                                   "event \(event) new \(new) old \(old)")
                }
            }
        }
    }

    func testWrapExamples() {
        // The device asked at 0xFFFF; the driver published 0xFFFE → 0x0002: it must notify.
        XCTAssertTrue(RingEvent.needsEvent(event: 0xFFFF, new: 0x0002, old: 0xFFFE))
        XCTAssertTrue(RingEvent.needsEvent(event: 0x0001, new: 0x0002, old: 0xFFFE))
        // Asked at the new index itself: not yet (that entry is not published).
        XCTAssertFalse(RingEvent.needsEvent(event: 0x0002, new: 0x0002, old: 0xFFFE))
        // Asked before this batch: told already by an earlier one.
        XCTAssertFalse(RingEvent.needsEvent(event: 0xFFFD, new: 0x0002, old: 0xFFFE))
        // Nothing published: never.
        XCTAssertFalse(RingEvent.needsEvent(event: 7, new: 7, old: 7))
    }

    /// A suppressed queue cannot interrupt while at most `size` chains are in flight, and can once the device
    /// passes that (after the driver took entries without suppressing again).
    func testSuppressedUsedEventHoldsForAWholeRing() {
        for size in [4, 256, 32768] {
            for lastUsed: UInt16 in [0, 100, 65535 - 10, 65535] {
                let event = RingEvent.suppressed(lastUsed: lastUsed, size: size)
                for step in stride(from: 0, through: size, by: max(1, size / 64)) {
                    let new = lastUsed &+ UInt16(truncatingIfNeeded: step)
                    for back in [0, 1, step] where back <= step {
                        XCTAssertFalse(RingEvent.needsEvent(event: event, new: new, old: new &- UInt16(back)),
                                       "size \(size) lastUsed \(lastUsed) new \(new)")
                    }
                }
                let past = lastUsed &+ UInt16(truncatingIfNeeded: size + 1)
                XCTAssertTrue(RingEvent.needsEvent(event: event, new: past, old: past &- 1))
            }
        }
    }

    /// Driver and device over 200,000 entries (three wraps): the device asks to be told at its position each time
    /// it runs dry (QEMU's avail_event = last_avail_idx), the driver publishes random batches and kicks by the rule.
    /// Every batch that finds the device dry must notify, and no other.
    func testNoLostNotificationOverTheWrap() {
        var generator = SystemRandomNumberGenerator()
        var availIndex: UInt16 = 0
        var kicked: UInt16 = 0
        var deviceTaken: UInt16 = 0
        var availEvent: UInt16 = 0
        var published = 0
        while published < 200_000 {
            let batch = Int.random(in: 1...40, using: &generator)
            let deviceWasDry = deviceTaken == availIndex
            availIndex &+= UInt16(batch)
            published += batch
            let notify = RingEvent.needsEvent(event: availEvent, new: availIndex, old: kicked)
            kicked = availIndex
            XCTAssertEqual(notify, deviceWasDry, "at \(published)")
            // The device takes some or all of what is there; when it ran dry it asks again at its position.
            let take = Int.random(in: 0...Int(availIndex &- deviceTaken), using: &generator)
            deviceTaken &+= UInt16(take)
            if deviceTaken == availIndex { availEvent = deviceTaken }
        }
    }
}
