/// Host-side checks of boot arguments, done before anything is built or started.
///
/// The Runtime parses the same words in the image (Sources/Runtime/BootArguments.swift)
/// and ends with status 2 on a malformed one; checking here first gives a
/// clearer message and saves a build and a boot.
public enum BootArgumentCheck {
    /// Returns `nil` when `word` is `key=value` with a non-empty key and no
    /// whitespace, else the reason it is malformed.
    public static func problem(with word: String) -> String? {
        guard let equals = word.firstIndex(of: "="), equals != word.startIndex else {
            return "expected key=value"
        }
        if word.contains(where: { $0.isWhitespace }) {
            return "expected key=value without spaces"
        }
        return nil
    }

    /// Refuses `profile=` outside `swiftlet profile`: the sampling profiler is linked only into images built for it
    /// (mk/image.mk `PROFILER=1`, docs/PROFILING.md), and any other image would ignore the word.
    /// - Throws: ``SwiftletError`` (status 2) saying to use `swiftlet profile`.
    public static func refuseProfilerWords(_ words: [String]) throws {
        guard let word = words.first(where: { $0.hasPrefix("profile=") || $0.hasPrefix("profile.seconds=") }) else {
            return
        }
        throw SwiftletError("'\(word)' needs an image built with the sampling profiler, which this command does not build",
                            remedy: "use `swiftlet profile APP --target ... [--hz N] [--seconds N]` (docs/PROFILING.md)",
                            status: 2)
    }

    /// Checks every word.
    /// - Throws: ``SwiftletError`` (status 2) naming the first malformed word.
    public static func validate(_ words: [String]) throws {
        for word in words {
            if let problem = problem(with: word) {
                throw SwiftletError("malformed boot argument '\(word)': \(problem)", status: 2)
            }
        }
    }
}
