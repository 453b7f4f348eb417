/// Changing the tree inside a transaction, copy-on-write: every page on the path to a changed leaf is
/// copied to a newly allocated page (once per transaction), the old page is freed (reusable later, see
/// ``KeyValueStore/releaseFreed()``), and parents point at the copies with the new transaction id.
import _Concurrency

extension KeyValueStore {
    // MARK: Allocation

    /// A free page for this transaction (its cached copy, of an older use, is dropped).
    /// - Throws: ``StoreError/full``.
    func allocatePage() throws(StoreError) -> (number: UInt64, page: Page) {
        guard canAllocate(1), let number = space.allocate() else { throw .full }
        cache.invalidate(number)
        let buffer = pool.take()
        dirty[number] = DirtyRun(buffer: buffer, pages: 1)
        return (number, Page(base: buffer, size: pageSize))
    }

    /// Whether `pages` more pages may be taken: requests that only remove may use the last few pages
    /// (a reserve of two paths' worth), so a full store can always be emptied.
    func canAllocate(_ pages: Int) -> Bool {
        if removing { return true }
        let reserve = UInt64(2 * (txn.rootLevel + 2))
        return space.free >= reserve + UInt64(pages)
    }

    /// Frees page `number` (and the `pages - 1` after it): at once when this transaction allocated it,
    /// else once nothing on disk and no reader reaches it.
    func freePages(_ number: UInt64, pages: Int = 1) {
        if let run = dirty.removeValue(forKey: number) {
            for page in number..<(number + UInt64(run.pages)) { space.release(page) }
            releaseBuffer(run)
            return
        }
        for page in number..<(number + UInt64(pages)) { freed.append(page) }
    }

    /// The transaction's own copy of tree page `number` (made on first use).
    func makeWritable(_ number: UInt64, transaction: UInt64, level: Int) async throws(StoreError) -> UInt64 {
        if transaction == txn.transaction, dirty[number] != nil { return number }
        let old = try await loadPage(number, transaction: transaction, level: level)
        let copy = try allocatePage()
        copy.page.base.copyMemory(from: old.base, byteCount: pageSize)
        copy.page.setU64(Layout.page, copy.number)
        copy.page.setU64(Layout.transaction, txn.transaction)
        freePages(number)
        return copy.number
    }

    /// Copies the path to `key`'s leaf into the transaction; ``path`` holds each branch and the child index
    /// taken. Returns the leaf's (new) number.
    func writablePath(_ key: [UInt8]) async throws(StoreError) -> UInt64 {
        path.removeAll(keepingCapacity: true)
        var number = try await makeWritable(txn.root, transaction: txn.rootTransaction, level: txn.rootLevel)
        txn.root = number
        txn.rootTransaction = txn.transaction
        var level = txn.rootLevel
        while level > 0 {
            let child = try await childOnPath(number, key)
            let copy = try await makeWritable(child.page, transaction: child.transaction, level: level - 1)
            guard let run = dirty[number] else { throw .corrupt(block: deviceBlock(number)) }
            let page = Page(base: run.buffer, size: pageSize)
            page.setChild(child.index, page: copy, transaction: txn.transaction)
            path.append((number, child.index))
            number = copy
            level -= 1
        }
        return number
    }

    private func childOnPath(_ number: UInt64, _ key: [UInt8]) async throws(StoreError)
        -> (index: Int, page: UInt64, transaction: UInt64)
    {
        guard let run = dirty[number] else { throw .corrupt(block: deviceBlock(number)) }
        let page = Page(base: run.buffer, size: pageSize)
        let index = key.withUnsafeBytes { page.branchSearch($0.baseAddress!, $0.count) }
        let child = page.child(index)
        return (index, child.page, child.transaction)
    }

    func dirtyPage(_ number: UInt64) throws(StoreError) -> Page {
        guard let run = dirty[number] else { throw .corrupt(block: deviceBlock(number)) }
        return Page(base: run.buffer, size: pageSize)
    }

    // MARK: Set

