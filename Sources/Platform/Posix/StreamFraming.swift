/// StreamFraming.swift — QEMU's stream framing on a byte stream (`socket:PATH`, `fd:FD` for passt).
///
/// Each frame crosses the stream as a 4-byte big-endian length, then the frame
/// (QEMU net/stream.c and net/net.c `net_fill_rstate`; passt's `tap_send_frames`
/// for `--fd`). A byte stream has no record boundaries, so both directions keep
/// a buffer per device:
///
/// - receive: one `read(2)` fetches as much as the socket holds into the
///   receive buffer; a net read hands out exactly one whole frame from it, or
///   AGAIN when no whole frame is buffered and the socket has nothing more.
///   A frame longer than the device's largest frame (`mtu + 14`) or of length 0
///   is skipped and counted, never cut, so the stream stays in step.
/// - transmit: the length and the frame leave in one `writev(2)`. When the
///   socket takes only part of them, the rest is kept and goes out before the
///   next frame (and whenever the yield sees the socket writable), so the peer
///   never sees two frames interleaved; that frame counts as queued. While a
///   rest is still waiting, a new frame is refused with AGAIN (not queued).
///
/// Buffer invariants (indices into their buffers):
///
///     receive:  0 <= head <= tail <= receiveCapacity    bytes [head, tail) not yet handed out
///     transmit: 0 <= pendingStart <= pendingEnd <= 4 + maximumFrame   bytes still to send

import SwiftletPosix

/// What a transfer on the stream did.
enum StreamResult {
    /// Bytes moved (a frame was sent or queued; data was received).
    case done
    /// The socket cannot take or give anything now.
    case wouldBlock
    /// The peer closed the connection (EOF, `EPIPE`, `ECONNRESET`).
    case closed
    /// Any other host error.
    case failed
}

/// One stream device's receive and transmit buffers.
final class StreamFraming {
    /// Largest frame accepted either way: `mtu + 14`.
    let maximumFrame: Int
    private let receive: UnsafeMutablePointer<UInt8>
    private let receiveCapacity: Int
    private var head = 0
    private var tail = 0
    /// Bytes of a skipped (oversized) frame still to drop from the stream.
    private var discarding = 0
    private let pending: UnsafeMutablePointer<UInt8>
    private var pendingStart = 0
    private var pendingEnd = 0
    /// Frames received that could not be handed out (too long, or empty).
    private(set) var droppedFrames: UInt64 = 0

    /// The receive buffer's size for `maximumFrame` when `available` bytes can hold it: room for many small
    /// frames per read(2) (up to 256 KiB), and always for two whole frames, so one fits after compaction.
    /// Nil when `available` is less than two whole frames.
    static func receiveCapacity(maximumFrame: Int, available: Int) -> Int? {
        let least = 2 * (4 + maximumFrame)
        return available >= least ? min(available, max(256 * 1024, least)) : nil
    }

    /// Framing over buffers the caller holds for the port's lifetime (its reserved device memory,
    /// NetMemoryReserve.swift): `receiveCapacity` bytes at `receive` (``receiveCapacity(maximumFrame:available:)``)
    /// and `4 + maximumFrame` at `pending`. Nothing is allocated.
    init(maximumFrame: Int, receive: UnsafeMutableRawPointer, receiveCapacity: Int, pending: UnsafeMutableRawPointer) {
        self.maximumFrame = maximumFrame
        self.receiveCapacity = receiveCapacity
        self.receive = receive.bindMemory(to: UInt8.self, capacity: receiveCapacity)
        self.pending = pending.bindMemory(to: UInt8.self, capacity: 4 + maximumFrame)
    }

    /// Whether part of a frame is still waiting to be written.
    var hasPendingOutput: Bool { self.pendingEnd > self.pendingStart }

    /// Whether a net read would now return a frame without reading the socket.
    var hasBufferedFrame: Bool {
        var at = self.head + min(self.discarding, self.tail - self.head)
        while self.tail - at >= 4 {
            let length = Self.length(at: self.receive + at)
            if length >= 1 && length <= self.maximumFrame {
                return self.tail - at >= 4 + length
            }
            guard self.tail - at >= 4 + length else { return false }
            at += 4 + length  // a whole skipped frame: look past it
        }
        return false
    }

