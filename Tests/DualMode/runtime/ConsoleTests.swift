/// Console: long writes arrive whole (the host compares both modes' transcripts byte for byte).
import Runtime

func registerConsoleTests(_ suite: inout TestSuite) {
    suite.test("console.long-line-arrives-whole") { () throws(TestFailure) in
        // 10,000 printable bytes in one print: crosses the 4 KiB line buffer twice.
        var line = "console-long-line "
        var value: UInt32 = 2_166_136_261
        while line.utf8.count < 10_000 {
            value = (value ^ UInt32(line.utf8.count & 0xff)) &* 16_777_619
            line.append(Character(Unicode.Scalar(UInt8(97 + value % 26))))
        }
        print(line)
        try expectEqual(line.utf8.count, 10_000, "line length")
    }
    suite.test("console.many-short-writes-keep-order") { () throws(TestFailure) in
        var expected = ""
        for index in 0..<200 {
            print(index % 10, terminator: "")
            expected.append(Character(Unicode.Scalar(UInt8(48 + index % 10))))
        }
        print("")
        try expectEqual(expected.utf8.count, 200, "digits written")
    }
}
