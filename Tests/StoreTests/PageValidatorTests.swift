import XCTest
@testable import Store
#if canImport(Glibc)
import Glibc
#endif

/// Regression tests for the tree-page structure checks, from findings of the `store` fuzz harness
/// (docs/FUZZING.md). The page sits at the end of a mapping whose next page is inaccessible, so a read past the
/// page's end faults instead of reading a neighbour's bytes unnoticed.
final class PageValidatorTests: XCTestCase {
    /// A leaf page at the end of a readable mapping, followed by a PROT_NONE guard page.
    final class GuardedPage {
        let mapping: UnsafeMutableRawPointer
        let size = StoreLimits.pageSize
        var page: Page { Page(base: mapping, size: size) }

        init() throws {
            let length = 2 * size
            let address = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            guard let address, address != MAP_FAILED else { throw XCTSkip("mmap failed") }
            mapping = address
            guard mprotect(address + size, size, PROT_NONE) == 0 else { throw XCTSkip("mprotect failed") }
        }

        deinit { munmap(mapping, 2 * size) }
    }

    func testALeafSlotPointingPastThePageIsRejectedWithoutReadingThere() throws {
        // The fuzz input `02 63 6f 00 82 fe` (Tests/Fuzz/corpus/store/regression-slot-past-page) set a slot of a
        // sealed leaf to an offset beyond the page: the validator rejected the cell and then, in a `defer`, read
        // its size there (a segfault under AddressSanitizer; in an image, a read of whatever lies beyond).
        let guarded = try GuardedPage()
        let page = guarded.page
        page.initialize(type: .leaf, level: 0, number: 2, transaction: 1)
        page.setU16(Layout.count, 1)
        page.setU16(Layout.cellStart, guarded.size - 32)
        page.setU16(Layout.slots, guarded.size + 200)  // in the guard page
        XCTAssertFalse(PageValidator.isValidTreePage(page, pageCount: 8))
    }

    func testABranchSlotPointingPastThePageIsRejectedWithoutReadingThere() throws {
        let guarded = try GuardedPage()
        let page = guarded.page
        page.initialize(type: .branch, level: 1, number: 2, transaction: 1)
        page.setU64(Layout.leftChild, 3)
        page.setU64(Layout.leftTransaction, 1)
        page.setU16(Layout.count, 1)
        page.setU16(Layout.cellStart, guarded.size - 32)
        page.setU16(Layout.slots, guarded.size + 100)
        XCTAssertFalse(PageValidator.isValidTreePage(page, pageCount: 8))
    }

    func testAValidLeafStillPasses() throws {
        let guarded = try GuardedPage()
        let page = guarded.page
        page.initialize(type: .leaf, level: 0, number: 2, transaction: 1)
        let cell = guarded.size - (Layout.leafCellHeader + 1 + 2)
        page.setU8(cell, 1)  // key length
        page.setU8(cell + 1, 0)  // flags
        page.setU32(cell + 2, 2)  // value length
        page.setU64(cell + 6, 1)  // version
        page.setU8(cell + Layout.leafCellHeader, 0x6B)
        page.setU16(Layout.count, 1)
        page.setU16(Layout.cellStart, cell)
        page.setU16(Layout.slots, cell)
        XCTAssertTrue(PageValidator.isValidTreePage(page, pageCount: 8))
    }
}