    /// Sets `key` to `value` in the transaction; returns whether the key was there before.
    @discardableResult
    func put(_ key: [UInt8], _ value: [UInt8]) async throws(StoreError) -> Bool {
        let id = txn.transaction
        var cellLength = Layout.leafCellHeader + key.count + value.count
        var extent: UInt64 = 0
        if cellLength > maximumInlineCell {
            extent = try writeOverflow(value)
            cellLength = Layout.leafCellHeader + key.count + 16
        }
        if txn.root == 0 {
            let leaf = try allocatePage()
            leaf.page.initialize(type: .leaf, level: 0, number: leaf.number, transaction: id)
            txn.root = leaf.number
            txn.rootTransaction = id
            txn.rootLevel = 0
        }
        let leafNumber = try await writablePath(key)
        let leaf = try dirtyPage(leafNumber)
        let (index, found) = key.withUnsafeBytes { leaf.leafSearch($0.baseAddress!, $0.count) }
        if found {
            let cell = leaf.slot(index)
            if leaf.leafIsOverflow(cell) {
                let old = overflowExtent(leaf, cell)
                freePages(old.first, pages: old.pages)
            }
            leaf.removeSlot(index)
        } else {
            txn.keys += 1
        }
        // Build the cell.
        let c = Page(base: cellBuffer, size: pageSize)
        c.setU8(0, UInt8(key.count))
        c.setU8(1, extent != 0 ? Layout.overflowFlag : 0)
        c.setU32(2, UInt32(value.count))
        c.setU64(6, id)
        key.withUnsafeBytes { (cellBuffer + Layout.leafCellHeader).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let tail = Layout.leafCellHeader + key.count
        if extent != 0 {
            c.setU64(tail, extent)
            c.setU64(tail + 8, id)
        } else if !value.isEmpty {
            value.withUnsafeBytes { (cellBuffer + tail).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        try insert(into: leafNumber, at: index, length: cellLength, level: 0)
        return found
    }

    /// Writes `value` into a new overflow extent of this transaction; returns its first page.
    func writeOverflow(_ value: [UInt8]) throws(StoreError) -> UInt64 {
        let pages = PageValidator.overflowPages(valueLength: value.count, pageSize: pageSize)
        guard canAllocate(pages), let first = space.allocateRun(pages) else { throw .full }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: pages * pageSize, alignment: 64)
        let payload = pageSize - Layout.header
        value.withUnsafeBytes { raw in
            for index in 0..<pages {
                let number = first + UInt64(index)
                cache.invalidate(number)
                let page = Page(base: buffer + index * pageSize, size: pageSize)
                page.initialize(type: .overflow, level: 0, number: number, transaction: txn.transaction)
                let offset = index * payload
                let bytes = min(payload, raw.count - offset)
                (page.base + Layout.header).copyMemory(from: raw.baseAddress! + offset, byteCount: bytes)
                page.seal()
            }
        }
        dirty[first] = DirtyRun(buffer: buffer, pages: pages)
        return first
    }

    /// Inserts the cell in ``cellBuffer`` at slot `index` of dirty page `number` (at `level`), splitting
    /// pages up the path as needed.
    func insert(into number: UInt64, at index: Int, length: Int, level: Int) throws(StoreError) {
        var target = number
        var position = index
        var cellLength = length
        var currentLevel = level
        var depth = path.count - 1
        while true {
            let page = try dirtyPage(target)
            if page.freeSpace < cellLength + 2 && page.usedSpace + cellLength + 2 <= pageSize - Layout.slots {
                page.compact(scratch: scratch)
            }
            if page.freeSpace >= cellLength + 2 {
                page.insertCell(at: position, cellBuffer, length: cellLength)
                return
            }
            let (separator, right) = try split(page, inserting: position, length: cellLength)
            // The separator and the new right page go into the parent.
            let c = Page(base: cellBuffer, size: pageSize)
            c.setU64(0, right)
            c.setU64(8, txn.transaction)
            c.setU8(16, UInt8(separator.count))
            separator.withUnsafeBytes {
                (cellBuffer + Layout.branchCellHeader).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
            }
            cellLength = Layout.branchCellHeader + separator.count
            currentLevel += 1
            if depth < 0 {
                // The root split: a new root above it.
                let root = try allocatePage()
                root.page.initialize(type: .branch, level: currentLevel, number: root.number,
                                     transaction: txn.transaction)
                root.page.setChild(-1, page: target, transaction: txn.transaction)
                root.page.insertCell(at: 0, cellBuffer, length: cellLength)
                txn.root = root.number
                txn.rootTransaction = txn.transaction
                txn.rootLevel = currentLevel
                return
            }
            target = path[depth].page
            position = path[depth].index + 1
            depth -= 1
        }
    }

    /// Splits full page `page`, with the cell in ``cellBuffer`` inserted at `position`, into itself and a new
    /// right sibling. Returns the separator (the right page's smallest key) and the new page's number.
    /// A leaf split at its end keeps the left page full (sequential inserts fill pages); otherwise the
    /// cells are divided by bytes. In a branch the middle cell moves up: its child becomes the right page's
    /// leftmost child.
    func split(_ page: Page, inserting position: Int, length: Int) throws(StoreError) -> ([UInt8], UInt64) {
        let isLeaf = page.type == PageType.leaf.rawValue
        let old = Page(base: scratch, size: pageSize)
        scratch.copyMemory(from: page.base, byteCount: pageSize)
        let n = old.count
        let total = n + 1
        func cell(_ j: Int) -> (UnsafeRawPointer, Int) {
            if j == position { return (UnsafeRawPointer(cellBuffer), length) }
            let offset = old.slot(j < position ? j : j - 1)
            return (UnsafeRawPointer(scratch + offset), old.cellSize(offset))
        }
        var leftCount: Int
        if position == n {
            leftCount = n
        } else {
            var bytes = 0
            for j in 0..<total { bytes += cell(j).1 + 2 }
            var sum = 0
            leftCount = 0
            while leftCount < total - 1 && sum + cell(leftCount).1 + 2 <= bytes / 2 {
                sum += cell(leftCount).1 + 2
                leftCount += 1
            }
            leftCount = max(1, leftCount)
        }
        var leftBytes = 0
        for j in 0..<leftCount { leftBytes += cell(j).1 + 2 }
        var rightBytes = 0
        for j in leftCount..<total { rightBytes += cell(j).1 + 2 }
        guard leftBytes <= pageSize - Layout.slots, rightBytes <= pageSize - Layout.slots else {
            throw .corrupt(block: deviceBlock(old.number))
        }
        let right = try allocatePage()
        right.page.initialize(type: isLeaf ? .leaf : .branch, level: old.level, number: right.number,
                              transaction: txn.transaction)
        page.initialize(type: isLeaf ? .leaf : .branch, level: old.level, number: old.number,
                        transaction: txn.transaction)
        if !isLeaf { page.setChild(-1, page: old.leftChild.page, transaction: old.leftChild.transaction) }
        for j in 0..<leftCount {
            let (pointer, size) = cell(j)
            page.insertCell(at: j, pointer, length: size)
        }
        var separator: [UInt8]
        var firstRight = leftCount
        if isLeaf {
            let (pointer, _) = cell(leftCount)
            separator = [UInt8](UnsafeRawBufferPointer(start: pointer + Layout.leafCellHeader,
                                                       count: Int(pointer.load(as: UInt8.self))))
        } else {
            // The middle cell moves up; its child becomes the right page's leftmost.
            let (pointer, _) = cell(leftCount)
            let child = UInt64(littleEndian: pointer.loadUnaligned(as: UInt64.self))
            let childTransaction = UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            separator = [UInt8](UnsafeRawBufferPointer(start: pointer + Layout.branchCellHeader,
                                                       count: Int(pointer.load(fromByteOffset: 16, as: UInt8.self))))
            right.page.setChild(-1, page: child, transaction: childTransaction)
            firstRight += 1
        }
        var slot = 0
        for j in firstRight..<total {
            let (pointer, size) = cell(j)
            right.page.insertCell(at: slot, pointer, length: size)
            slot += 1
        }
        return (separator, right.number)
    }

    // MARK: Remove

    /// Removes `key` from the transaction; returns whether it was there.
    func delete(_ key: [UInt8]) async throws(StoreError) -> Bool {
        guard try await find(key, in: txn, writer: true, wantValue: false) != nil else { return false }
        let leafNumber = try await writablePath(key)
        let leaf = try dirtyPage(leafNumber)
        let (index, found) = key.withUnsafeBytes { leaf.leafSearch($0.baseAddress!, $0.count) }
        guard found else { return false }
        let cell = leaf.slot(index)
        if leaf.leafIsOverflow(cell) {
            let old = overflowExtent(leaf, cell)
            freePages(old.first, pages: old.pages)
        }
        leaf.removeSlot(index)
        if txn.keys > 0 { txn.keys -= 1 }
        if leaf.count == 0 {
            try removeEmptyLeaf(leafNumber)
        } else if leaf.usedSpace < pageSize / 4, let parent = path.last {
            try await mergeLeaf(leafNumber, parent: parent.page, index: parent.index)
        }
        try collapseRoot()
        return true
    }

    /// Merges an underfull leaf (child `index` of dirty branch `parent`) with a sibling when both fit in one
    /// page: the right one's cells move into the left one, and the right one leaves the parent.
    private func mergeLeaf(_ leaf: UInt64, parent parentNumber: UInt64, index: Int) async throws(StoreError) {
        let parentCount = try dirtyPage(parentNumber).count
        let leftIndex: Int
        if index + 1 < parentCount {
            leftIndex = index
        } else if index >= 0 {
            leftIndex = index - 1
        } else {
            return
        }
        let siblingIndex = leftIndex == index ? index + 1 : leftIndex
        let sibling = try dirtyPage(parentNumber).child(siblingIndex)
        let siblingUsed = try await writerPage(sibling.page, transaction: sibling.transaction, level: 0).usedSpace
        guard try dirtyPage(leaf).usedSpace + siblingUsed <= pageSize - Layout.slots else { return }
        let copy: UInt64
        do throws(StoreError) {
            copy = try await makeWritable(sibling.page, transaction: sibling.transaction, level: 0)
        } catch .full {
            return  // merging is an optimisation; without a free page the leaf stays as it is
        }
        let parent = try dirtyPage(parentNumber)
        parent.setChild(siblingIndex, page: copy, transaction: txn.transaction)
        let leftNumber = leftIndex == index ? leaf : copy
        let rightNumber = leftIndex == index ? copy : leaf
        let left = try dirtyPage(leftNumber)
        let right = try dirtyPage(rightNumber)
        left.compact(scratch: scratch)
        for k in 0..<right.count {
            let cell = right.slot(k)
            let length = right.leafCellSize(cell)
            guard left.freeSpace >= length + 2 else { throw .corrupt(block: deviceBlock(leftNumber)) }
            left.insertCell(at: left.count, UnsafeRawPointer(right.base + cell), length: length)
        }
        parent.removeSlot(leftIndex + 1)
        freePages(rightNumber)
    }

    /// Unlinks an empty leaf (and branches left without children) from the path.
    private func removeEmptyLeaf(_ leaf: UInt64) throws(StoreError) {
        freePages(leaf)
        var depth = path.count - 1
        while depth >= 0 {
            let (number, index) = path[depth]
            let parent = try dirtyPage(number)
            if index < 0 {
                if parent.count == 0 {
                    freePages(number)
                    depth -= 1
                    continue
                }
                let first = parent.branchChild(parent.slot(0))
                parent.setChild(-1, page: first.page, transaction: first.transaction)
                parent.removeSlot(0)
            } else {
                parent.removeSlot(index)
            }
            return
        }
        txn.root = 0
        txn.rootTransaction = 0
        txn.rootLevel = 0
    }

    /// While the root is a branch with one child (no cells), that child becomes the root.
    private func collapseRoot() throws(StoreError) {
        while txn.root != 0 && txn.rootLevel > 0 {
            guard let run = dirty[txn.root] else { return }
            let root = Page(base: run.buffer, size: pageSize)
            guard root.count == 0 else { return }
            let child = root.leftChild
            freePages(txn.root)
            txn.root = child.page
            txn.rootTransaction = child.transaction
            txn.rootLevel -= 1
        }
    }
}
