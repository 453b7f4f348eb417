import ArgumentParser
import Foundation
import SwiftletKit

/// Entry point: parse, run, and turn every error into one line
/// `swiftlet: error: <what>; <what to do>` with a non-zero status.
func main() -> Never {
    do {
        var command = try Swiftlet.parseAsRoot()
        try command.run()
        exit(0)
    } catch let error as SwiftletError {
        Log.standardError(error.description)
        exit(error.status)
    } catch let code as ExitCode {
        exit(code.rawValue)
    } catch {
        let code = Swiftlet.exitCode(for: error)
        if code == .success {
            Swiftlet.exit(withError: error)  // --help, --version: ArgumentParser prints them
        }
        Log.standardError(oneLine(Swiftlet.message(for: error)))
        exit(code.rawValue == 0 ? 1 : code.rawValue)
    }
}

/// ArgumentParser's message ("Error: The value 'x' is invalid for '--target <target>'. Please
/// provide one of ...") as `swiftlet: error: the value 'x' is invalid ...; please provide one of ...`.
func oneLine(_ message: String) -> String {
    var text = message.split(separator: "\n").first.map(String.init) ?? "invalid command line"
    if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
    text = text.trimmingCharacters(in: .whitespaces)
    if text.hasSuffix(".") { text.removeLast() }
    if let range = text.range(of: ". ") {
        text.replaceSubrange(range, with: "; ")
        if let next = text.range(of: "; ")?.upperBound, next < text.endIndex {
            text.replaceSubrange(next...next, with: text[next...next].lowercased())
        }
    } else {
        text += "; see 'swiftlet help'"
    }
    if let first = text.first { text.replaceSubrange(...text.startIndex, with: first.lowercased()) }
    return "swiftlet: error: " + text
}

main()
