/// Apps `import Runtime` and get Swift concurrency with it: Embedded Swift
/// does not import `_Concurrency` implicitly.
@_exported import _Concurrency