    /// Copies the next whole buffered frame into `buffer` (at least ``maximumFrame`` bytes).
    ///
    /// - Returns: the frame's length, or nil when no whole frame is buffered.
    func takeFrame(into buffer: UnsafeMutablePointer<UInt8>, size: Int) -> Int? {
        while true {
            if self.discarding > 0 {
                let skip = min(self.discarding, self.tail - self.head)
                self.head += skip
                self.discarding -= skip
                if self.discarding > 0 { return nil }
            }
            guard self.tail - self.head >= 4 else { return nil }
            let length = Self.length(at: self.receive + self.head)
            if length == 0 || length > self.maximumFrame || length > size {
                self.droppedFrames &+= 1
                self.head += 4
                self.discarding = length
                continue
            }
            guard self.tail - self.head >= 4 + length else { return nil }
            buffer.update(from: self.receive + self.head + 4, count: length)
            self.head += 4 + length
            if self.head == self.tail {
                self.head = 0
                self.tail = 0
            }
            return length
        }
    }

    /// Reads what the socket holds into the receive buffer (one `read(2)`).
    func fill(_ fd: Int32) -> StreamResult {
        if self.head == self.tail {
            self.head = 0
            self.tail = 0
        } else if self.receiveCapacity - self.tail < 4 + self.maximumFrame {
            // What is left is less than one whole frame (else it would have been taken): move it down.
            let count = self.tail - self.head
            UnsafeMutableRawPointer(self.receive).copyMemory(from: self.receive + self.head, byteCount: count)
            self.head = 0
            self.tail = count
        }
        do throws(SyscallError) {
            let count = try systemCall("read") {
                read(fd, self.receive + self.tail, self.receiveCapacity - self.tail)
            }
            if count == 0 { return .closed }
            self.tail += count
            return .done
        } catch .wouldBlock {
            return .wouldBlock
        } catch .failed(_, let code) where code == ECONNRESET {
            return .closed
        } catch {
            return .failed
        }
    }

    /// Writes what is left of a partly written frame.
    ///
    /// - Returns: ``StreamResult/done`` when nothing is left (or nothing was), else why not.
    func flushPending(_ fd: Int32) -> StreamResult {
        while self.hasPendingOutput {
            var vector = iovec(
                iov_base: UnsafeMutableRawPointer(self.pending + self.pendingStart),
                iov_len: self.pendingEnd - self.pendingStart)
            let result = Self.writeVector(fd, &vector, count: 1)
            guard case .success(let count) = result else { return result.failure }
            self.pendingStart += count
        }
        self.pendingStart = 0
        self.pendingEnd = 0
        return .done
    }

    /// Sends one frame as length + frame in one `writev(2)`; keeps any unsent rest.
    ///
    /// - Returns: ``StreamResult/done`` when the frame was sent or queued;
    ///   ``StreamResult/wouldBlock`` when it was not (an earlier rest is still waiting, or the socket is full).
    func send(_ fd: Int32, _ frame: UnsafePointer<UInt8>, size: Int) -> StreamResult {
        let flushed = self.flushPending(fd)
        guard case .done = flushed else { return flushed }
        var header = UInt32(truncatingIfNeeded: size).bigEndian
        return withUnsafeMutableBytes(of: &header) { headerBytes -> StreamResult in
            var vectors = (
                iovec(iov_base: headerBytes.baseAddress, iov_len: 4),
                iovec(iov_base: UnsafeMutableRawPointer(mutating: frame), iov_len: size)
            )
            let result = withUnsafeMutablePointer(to: &vectors) {
                $0.withMemoryRebound(to: iovec.self, capacity: 2) { Self.writeVector(fd, $0, count: 2) }
            }
            guard case .success(let sent) = result else { return result.failure }
            if sent < 4 + size {
                // Keep the rest: the frame is queued and nothing else may go out before it.
                let header = headerBytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
                var end = 0
                for index in min(sent, 4)..<4 {
                    self.pending[end] = header[index]
                    end += 1
                }
                let frameSent = max(sent - 4, 0)
                (self.pending + end).update(from: frame + frameSent, count: size - frameSent)
                self.pendingStart = 0
                self.pendingEnd = end + size - frameSent
            }
            return .done
        }
    }

    private enum WriteResult {
        case success(Int)
        case failure(StreamResult)

        var failure: StreamResult {
            if case .failure(let why) = self { return why }
            return .done
        }
    }

    private static func writeVector(_ fd: Int32, _ vectors: UnsafeMutablePointer<iovec>, count: Int32) -> WriteResult {
        do throws(SyscallError) {
            return .success(try systemCall("writev") { writev(fd, vectors, count) })
        } catch .wouldBlock {
            return .failure(.wouldBlock)
        } catch .failed(_, let code) where code == EPIPE || code == ECONNRESET {
            return .failure(.closed)
        } catch {
            return .failure(.failed)
        }
    }

    private static func length(at bytes: UnsafePointer<UInt8>) -> Int {
        Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
    }
}
