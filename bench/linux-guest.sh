# bench/linux-guest.sh — the Linux guest peers' initramfs (sourced by bench/guest.sh and bench/fleet.sh): Debian's
# static busybox, the kernel modules a guest needs (in modprobe's dependency order, so busybox's insmod can load
# them), and the start of /init up to the modules being loaded; the caller appends what its guest runs.

# linux_guest_initramfs DIR KVER MODULE...: lays out DIR; fails (with a message) when a module is missing.
linux_guest_initramfs() {
  local dir=$1 kver=$2
  shift 2
  mkdir -p "$dir/bin" "$dir/modules" "$dir/www" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/tmp" "$dir/etc" "$dir/run"
  cp /bin/busybox "$dir/bin/busybox"
  : >"$dir/modules/order"
  for module in "$@"; do
    modprobe -S "$kver" --show-depends "$module" 2>/dev/null | awk '$1 == "insmod" { print $2 }'
  done | awk '!seen[$0]++' | while read -r ko; do
    cp "$ko" "$dir/modules/" && basename "$ko" >>"$dir/modules/order"
  done
  [ -s "$dir/modules/order" ] || { echo "no modules $* for $kver (apt-get install linux-image-$kver)" >&2; return 1; }
  cat >"$dir/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for ko in $(cat /modules/order); do insmod /modules/$ko; done
INIT
  chmod +x "$dir/init"
}

# page_612 FILE TITLE: a 612-byte HTML page (the size of Samples/http's index) whose heading is TITLE.
page_612() {
  python3 -c 'import sys; head = "<!DOCTYPE html><html><body><h1>" + sys.argv[2] + "</h1>"; tail = "</body></html>\n"; open(sys.argv[1], "w").write(head + "x" * (612 - len(head) - len(tail)) + tail)' "$1" "$2"
}
