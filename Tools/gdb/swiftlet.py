"""swiftlet.py: what gdb needs to read Embedded Swift (docs/DEBUGGING.md), loaded by `swiftlet debug`.

gdb has no Swift language support: it shows functions by their mangled names ($e4trap6LedgerO3addyS2i_SitFZ)
and integers as the structs they are ({_value = 42}). This file adds:
  - a frame filter that shows each frame's function demangled and simplified (static Ledger.add(_:_:)) by the
    Swift toolchain's swift-demangle (SWIFTLET_SWIFT_DEMANGLE, else on PATH);
  - a pretty-printer for one-field wrapper structs (Int, UInt8, Bool, ...: a single `_value`), printed as the value;
  - `swift-break NAME`: a breakpoint on every function whose Swift name is NAME or ends in .NAME, from the table
    `swiftlet debug` writes (SWIFTLET_SYMBOLS: lines of mangled<TAB>qualified name);
  - the steps of `swiftlet debug`'s command file after the breakpoints are set (swiftlet_run, swiftlet_interactive).
"""
import os
import subprocess

import gdb
from gdb.FrameDecorator import FrameDecorator

_DEMANGLER = os.environ.get("SWIFTLET_SWIFT_DEMANGLE") or "swift-demangle"
_names = {}


def demangle(name):
    """The simplified Swift name of a mangled symbol (the symbol itself when it is not Swift)."""
    if not isinstance(name, str) or not name.startswith(("$e", "$s", "_$s")):
        return name
    if name not in _names:
        try:
            out = subprocess.run([_DEMANGLER, "--simplified", "--compact", name], capture_output=True, text=True,
                                 timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        _names[name] = out or name
    return _names[name]


class SwiftFrame(FrameDecorator):
    def function(self):
        frame = self.inferior_frame()
        try:
            symbol = frame.function()
            if symbol is not None and symbol.linkage_name:
                return demangle(symbol.linkage_name)
        except (gdb.error, RuntimeError):
            pass
        name = super().function()
        return demangle(name)


class SwiftFrameFilter:
    def __init__(self):
        self.name = "swiftlet-swift-names"
        self.priority = 100
        self.enabled = True
        gdb.frame_filters[self.name] = self

    def filter(self, frames):
        return map(SwiftFrame, frames)


class WrapperPrinter:
    """Int, UInt8, Bool, ... are structs holding one builtin `_value`: print the value."""

    def __init__(self, value):
        self.value = value

    def to_string(self):
        return self.value["_value"]


def lookup_wrapper(value):
    try:
        kind = value.type.strip_typedefs()
        if kind.code != gdb.TYPE_CODE_STRUCT:
            return None
        fields = kind.fields()
        if len(fields) == 1 and fields[0].name == "_value" and \
                fields[0].type.strip_typedefs().code in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_BOOL, gdb.TYPE_CODE_FLT):
            return WrapperPrinter(value)
    except (gdb.error, RuntimeError):
        pass
    return None


class SwiftBreak(gdb.Command):
    """swift-break NAME: break on the Swift functions named NAME (Ledger.add, trap.Ledger.add, Trap.run)."""

    def __init__(self):
        super().__init__("swift-break", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, argument, from_tty):
        name = argument.strip()
        table = os.environ.get("SWIFTLET_SYMBOLS")
        matches = []
        if table and os.path.exists(table):
            with open(table) as rows:
                for row in rows:
                    symbol, _, qualified = row.rstrip("\n").partition("\t")
                    if symbol == name or qualified == name or qualified.endswith("." + name):
                        matches.append(symbol)
        if not matches:
            raise gdb.GdbError("swift-break: no Swift function is named '%s'" % name)
        for symbol in matches:
            gdb.Breakpoint("'%s'" % symbol)


_stop = {"breakpoint": False}
swiftlet_stop_names = "the breakpoint"


def _on_stop(event):
    _stop["breakpoint"] = isinstance(event, gdb.BreakpointEvent)


def _on_exit(event):
    _stop["breakpoint"] = False


def _continue():
    """Runs the app until it stops; True when a breakpoint stopped it (not its end, not a lost connection)."""
    _stop["breakpoint"] = False
    try:
        gdb.execute("continue")
    except gdb.error as error:
        print("swiftlet: %s" % error)
        return False
    return _stop["breakpoint"]


def swiftlet_interactive():
    """Interactive sessions: run to the first stop and say where the app is."""
    if _continue():
        print("swiftlet: stopped at %s; gdb is yours (bt, info locals, next, step, continue; "
              "swift-break Type.method)" % swiftlet_stop_names)
    else:
        print("swiftlet: the app ended before reaching %s" % swiftlet_stop_names)


def swiftlet_run(print_backtrace, commands):
    """Non-interactive sessions: run to the first stop, report it, end the app; exit 0, or 3 if never hit."""
    if not _continue():
        print("swiftlet: %s was never hit: the app ended (or the connection was lost) first" % swiftlet_stop_names)
        gdb.execute("quit 3")
    print("swiftlet: stopped at %s" % swiftlet_stop_names)
    if print_backtrace:
        print("swiftlet: backtrace:")
        gdb.execute("backtrace")
        print("swiftlet: arguments and locals of the innermost frame:")
        gdb.execute("info args")
        gdb.execute("info locals")
    if commands:
        gdb.execute("source %s" % commands)
    try:
        gdb.execute("kill")
    except gdb.error:
        pass
    gdb.execute("quit 0")


SwiftFrameFilter()
gdb.pretty_printers.append(lookup_wrapper)
SwiftBreak()
gdb.events.stop.connect(_on_stop)
gdb.events.exited.connect(_on_exit)
