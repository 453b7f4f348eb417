import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import SwiftletKit

/// docs/DEVICES.md §1: manifest.json.
final class ManifestTests: XCTestCase {
    func parse(_ json: String) throws -> Manifest {
        try Manifest.parse(Data(json.utf8), path: "/app/manifest.json")
    }

    func problem(_ json: String) -> String {
        do {
            _ = try parse(json)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testDevicesKeepTheirOrder() throws {
        let manifest = try parse(#"{ "devices": [ { "name": "service", "type": "net" }, { "name": "storage", "type": "block" }, { "name": "second", "type": "net" } ] }"#)
        XCTAssertEqual(manifest.devices, [DeclaredDevice(name: "service", kind: .net), DeclaredDevice(name: "storage", kind: .block),
                                          DeclaredDevice(name: "second", kind: .net)])
        XCTAssertEqual(manifest.path, "/app/manifest.json")
        XCTAssertEqual(try parse(#"{ "devices": [] }"#).devices, [])
        XCTAssertEqual(try parse(#"{}"#).devices, [])
    }

    func testNoManifestMeansNoDevices() throws {
        XCTAssertEqual(try Manifest.load(appDirectory: testProject.root + "/Samples/hello"), Manifest())
        let echo = try Manifest.load(appDirectory: testProject.root + "/Samples/frame-echo")
        XCTAssertEqual(echo.devices, [DeclaredDevice(name: "service", kind: .net)])
    }

    func testManifestProblemsExitWithStatus2() {
        XCTAssertThrowsError(try parse(#"{ "devices": [ { "name": "x", "type": "disk" } ] }"#)) { error in
            XCTAssertEqual((error as? SwiftletError)?.status, 2)
        }
    }

    func testEveryProblemIsOneLineNamingTheFile() {
        let cases: [(String, String)] = [
            (#"{ "devices": [ { "name": "my disk", "type": "block" } ] }"#,
             "/app/manifest.json: device name 'my disk' has a character other than A-Z a-z 0-9 - _"),
            (#"{ "devices": [ { "name": "", "type": "net" } ] }"#, "/app/manifest.json: device name '' is empty"),
            (#"{ "devices": [ { "name": "\#(String(repeating: "n", count: 32))", "type": "net" } ] }"#,
             "is longer than 31 characters"),
            (#"{ "devices": [ { "name": "a-very-long-disk-name-21", "type": "block" } ] }"#,
             "is longer than 20 characters (a block device's name must fit the virtio-blk serial)"),
            (#"{ "devices": [ { "name": "x", "type": "net" }, { "name": "x", "type": "block" } ] }"#,
             "/app/manifest.json: device name 'x' is declared twice"),
            (#"{ "devices": [ { "name": "x", "type": "disk" } ] }"#,
             #"/app/manifest.json: device 1 ('x') has unknown type 'disk'; use "net" or "block""#),
            (#"{ "devices": [ { "type": "net" } ] }"#, #"/app/manifest.json: device 1 has no "name""#),
            (#"{ "devices": [ { "name": "x" } ] }"#, #"/app/manifest.json: device 1 ('x') has no "type""#),
            (#"{ "devices": { "name": "x" } }"#, "/app/manifest.json: expected an array at devices"),
            (#"{ "devices": [ { "name": 3, "type": "net" } ] }"#, "/app/manifest.json: expected a string at devices[0].name"),
            (#"{ "devices": [ "#, "/app/manifest.json: not valid JSON"),
        ]
        for (json, expected) in cases {
            let text = problem(json)
            XCTAssertTrue(text.hasPrefix("swiftlet: error: "), text)
            XCTAssertTrue(text.contains(expected), "\(json) -> \(text)")
            XCTAssertFalse(text.contains("\n"), text)
        }
        // 31 characters is fine for a net device, 20 for a block device.
        XCTAssertNoThrow(try parse(#"{ "devices": [ { "name": "\#(String(repeating: "n", count: 31))", "type": "net" }, { "name": "\#(String(repeating: "b", count: 20))", "type": "block" } ] }"#))
    }
}

/// docs/DEVICES.md §2: the option grammar and the default MAC.
final class DeviceOptionTests: XCTestCase {
    func parse(net: [String] = [], block: [String] = [], pcap: [String] = [], test: Bool = false) throws -> DeviceOptions {
        try DeviceOptions.parse(net: net, block: block, pcap: pcap, testBackends: test)
    }

    func problems(net: [String] = [], block: [String] = [], pcap: [String] = [], test: Bool = false) -> [String] {
        do {
            _ = try parse(net: net, block: block, pcap: pcap, test: test)
            return []
        } catch let error as DeviceProblems {
            return error.problems.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    func testNetBackends() throws {
        let options = try parse(net: ["service=tap:tap0", "a=socket:/tmp/s.sock,mac=02:00:00:00:00:01", "b=passt",
                                      "c=passt:tcp=8080:80,tcp=2222:22,udp=5353:53,mac=0A:bc:00:00:00:ff", "d=passt,udp=7"])
        XCTAssertEqual(options.net.map(\.backend), [
            .tap(interface: "tap0"), .socket(path: "/tmp/s.sock"), .passt(tcp: [], udp: []),
            .passt(tcp: [PortForward(host: 8080, guest: 80), PortForward(host: 2222, guest: 22)],
                   udp: [PortForward(host: 5353, guest: 53)]),
            .passt(tcp: [], udp: [PortForward(host: 7, guest: 7)]),
        ])
        XCTAssertEqual(options.net.map(\.name), ["service", "a", "b", "c", "d"])
        XCTAssertEqual(options.net[1].mac?.description, "02:00:00:00:00:01")
        XCTAssertEqual(options.net[3].mac?.description, "0a:bc:00:00:00:ff")
        XCTAssertNil(options.net[0].mac)
        XCTAssertEqual(options.net[0].text, "--net service=tap:tap0")
    }

    /// docs/DEVICES.md §6: `offload=on|off` (default on), once.
    func testOffloadOption() throws {
        let options = try parse(net: ["service=tap:tap0,offload=off", "a=tap:tap1,offload=on,mac=02:00:00:00:00:01",
                                      "b=tap:tap2", "c=passt,offload=off"])
        XCTAssertEqual(options.net.map(\.offload), [false, true, true, false])
        XCTAssertEqual(problems(net: ["s=tap:t0,offload=maybe"]),
                       ["swiftlet: error: --net s=tap:t0,offload=maybe: malformed 'offload=maybe'; write offload=on or offload=off"])
        XCTAssertEqual(problems(net: ["s=tap:t0,offload=off,offload=off"]),
                       ["swiftlet: error: --net s=tap:t0,offload=off,offload=off: offload= given twice; give it once"])
    }

    func testBlockAndPcap() throws {
        let options = try parse(block: ["storage=disk.img", "big=/d/x.img,block-size=4096", "odd=a,,b.img"],
                                pcap: ["service=/tmp/s.pcap"])
        XCTAssertEqual(options.block.map(\.source), [.file(path: "disk.img"), .file(path: "/d/x.img"), .file(path: "a,b.img")])
        XCTAssertEqual(options.block.map(\.blockSize), [512, 4096, 512])
        XCTAssertEqual(options.pcap, [PcapOption(name: "service", path: "/tmp/s.pcap", text: "--pcap service=/tmp/s.pcap")])
    }

    func testTestOnlyBackends() throws {
        let options = try parse(net: ["service=echo"], block: ["storage=temp:1048576", "other=temp:64K,block-size=4096"], test: true)
        XCTAssertEqual(options.net[0].backend, .echo)
        XCTAssertEqual(options.block.map(\.source), [.temporary(size: 1 << 20), .temporary(size: 64 << 10)])
        XCTAssertEqual(problems(net: ["service=echo"]),
                       ["swiftlet: error: --net service=echo: echo is a test-only backend; use it with swiftlet test, or give tap:, passt or socket:"])
        XCTAssertEqual(problems(block: ["storage=temp:1M"]),
                       ["swiftlet: error: --block storage=temp:1M: temp:SIZE is a test-only backend; use it with swiftlet test, or give a file"])
        XCTAssertEqual(problems(block: ["storage=temp:0"], test: true).count, 1)
        XCTAssertEqual(problems(block: ["storage=temp:1X"], test: true).count, 1)
    }

    func testSizes() {
        XCTAssertEqual(DeviceOptions.parseSize("4096"), 4096)
        XCTAssertEqual(DeviceOptions.parseSize("64K"), 65536)
        XCTAssertEqual(DeviceOptions.parseSize("2MiB"), 2 << 20)
        XCTAssertEqual(DeviceOptions.parseSize("1G"), 1 << 30)
        XCTAssertNil(DeviceOptions.parseSize("M"))
        XCTAssertNil(DeviceOptions.parseSize("-1"))
        XCTAssertNil(DeviceOptions.parseSize("99999999999999999999G"))
    }

    func testMalformedOptionsAreOneLineEach() {
        let lines = problems(net: ["service", "bad name=tap:x", "s=tap:", "s=tap:abcdefghijklmnop", "s=nope", "s=socket:",
                                   "s=tap:t0,mac=02:00:00:00:00", "s=tap:t0,mac=01:00:00:00:00:01", "s=tap:t0,mtu=9000",
                                   "s=passt:tcp=0:80", "s=passt:tcp=1:2:3", "s=tap:t0,tcp=1:1", "s=passt,mac=02:00:00:00:00:01,mac=02:00:00:00:00:02",
                                   "s=socket:/" + String(repeating: "x", count: 110)],
                             block: ["storage", "storage=", "storage=x,block-size=1024", "storage=x,bs=512", "storage=x,block-size=512,block-size=512"],
                             pcap: ["service=", "service=a,b"])
        XCTAssertEqual(lines.count, 21, lines.joined(separator: "\n"))
        for line in lines {
            XCTAssertTrue(line.hasPrefix("swiftlet: error: --"), line)
            XCTAssertTrue(line.contains("; "), "no remedy: \(line)")
            XCTAssertFalse(line.contains("\n"), line)
        }
        XCTAssertEqual(lines[0], "swiftlet: error: --net service: expected NAME=tap:IFACE|passt|socket:PATH; e.g. --net service=tap:IFACE|passt|socket:PATH")
        XCTAssertTrue(lines[7].contains("multicast"), lines[7])
        XCTAssertTrue(lines[8].contains("unknown setting 'mtu=9000'"), lines[8])
        XCTAssertTrue(lines[16].contains("block size '1024' is not supported; use block-size=512 or block-size=4096"), lines[16])
    }

    func testCommaEscapes() {
        XCTAssertEqual(DeviceOptions.splitSettings("a,,b,c"), ["a,b", "c"])
        XCTAssertEqual(DeviceOptions.splitSettings("a"), ["a"])
        XCTAssertEqual(DeviceOptions.splitSettings(""), [""])
        XCTAssertEqual(DeviceOptions.splitSettings("a,"), ["a", ""])
        XCTAssertEqual(DeviceArguments.escape("/x,y/z"), "/x,,y/z")
    }

    func testDefaultMACIsFNV1aOfTheName() {
        XCTAssertEqual(fnv1a32(""), 0x811c_9dc5)
        XCTAssertEqual(fnv1a32("a"), 0xe40c_292c)
        XCTAssertEqual(fnv1a32("foobar"), 0xbf9c_f968)
        XCTAssertEqual(MACAddress.derived(from: "service").description, "02:53:57:56:df:de")
        XCTAssertEqual(MACAddress.derived(from: "a").description, "02:53:57:e4:0c:29")
        XCTAssertFalse(MACAddress.derived(from: "second").isMulticast)
        XCTAssertNotEqual(MACAddress.derived(from: "service"), MACAddress.derived(from: "second"))
        XCTAssertThrowsError(try MACAddress.parse("02:53:57:56:df"))
        XCTAssertThrowsError(try MACAddress.parse("02:53:57:56:df:zz"))
        XCTAssertThrowsError(try MACAddress.parse("02:53:57:56:df:de:00"))
        XCTAssertThrowsError(try MACAddress.parse("002:53:57:56:df:de"))
        XCTAssertThrowsError(try MACAddress.parse("01:00:5e:00:00:01")) { XCTAssertEqual($0 as? DeviceSpec.MACProblem, .multicast) }
        XCTAssertThrowsError(try MACAddress.parse("00:00:00:00:00:00")) { XCTAssertEqual($0 as? DeviceSpec.MACProblem, .zero) }
        // One or two digits per byte, either case: the rule the tender and the boot words share.
        XCTAssertEqual(try MACAddress.parse("2:53:57:56:DF:de").description, "02:53:57:56:df:de")
    }
}

/// docs/DEVICES.md §2: matching options to the manifest and checking the host, with a fake host.
final class DevicePlanTests: XCTestCase {
    var directory: String!
    var host: DeviceHost!
    let manifest = Manifest(devices: [DeclaredDevice(name: "service", kind: .net), DeclaredDevice(name: "storage", kind: .block),
                                      DeclaredDevice(name: "second", kind: .net)], path: "/app/manifest.json")

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "swiftlet-plan-\(UUID().uuidString)"
        let fm = FileManager.default
        for interface in ["tap0", "tap1"] {
            try fm.createDirectory(atPath: "\(directory!)/net/\(interface)", withIntermediateDirectories: true)
            fm.createFile(atPath: "\(directory!)/net/\(interface)/tun_flags", contents: Data("0x1002\n".utf8))
        }
        try "9000\n".write(toFile: "\(directory!)/net/tap1/mtu", atomically: true, encoding: .utf8)
        try fm.createDirectory(atPath: "\(directory!)/net/eth0", withIntermediateDirectories: true)
        fm.createFile(atPath: "\(directory!)/tun", contents: Data())  // opens read-write like a usable /dev/net/tun
        fm.createFile(atPath: "\(directory!)/disk.img", contents: Data(count: 4096))
        fm.createFile(atPath: "\(directory!)/odd.img", contents: Data(count: 1000))
        fm.createFile(atPath: "\(directory!)/empty.img", contents: Data())
        fm.createFile(atPath: "\(directory!)/echo-peer.py", contents: Data())
        let listener = try DeviceSession.listeningSocket("\(directory!)/peer.sock")
        close(listener)
        host = DeviceHost(sysClassNet: directory + "/net", tunDevice: directory + "/tun",
                          which: { $0 == "python3" ? "/usr/bin/python3" : nil }, echoPeerScript: directory + "/echo-peer.py")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func plan(net: [String] = [], block: [String] = [], pcap: [String] = [], manifest: Manifest? = nil,
              host: DeviceHost? = nil) throws -> DevicePlan {
        let options = try DeviceOptions.parse(net: net, block: block, pcap: pcap, testBackends: true)
        return try DevicePlan.make(manifest: manifest ?? self.manifest, options: options, host: host ?? self.host)
    }

    func problems(net: [String] = [], block: [String] = [], pcap: [String] = [], manifest: Manifest? = nil,
                  host: DeviceHost? = nil) -> [String] {
        do {
            _ = try plan(net: net, block: block, pcap: pcap, manifest: manifest, host: host)
            return []
        } catch let error as DeviceProblems {
            return error.problems.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    func testAPlanFollowsTheManifestOrder() throws {
        let plan = try plan(net: ["second=socket:\(directory!)/peer.sock,mac=02:00:00:00:00:02", "service=tap:tap1"],
                            block: ["storage=\(directory!)/disk.img,block-size=4096"], pcap: ["service=\(directory!)/s.pcap"])
        XCTAssertEqual(plan.devices.map(\.name), ["service", "storage", "second"])
        XCTAssertEqual(plan.nets[0], PlannedNet(name: "service", backend: .tap(interface: "tap1"),
                                                mac: MACAddress.derived(from: "service"), mtu: 9000, pcap: "\(directory!)/s.pcap"))
        XCTAssertEqual(plan.nets[1].mtu, 1500)
        XCTAssertEqual(plan.nets[1].mac.description, "02:00:00:00:00:02")
        XCTAssertEqual(plan.blocks, [PlannedBlock(name: "storage", source: .file(path: "\(directory!)/disk.img"), blockSize: 4096,
                                                  capacity: 4096)])
        XCTAssertTrue(plan.summary.hasPrefix("net service (tap tap1, 02:53:57:56:df:de, mtu 9000, pcap "), plan.summary)
        XCTAssertTrue(plan.summary.contains("block storage (\(directory!)/disk.img, 1 x 4096 B)"), plan.summary)
    }

    func testNoManifestAndNoOptionsIsAnEmptyPlan() throws {
        XCTAssertTrue(try plan(manifest: Manifest()).isEmpty)
    }

    func testEveryProblemIsReportedOnItsOwnLine() {
        let lines = problems(net: ["service=tap:tap9", "other=echo", "storage=echo"],
                             block: ["second=\(directory!)/disk.img"], pcap: ["storage=x.pcap", "nobody=y.pcap"])
        XCTAssertEqual(lines, [
            "swiftlet: error: --net other=echo: the app declares no device 'other' in /app/manifest.json; it declares service (net), storage (block), second (net)",
            "swiftlet: error: --net storage=echo: 'storage' is a block device in /app/manifest.json; use --block storage=FILE",
            "swiftlet: error: --block second=\(directory!)/disk.img: 'second' is a net device in /app/manifest.json; use --net second=SPEC",
            "swiftlet: error: --pcap storage=x.pcap: 'storage' is a block device; --pcap records net devices only",
            "swiftlet: error: --pcap nobody=y.pcap: the app declares no device 'nobody' in /app/manifest.json; --pcap records a declared net device",
            "swiftlet: error: --net service=tap:tap9: no network interface tap9 (\(directory!)/net/tap9 does not exist); create it: ip tuntap add dev tap9 mode tap user $USER && ip link set tap9 up",
        ])
    }

    func testDeclaredDevicesNeedABackend() {
        XCTAssertEqual(problems(net: ["service=tap:tap0"]), [
            "swiftlet: error: block device 'storage' declared in /app/manifest.json has no backend; add --block storage=FILE (a raw file, e.g. made with truncate -s 1M FILE)",
            "swiftlet: error: net device 'second' declared in /app/manifest.json has no backend; add --net second=tap:IFACE, --net second=passt or --net second=socket:PATH",
        ])
        XCTAssertEqual(problems(net: ["service=tap:tap0"], manifest: Manifest()), [
            "swiftlet: error: --net service=tap:tap0: the app declares no device 'service' (the app has no manifest.json); it declares no devices",
        ])
    }

    func testDuplicates() {
        let lines = problems(net: ["service=tap:tap0", "service=tap:tap1", "second=echo"],
                             block: ["storage=temp:4096", "second=temp:4096"],
                             pcap: ["service=a.pcap", "service=b.pcap"])
        XCTAssertEqual(lines, [
            "swiftlet: error: --net service=tap:tap1: device 'service' already has a backend (--net service=tap:tap0); give one backend per device",
            "swiftlet: error: --block second=temp:4096: device 'second' already has a backend (--net second=echo); give one backend per device",
            "swiftlet: error: --pcap service=b.pcap: device 'service' already has a pcap (--pcap service=a.pcap); give one --pcap per device",
        ])
    }

    func testTapChecks() throws {
        XCTAssertEqual(problems(net: ["service=tap:eth0", "second=tap:tap0"], block: ["storage=temp:512"]),
                       ["swiftlet: error: --net service=tap:eth0: eth0 is not a TUN/TAP interface; give a TAP interface (ip tuntap add dev tapN mode tap user $USER)"])
        var noTun = host!
        noTun.tunDevice = directory + "/no-such-tun"
        let lines = problems(net: ["service=tap:tap0", "second=tap:tap1"], block: ["storage=temp:512"], host: noTun)
        XCTAssertEqual(lines.count, 1, "the tun device is checked once")
        XCTAssertTrue(lines[0].hasPrefix("swiftlet: error: --net service=tap:tap0: cannot open \(directory!)/no-such-tun read-write (No such file or directory); run as root"), lines[0])
    }

    func testPersistentTapOwnership() throws {
        try "1000\n".write(toFile: "\(directory!)/net/tap0/owner", atomically: true, encoding: .utf8)
        try "-1\n".write(toFile: "\(directory!)/net/tap0/group", atomically: true, encoding: .utf8)
        try "-1\n".write(toFile: "\(directory!)/net/tap1/owner", atomically: true, encoding: .utf8)
        try "-1\n".write(toFile: "\(directory!)/net/tap1/group", atomically: true, encoding: .utf8)
        let options = (net: ["service=tap:tap0", "second=tap:tap1"], block: ["storage=temp:512"])
        var owner = host!
        owner.userID = 1000
        owner.groupIDs = [1000]
        XCTAssertEqual(problems(net: options.net, block: options.block, host: owner), [
            "swiftlet: error: --net second=tap:tap1: tap1 may not be attached by you: it is root only (made without user=); run as root, or recreate it: ip tuntap add dev tap1 mode tap user $USER",
        ])
        var stranger = owner
        stranger.userID = 1001
        stranger.groupIDs = [1001]
        XCTAssertEqual(problems(net: options.net, block: options.block, host: stranger).first,
                       "swiftlet: error: --net service=tap:tap0: tap0 may not be attached by you: it is owned by uid 1000; run as root, or recreate it: ip tuntap add dev tap0 mode tap user $USER")
        var root = owner
        root.userID = 0
        XCTAssertEqual(problems(net: options.net, block: options.block, host: root), [])
    }

    func testPasstSocketAndEchoChecks() {
        let lines = problems(net: ["service=passt:tcp=8080:80", "second=socket:\(directory!)/none.sock"], block: ["storage=temp:512"])
        XCTAssertEqual(lines, [
            "swiftlet: error: --net service=passt:tcp=8080:80: passt is not installed (not on PATH); run ./swiftlet setup (or apt-get install passt)",
            "swiftlet: error: --net second=socket:\(directory!)/none.sock: no socket at \(directory!)/none.sock (No such file or directory); start the server that listens there first",
        ])
        XCTAssertEqual(problems(net: ["service=echo", "second=socket:\(directory!)/disk.img"], block: ["storage=temp:512"]), [
            "swiftlet: error: --net second=socket:\(directory!)/disk.img: \(directory!)/disk.img is not a UNIX socket; give the path a stream server listens on",
        ])
        var noPython = host!
        noPython.which = { _ in nil }
        XCTAssertEqual(problems(net: ["service=echo", "second=echo"], block: ["storage=temp:512"], host: noPython).count, 2)
    }

    func testBlockFileChecks() {
        let base = ["service=echo", "second=echo"]
        XCTAssertEqual(problems(net: base, block: ["storage=\(directory!)/missing.img"]),
                       ["swiftlet: error: --block storage=\(directory!)/missing.img: no such file \(directory!)/missing.img; create it, e.g. truncate -s 1M \(directory!)/missing.img"])
        XCTAssertEqual(problems(net: base, block: ["storage=\(directory!)/empty.img"]),
                       ["swiftlet: error: --block storage=\(directory!)/empty.img: \(directory!)/empty.img is empty (size 0); give it a size, e.g. truncate -s 1M \(directory!)/empty.img"])
        XCTAssertEqual(problems(net: base, block: ["storage=\(directory!)/odd.img"]),
                       ["swiftlet: error: --block storage=\(directory!)/odd.img: size 1000 of \(directory!)/odd.img is not a multiple of the block size 512; resize it (truncate -s 1024 \(directory!)/odd.img) or pick another block-size"])
        XCTAssertEqual(problems(net: base, block: ["storage=\(directory!)"]),
                       ["swiftlet: error: --block storage=\(directory!): \(directory!) is not a regular file; give a raw image file"])
        XCTAssertEqual(problems(net: base, block: ["storage=temp:1000"]),
                       ["swiftlet: error: --block storage=temp:1000: size 1000 is not a multiple of the block size 512; round it to a multiple of 512"])
        XCTAssertEqual(problems(net: base, block: ["storage=\(directory!)/disk.img,block-size=4096"]), [])
        XCTAssertEqual(problems(net: base, block: ["storage=\(directory!)/disk.img"], pcap: ["service=\(directory!)/nowhere/x.pcap"]),
                       ["swiftlet: error: --pcap service=\(directory!)/nowhere/x.pcap: no folder \(directory!)/nowhere for the pcap file; create it first"])
    }

    func testUnwritableBlockFile() throws {
        try XCTSkipIf(geteuid() == 0, "root may write any file")
        chmod("\(directory!)/disk.img", 0o400)
        let lines = problems(net: ["service=echo", "second=echo"], block: ["storage=\(directory!)/disk.img"])
        XCTAssertEqual(lines.count, 1)
        XCTAssertTrue(lines[0].contains("cannot read and write"), lines[0])
    }
}

/// docs/DEVICES.md §3 and §4: the exact command lines.
final class DeviceArgumentTests: XCTestCase {
    let devices: [DeviceAttachment] = [
        .net(name: "service", endpoint: .tap(interface: "tap0"), mac: MACAddress.derived(from: "service"), mtu: 1500,
             pcap: "/tmp/service.pcap"),
        .block(name: "storage", path: "/data/disk,1.img", blockSize: 4096),
        .net(name: "second", endpoint: .inheritedFD(3), mac: MACAddress([2, 0, 0, 0, 0, 2]), mtu: 1500, pcap: "/tmp/second.pcap"),
        .net(name: "peer", endpoint: .socket(path: "/run/peer.sock"), mac: MACAddress([2, 0, 0, 0, 0, 3]), mtu: 9000, pcap: nil),
    ]

    func testTenderArguments() {
        XCTAssertEqual(DeviceArguments.tender(devices), [
            "--net", "service=tap:tap0,mac=02:53:57:56:df:de,mtu=1500",
            "--block", "storage=/data/disk,,1.img,block-size=4096",
            "--net", "second=fd:3,mac=02:00:00:00:00:02,mtu=1500",
            "--net", "peer=socket:/run/peer.sock,mac=02:00:00:00:00:03,mtu=9000",
            "--pcap", "service=/tmp/service.pcap",
            "--pcap", "second=/tmp/second.pcap",
        ])
        XCTAssertEqual(ImageRunner.posixCommand(image: "/a.elf", devices: Array(devices.prefix(1)), bootArguments: ["x=1"]),
                       ["/a.elf", "--net", "service=tap:tap0,mac=02:53:57:56:df:de,mtu=1500",
                        "--pcap", "service=/tmp/service.pcap", "--", "x=1"])
        XCTAssertEqual(ImageRunner.posixCommand(image: "/a.elf", bootArguments: []), ["/a.elf", "--"])
    }

    /// `offload=off`: the tender gets `,offload=off` (a plain TAP), QEMU a tap netdev with `vnet_hdr=off`.
    func testOffloadOffArguments() {
        let plain: [DeviceAttachment] = [
            .net(name: "service", endpoint: .tap(interface: "tap0"), mac: MACAddress.derived(from: "service"), mtu: 1500,
                 pcap: nil, offload: false),
        ]
        XCTAssertEqual(DeviceArguments.tender(plain), ["--net", "service=tap:tap0,mac=02:53:57:56:df:de,mtu=1500,offload=off"])
        XCTAssertEqual(DeviceArguments.qemu(plain, machine: .microvm), [
            "-netdev", "tap,id=net-service,ifname=tap0,script=no,downscript=no,vnet_hdr=off",
            "-device", "virtio-net-device,netdev=net-service,mac=02:53:57:56:df:de,host_mtu=1500",
        ])
    }

    func testQEMUArgumentsOnPCAndQ35() {
        let expected = [
            "-netdev", "tap,id=net-service,ifname=tap0,script=no,downscript=no",
            "-device", "virtio-net-pci,netdev=net-service,mac=02:53:57:56:df:de,host_mtu=1500",
            "-object", "filter-dump,id=dump-service,netdev=net-service,file=/tmp/service.pcap",
            "-drive", "file=/data/disk,,1.img,format=raw,if=none,id=blk-storage,cache=writeback",
            "-device", "virtio-blk-pci,drive=blk-storage,serial=storage,logical_block_size=4096,physical_block_size=4096",
            "-netdev", "stream,id=net-second,server=off,addr.type=fd,addr.str=3",
            "-device", "virtio-net-pci,netdev=net-second,mac=02:00:00:00:00:02,host_mtu=1500",
            "-object", "filter-dump,id=dump-second,netdev=net-second,file=/tmp/second.pcap",
            "-netdev", "stream,id=net-peer,server=off,addr.type=unix,addr.path=/run/peer.sock",
            "-device", "virtio-net-pci,netdev=net-peer,mac=02:00:00:00:00:03,host_mtu=9000",
        ]
        XCTAssertEqual(DeviceArguments.qemu(devices, machine: .pc), expected)
        XCTAssertEqual(DeviceArguments.qemu(devices, machine: .q35), expected)
    }

    func testQEMUArgumentsOnMicrovm() {
        let arguments = DeviceArguments.qemu(devices, machine: .microvm)
        XCTAssertEqual(arguments.filter { $0.hasPrefix("virtio-") }, [
            "virtio-net-device,netdev=net-service,mac=02:53:57:56:df:de,host_mtu=1500",
            "virtio-blk-device,drive=blk-storage,serial=storage,logical_block_size=4096,physical_block_size=4096",
            "virtio-net-device,netdev=net-second,mac=02:00:00:00:00:02,host_mtu=1500",
            "virtio-net-device,netdev=net-peer,mac=02:00:00:00:00:03,host_mtu=9000",
        ])
        XCTAssertFalse(arguments.contains("-global"))
    }

    func testModernVirtio() {
        let pci = DeviceArguments.qemu(devices, machine: .q35, modern: true).filter { $0.hasPrefix("virtio-") }
        XCTAssertEqual(pci.count, 4)
        XCTAssertTrue(pci.allSatisfy { $0.hasSuffix(",disable-legacy=on,disable-modern=off") }, "\(pci)")
        let mmio = DeviceArguments.qemu(devices, machine: .microvm, modern: true)
        XCTAssertEqual(Array(mmio.prefix(2)), ["-global", "virtio-mmio.force-legacy=false"])
        XCTAssertFalse(mmio.contains { $0.contains("disable-legacy") })
        XCTAssertEqual(DeviceArguments.qemu([], machine: .microvm, modern: true), [])
    }

    func testBootWordsFollowTheBootArguments() {
        XCTAssertEqual(DeviceArguments.bootWords(devices),
                       ["@net.service=02:53:57:56:df:de", "@net.second=02:00:00:00:00:02", "@net.peer=02:00:00:00:00:03"])
        let command = ImageRunner.qemuCommand(image: "/i.elf", bootArguments: ["a=1"], machine: .pc, accelerator: .tcg,
                                              exitFile: "/tmp/x", devices: devices)
        XCTAssertEqual(command[command.firstIndex(of: "-append")! + 1],
                       "a=1 @net.service=02:53:57:56:df:de @net.second=02:00:00:00:00:02 @net.peer=02:00:00:00:00:03")
        XCTAssertEqual(Array(command.suffix(20)), DeviceArguments.qemu(devices, machine: .pc))
        let noArguments = ImageRunner.qemuCommand(image: "/i.elf", bootArguments: [], machine: .pc, accelerator: .tcg,
                                                  exitFile: "/tmp/x", devices: [devices[1]])
        XCTAssertFalse(noArguments.contains("-append"))
    }
}

/// The helpers a run starts: fds, the echo peer, temporary disks.
final class DeviceSessionTests: XCTestCase {
    func testChildGetsOnlyTheFDsMeant() throws {
        let leaked = open("/dev/null", O_RDONLY)  // not close-on-exec: must still not reach the child
        defer { close(leaked) }
        var pair: [Int32] = [-1, -1]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair), 0)
        defer { pair.forEach { close($0) } }
        // The shell's own fds, listed by a child while the shell waits (no pipes of its own then).
        let list = "ls /proc/$$/fd; readlink /proc/$$/fd/3"
        var child = Subprocess(["sh", "-c", list])
        child.stdout = .capture
        child.inheritedFDs = [pair[1]]
        let lines = try child.run().stdoutText.split(separator: "\n").map(String.init)
        XCTAssertEqual(Array(lines.dropLast()), ["0", "1", "2", "3"], "\(lines)")
        XCTAssertTrue(lines.last?.hasPrefix("socket:") == true, "\(lines)")

        var plain = Subprocess(["sh", "-c", "ls /proc/$$/fd"])
        plain.stdout = .capture
        XCTAssertEqual(try plain.run().stdoutText.split(separator: "\n"), ["0", "1", "2"])
    }

    func testEchoPeerSwapsMACsAndTemporaryDisksAreFresh() throws {
        try XCTSkipIf(Subprocess.which("python3") == nil, "no python3")
        let plan = DevicePlan(devices: [
            .net(PlannedNet(name: "service", backend: .echo, mac: MACAddress.derived(from: "service"), mtu: 1500, pcap: nil)),
            .block(PlannedBlock(name: "storage", source: .temporary(size: 8192), blockSize: 512, capacity: 8192)),
        ])
        let session = try DeviceSession.start(plan, target: .posix, runTimeout: 10, log: Log(output: { _ in }),
                                              host: .local(testProject))
        guard case .net(_, .socket(let path), _, _, _, _) = session.attachments[0],
              case .block(_, let disk, 512) = session.attachments[1] else {
            return XCTFail("\(session.attachments)")
        }
        var info = stat()
        XCTAssertEqual(stat(disk, &info), 0)
        XCTAssertEqual(info.st_size, 8192)
        XCTAssertEqual(session.helpers.count, 1)

        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(connected, 0)
        let frame: [UInt8] = [1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 0x08, 0x00, 0xaa, 0xbb]
        let runt: [UInt8] = [9, 9, 9]
        let message = [0, 0, 0, UInt8(frame.count)] + frame + [0, 0, 0, UInt8(runt.count)] + runt
        XCTAssertEqual(write(fd, message, message.count), message.count)
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        let deadline = Date().addingTimeInterval(5)
        while reply.count < message.count, Date() < deadline {
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            reply += buffer[0..<count]
        }
        XCTAssertEqual(reply, [0, 0, 0, 16, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0x08, 0x00, 0xaa, 0xbb, 0, 0, 0, 3, 9, 9, 9])

        let pid = session.helpers[0].process.pid
        let folder = session.directory!
        session.stop()
        XCTAssertNotEqual(kill(pid, 0), 0, "the echo peer is stopped")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder), "the temporary folder is gone")
    }
}

final class ManifestTargetTests: XCTestCase {
    func testTargetsLimitWhereAnAppBuilds() throws {
        let manifest = try Manifest.parse(Data(#"{ "targets": ["posix"] }"#.utf8), path: "m.json")
        XCTAssertEqual(manifest.targets, [.posix])
        XCTAssertNoThrow(try manifest.check(target: .posix, appName: "forbidden"))
        XCTAssertThrowsError(try manifest.check(target: .virtio, appName: "forbidden")) { error in
            let problem = (error as? SwiftletError)?.problem ?? ""
            XCTAssertTrue(problem.contains("forbidden is built for posix only"), problem)
        }
    }

    func testNoTargetsMeansEveryTarget() throws {
        let manifest = try Manifest.parse(Data(#"{ "devices": [] }"#.utf8))
        XCTAssertNil(manifest.targets)
        XCTAssertNoThrow(try manifest.check(target: .virtio, appName: "hello"))
    }

    func testUnknownTargetIsRefused() {
        XCTAssertThrowsError(try Manifest.parse(Data(#"{ "targets": ["wasm"] }"#.utf8)))
    }
}
