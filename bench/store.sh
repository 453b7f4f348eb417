#!/usr/bin/env bash
# bench/store.sh — the store (Samples/store-bench) against SQLite (WAL, synchronous=FULL) and LMDB (default, synced
# commits) through their C APIs (bench/store_peer.c), on files in the same file system, in the same run; dev mode
# (posix) against the peers, prod (virtio, QEMU TCG, a raw -drive with cache=writeback so flushes reach the file)
# beside them with smaller counts.
#
#   put1       durable single-key puts/s, 1 writer                 (higher is better)
#   put16      durable single-key puts/s, 16 concurrent writers     (higher is better; group commit)
#   load       keys/s loaded in batches of 1,000                    (higher is better)
#   get        random gets/s, warm                                  (higher is better)
#   scan       prefix-scan keys/s                                   (higher is better)
#   overwrite  bytes on disk after N random overwrites              (lower is better)
#
# usage: bench/store.sh [KEYS] [PUTS] [VIRTIO_DIVISOR]   (defaults 1000000 2000 20: prod runs KEYS/20 and PUTS/20)
# Prints a table: ops/s (or bytes) for each, and the ratios swiftlet/sqlite and swiftlet/lmdb.
set -euo pipefail
cd "$(dirname "$0")/.."
KEYS=${1:-1000000}
PUTS=${2:-2000}
DIVISOR=${3:-20}
WORK=$(mktemp -d "$PWD/.build-bench-store.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

if ! [ -f /usr/include/lmdb.h ] || ! [ -f /usr/include/sqlite3.h ]; then
  [ "$(id -u)" = 0 ] || { echo "bench/store.sh: needs liblmdb-dev and libsqlite3-dev (run as root to install)"; exit 2; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq liblmdb-dev libsqlite3-dev >/dev/null
fi
cc -O2 -Wall -o "$WORK/store_peer" bench/store_peer.c -lsqlite3 -llmdb -lpthread

workloads="put1 put16 load get scan overwrite"
count_for() { case "$1" in put1 | put16) echo "$2" ;; *) echo "$3" ;; esac; }

# peer PEER WORKLOAD COUNT -> "ops ns bytes"
peer() {
  local dir
  dir=$(mktemp -d "$WORK/$1.XXXX")
  "$WORK/store_peer" "$1" "$dir" "$2" "$3" | sed -n 's/.* ops=\([0-9]*\) ns=\([0-9]*\) bytes=\([0-9]*\)/\1 \2 \3/p'
  rm -rf "$dir"
}

# The store's page cache, in 4 KiB pages, for COUNT keys: room for the whole tree (about COUNT / 30 leaves of
# 16-byte keys and 100-byte values, and their branches), at most 160 MiB of the 256 MiB guest. "Warm" gets and
# scans then read cached pages, as the peers' read the OS page cache (LMDB through its memory map).
cache_for() { local c=$(( $1 / 20 + 1024 )); echo $(( c > 40960 ? 40960 : c )); }

# ours TARGET WORKLOAD COUNT -> "ops ns bytes" (a fresh 2 GiB sparse disk each run; 4 KiB blocks)
ours() {
  local disk="$WORK/disk-$1.img" line
  rm -f "$disk"
  truncate -s 2G "$disk"
  line=$(./swiftlet run store-bench --target "$1" --memory 256M --block "storage=$disk,block-size=4096" -- \
    workload="$2" count="$3" cache="$(cache_for "$3")" 2>&1 | tee "$WORK/last.log" | grep "^$2 swiftlet ops=" || true)
  rm -f "$disk"
  [ -n "$line" ] || { echo "bench/store.sh: store-bench $1 $2 failed:" >&2; tail -5 "$WORK/last.log" >&2; echo "0 1 0"; return; }
  sed -n 's/.* ops=\([0-9]*\) ns=\([0-9]*\) bytes=\([0-9]*\)/\1 \2 \3/p' <<<"$line"
}

rate() { python3 -c "import sys; o,n=int(sys.argv[1]),int(sys.argv[2]); print(f'{o*1e9/n:.0f}' if n else '0')" "$1" "$2"; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}x' if b else 'n/a')" "$1" "$2"; }

./swiftlet build store-bench --target posix >/dev/null
./swiftlet build store-bench --target virtio >/dev/null
echo "# Swiftlet store benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(df -T "$WORK" | awk 'NR==2 {print $2}') file system"
echo "# bench/store.sh $KEYS $PUTS $DIVISOR: keys 16 B, values 100 B; prod (virtio, TCG) with counts / $DIVISOR;" \
  "store cache $(cache_for "$KEYS") pages for $KEYS keys"
echo
printf '| %-9s | %-14s | %-14s | %-14s | %-11s | %-11s | %-16s |\n' workload swiftlet sqlite lmdb "vs sqlite" "vs lmdb" "prod (TCG)"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' ----------- ---------------- ---------------- ---------------- ------------- ------------- ------------------
for w in $workloads; do
  n=$(count_for "$w" "$PUTS" "$KEYS")
  read -r o1 t1 b1 < <(ours posix "$w" "$n")
  read -r o2 t2 b2 < <(peer sqlite "$w" "$n")
  read -r o3 t3 b3 < <(peer lmdb "$w" "$n")
  read -r o4 t4 b4 < <(ours virtio "$w" "$(( n / DIVISOR > 16 ? n / DIVISOR : 16 ))")
  if [ "$w" = overwrite ]; then
    # Bytes on disk: lower is better, so the ratio is peer/swiftlet (above 1: we use less).
    printf '| %-9s | %-14s | %-14s | %-14s | %-11s | %-11s | %-16s |\n' "$w (B)" "$b1" "$b2" "$b3" \
      "$(ratio "$b2" "$b1")" "$(ratio "$b3" "$b1")" "$b4"
  else
    a=$(rate "$o1" "$t1"); b=$(rate "$o2" "$t2"); c=$(rate "$o3" "$t3")
    printf '| %-9s | %-14s | %-14s | %-14s | %-11s | %-11s | %-16s |\n' "$w (/s)" "$a" "$b" "$c" \
      "$(ratio "$a" "$b")" "$(ratio "$a" "$c")" "$(rate "$o4" "$t4")"
  fi
done
echo
echo "Ratios are swiftlet/peer for rates and peer/swiftlet for bytes on disk: above 1.00x, Swiftlet is ahead."
