/// RTC.swift — the wall clock: the CMOS real-time clock, read once at boot.
///
/// MC146818 registers through index port 0x70 / data port 0x71 (bit 7 of the
/// index also masks NMI; we keep it set): seconds 0x00, minutes 0x02, hours
/// 0x04, day 0x07, month 0x08, year 0x09, status A 0x0A (bit 7: update in
/// progress), status B 0x0B (bit 2: binary, else BCD; bit 1: 24-hour, else
/// 12-hour with bit 7 of the hour meaning PM), century 0x32 (ACPI FADT's
/// default). We wait for UIP to clear and read until two reads agree, so a
/// second rolling over mid-read cannot tear the value. Wall time is then
/// `boot RTC + monotonic elapsed`, so it never jumps.

import VirtioHW

enum RTC {
    /// Unix time in ns at monotonic time `monotonicAtRead`.
    static var wallAtRead: UInt64 = 0
    static var monotonicAtRead: UInt64 = 0

    static func cmos(_ reg: UInt8) -> UInt8 {
        virtio_outb(0x70, 0x80 | reg)
        return virtio_inb(0x71)
    }

    static func setCMOS(_ reg: UInt8, _ value: UInt8) {
        virtio_outb(0x70, 0x80 | reg)
        virtio_outb(0x71, value)
    }

    struct Reading: Equatable {
        var second: UInt8 = 0, minute: UInt8 = 0, hour: UInt8 = 0
        var day: UInt8 = 0, month: UInt8 = 0, year: UInt8 = 0, century: UInt8 = 0
    }

    static func readRaw() -> Reading? {
        var spins = 0
        while cmos(0x0A) & 0x80 != 0 {  // update in progress (lasts < 2 ms)
            spins += 1
            if spins > 1_000_000 { return nil }
        }
        return Reading(second: cmos(0x00), minute: cmos(0x02), hour: cmos(0x04),
                       day: cmos(0x07), month: cmos(0x08), year: cmos(0x09), century: cmos(0x32))
    }

    static func setup() {
        monotonicAtRead = Clock.now()
        guard let unix = readUnixSeconds() else {
            wallAtRead = 0  // no RTC: the wall clock starts at the epoch
            return
        }
        wallAtRead = unix &* 1_000_000_000
    }

    static func readUnixSeconds() -> UInt64? {
        let statusB = cmos(0x0B)
        if statusB == 0xFF { return nil }  // floating bus: no RTC
        var r: Reading? = nil
        for _ in 0..<10 {
            guard let a = readRaw(), let b = readRaw() else { return nil }
            if a == b {
                r = a
                break
            }
        }
        guard var t = r else { return nil }
        let binary = statusB & 0x04 != 0
        let hour24 = statusB & 0x02 != 0
        let pm = t.hour & 0x80 != 0
        t.hour &= 0x7F
        if !binary {
            func bcd(_ v: UInt8) -> UInt8 { (v >> 4) * 10 + (v & 0x0F) }
            t.second = bcd(t.second); t.minute = bcd(t.minute); t.hour = bcd(t.hour)
            t.day = bcd(t.day); t.month = bcd(t.month); t.year = bcd(t.year); t.century = bcd(t.century)
        }
        if !hour24 {
            if t.hour == 12 { t.hour = 0 }
            if pm { t.hour += 12 }
        }
        let year: Int
        if t.century >= 19 && t.century <= 30 {
            year = Int(t.century) * 100 + Int(t.year)
        } else {  // no usable century register: 1970...2069
            year = t.year >= 70 ? 1900 + Int(t.year) : 2000 + Int(t.year)
        }
        guard t.month >= 1 && t.month <= 12 && t.day >= 1 && t.day <= 31 && t.hour < 24 && t.minute < 60
            && t.second < 60 && year >= 1970
        else { return nil }
        return UInt64(daysFromCivil(year: year, month: Int(t.month), day: Int(t.day))) * 86_400
            + UInt64(t.hour) * 3600 + UInt64(t.minute) * 60 + UInt64(t.second)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-Compatible
    /// Low-Level Date Algorithms", days_from_civil).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

@_cdecl("swiftlet_platform_clock_wall")
public func swiftlet_platform_clock_wall() -> UInt64 {
    RTC.wallAtRead &+ (Clock.now() &- RTC.monotonicAtRead)
}
