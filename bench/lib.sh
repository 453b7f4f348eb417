# Shared by bench/net.sh and bench/tcp.sh (source it after setting NS and NSK, before its functions run): the two namespaces every network
# benchmark uses, and the median of repeated runs.
#
#   namespace A ($NS):  swlt0, a TAP with 10.0.0.1/24 (the app's link), and swlv0 10.0.1.1/24, one end of a veth
#   namespace B ($NSK): swlv1 10.0.1.2/24, the veth's other end: the Linux kernel as the peer
# The caller deletes both namespaces in its cleanup.

# stop_pids_and_namespaces PID...: stops the given processes (by pid), then whatever still runs in A and B, and
# deletes both namespaces: the common part of each script's cleanup.
stop_pids_and_namespaces() {
  for pid in "$@"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  for ns in $NS $NSK; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
}

in_a() { ip netns exec "$NS" "$@"; }
in_b() { ip netns exec "$NSK" "$@"; }

# make_namespaces: creates A and B as above; returns non-zero when the namespaces cannot be made.
make_namespaces() {
  ip netns add "$NS" && ip netns add "$NSK" || return 1
  in_a ip link set lo up
  in_b ip link set lo up
  in_a ip tuntap add dev swlt0 mode tap
  in_a ip link add swlv0 type veth peer name swlv1 netns "$NSK"
  in_a sysctl -qw net.ipv6.conf.swlt0.disable_ipv6=1 net.ipv6.conf.swlv0.disable_ipv6=1
  in_b sysctl -qw net.ipv6.conf.swlv1.disable_ipv6=1
  in_a ip addr add 10.0.0.1/24 dev swlt0
  in_a ip addr add 10.0.1.1/24 dev swlv0
  in_b ip addr add 10.0.1.2/24 dev swlv1
  for dev in swlt0 swlv0; do in_a ip link set $dev up; done
  in_b ip link set swlv1 up
}

# The median of the arguments (numbers), or the first one that is not a number (a failure note).
median() {
  python3 -c "
import sys
try: v = sorted(float(x) for x in sys.argv[1:]); print(v[len(v) // 2])
except ValueError: print(next(x for x in sys.argv[1:] if not x.replace('.', '').isdigit()))" "$@"
}
