/// dns-lookup: the DHCP and DNS sample. Brings up `service` (by DHCP, or with a static address), looks up the name
/// in the boot arguments with the stack's resolver and prints its IPv4 address.
///
///     swiftlet run dns-lookup --net service=tap:tap0 -- name=example.com
///     swiftlet run dns-lookup --net service=tap:tap0 -- ip=10.0.0.2/24 gw=10.0.0.1 dns=10.0.0.1 name=example.com
///
/// Boot arguments: `name=` (required) the name to look up; `ip=dhcp` (the default) or `ip=a.b.c.d/n` with
/// optional `gw=` and `dns=a.b.c.d[,...]`; `timeout=S` seconds for DHCP and for the lookup (default 30 and 10).
/// Prints `dns-lookup: NAME is A.B.C.D` and exits 0; prints why and exits 1 when the stack does not come up or the
/// lookup fails; exits 2 on bad boot arguments.
import Net
import Runtime

@main
struct DNSLookupSample: Application {
    /// The sample's diagnostics (subsystem `dns-lookup`, docs/OBSERVABILITY.md).
    static let log = Log("dns-lookup")

    static func run(_ arguments: BootArguments) async -> Int32 {
        guard let name = arguments["name"], !name.isEmpty else {
            log.error("usage: name=NAME [ip=dhcp | ip=a.b.c.d/n [gw=a.b.c.d] [dns=a.b.c.d]] [timeout=S]")
            return 2
        }
        let configuration: StackConfiguration
        do throws(StackConfigurationError) {
            configuration = try StackConfiguration(bootArguments: arguments)
        } catch {
            log.error("\(error)")
            return 2
        }
        let seconds = arguments.integer("timeout")
        let stack: NetworkStack
        do throws(NetworkStackError) {
            stack = try await NetworkStack.up(
                device: "service", configuration: configuration, timeout: .seconds(Int64(seconds ?? 30)))
        } catch {
            log.error("cannot bring up 'service' (\(configuration)): \(error)")
            return 1
        }
        if let lease = stack.lease {
            print("dns-lookup: mac \(stack.mac) bound \(lease)")
        } else {
            print("dns-lookup: mac \(stack.mac) \(configuration)")
        }
        do throws(DNSLookupError) {
            let address = try await stack.resolve(name, timeout: .seconds(Int64(seconds ?? 10)))
            print("dns-lookup: \(name) is \(address)")
            return 0
        } catch {
            var servers = ""
            for server in stack.dnsServers { servers += " \(server)" }
            log.error("cannot resolve \(name): \(error) (servers:\(servers.isEmpty ? " none" : servers))")
            return 1
        }
    }
}
