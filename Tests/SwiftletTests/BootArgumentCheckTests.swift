import XCTest
@testable import SwiftletKit

final class BootArgumentCheckTests: XCTestCase {
    func testKeyValueWordsAreAccepted() throws {
        XCTAssertNoThrow(try BootArgumentCheck.validate(["a=1", "status=42", "empty=", "url=a=b", "swiftlet.test=all"]))
    }

    func testWordWithoutEqualsIsRejectedWithStatus2() {
        XCTAssertThrowsError(try BootArgumentCheck.validate(["a=1", "novalue"])) { error in
            let error = error as! SwiftletError
            XCTAssertEqual(error.status, 2)
            XCTAssertEqual(error.description, "swiftlet: error: malformed boot argument 'novalue': expected key=value")
        }
    }

    func testEmptyKeyIsRejected() {
        XCTAssertNotNil(BootArgumentCheck.problem(with: "=1"))
        XCTAssertNotNil(BootArgumentCheck.problem(with: ""))
    }

    func testWhitespaceIsRejected() {
        XCTAssertNotNil(BootArgumentCheck.problem(with: "a=1 2"))
        XCTAssertNotNil(BootArgumentCheck.problem(with: "a b=1"))
        XCTAssertNotNil(BootArgumentCheck.problem(with: "a=\t"))
    }
}
