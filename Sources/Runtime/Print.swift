// `print` for apps that import Runtime: the standard library's Embedded `print`s, with a literal (interpolated or
// not) written as a ``ConsoleMessage`` instead of a `String`.
//
// How a call picks one (Swift's overload ranking; checked in the symbols of the images, docs/CONSOLE.md):
// - A declaration here with the same signature as the standard library's shadows it (Runtime imports `Swift`), so
//   `print(_: StaticString)` and `print(_: String)` below are the only ones of those types an app sees.
// - Both are `@_disfavoredOverload` (the standard library's `String` one is too), so a literal, which could be a
//   `String`, a `StaticString` or a ``ConsoleMessage``, is a ``ConsoleMessage``: being disfavored weighs more than
//   not being the literal's default type (`String`).
// - A `String` or `StaticString` value can only be what it is; an integer or a `CustomStringConvertible` value
//   still goes to the standard library's generic `print`s.
//
// Output is the same bytes as the standard library's `print` (into ``Console``, the same line buffer).

/// Writes `message` and then `terminator` to the console.
@inline(never)
public func print(_ message: ConsoleMessage, terminator: StaticString = "\n") {
    message.write()
    Console.write(terminator)
}

/// Writes a `String` and then `terminator` (replaces the standard library's, which copies a non-contiguous
/// `String`'s bytes through paths an Embedded `String` never takes).
@_disfavoredOverload
@inline(never)
public func print(_ text: String, terminator: StaticString = "\n") {
    Console.write(text)
    Console.write(terminator)
}

/// Writes a static string and then `terminator` (shadows the standard library's, so that a literal is a
/// ``ConsoleMessage`` rather than ambiguous).
@_disfavoredOverload
@inline(never)
public func print(_ text: StaticString, terminator: StaticString = "\n") {
    Console.write(text)
    Console.write(terminator)
}
