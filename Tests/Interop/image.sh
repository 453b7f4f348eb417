#!/usr/bin/env bash
# Deployment (docs/DEPLOY.md): disk images booted through firmware and GRUB with no -kernel, the Firecracker-shaped
# machine, and the generated Firecracker config. virtio only. Needs root (the http checks use lib.sh's namespace).
#
#   bios        `swiftlet image hello --format qcow2 --boot both -- name=image` booted by QEMU itself on -M pc
#               (SeaBIOS, IDE disk, no -kernel): the baked boot argument reaches the app, exit status 0
#   uefi        the same qcow2 on -M q35 with OVMF, with `-smbios type=11,value=swiftlet:name=override`: the OEM string
#               overrides the baked argument, exit status 0
#   http        `swiftlet run http --boot bios --machine q35` (a raw image, words through SMBIOS) on a TAP in a
#               namespace: curl gets the 612-byte index page, 200
#   firecracker `--machine firecracker` (microvm without RTC, ACPI or debug ports; an i8042): exit-code's status 7 comes
#               back through the console and the i8042 reset; http served over virtio-mmio net
#   fc-config   `swiftlet image http --emit firecracker` validates against Firecracker's published schema
#               (Tests/Deploy/validate_firecracker.py); a config with an unknown field is refused by the same check
#   kubevirt    `swiftlet image http --emit kubevirt` (BIOS and UEFI) validates against KubeVirt's published
#               v1.VirtualMachine schema (Tests/Deploy/validate_kubevirt.py); a misspelt field is refused
#   nomad       `swiftlet image http --emit nomad` validates against the strict schema derived from Nomad's API
#               structs and QEMU driver spec (Tests/Deploy/validate_nomad.py); a misspelt field and an args reference to
#               an undeclared port are refused. Then the QEMU command line Nomad's driver would build from the job
#               (Tests/Deploy/nomad_qemu_command.py, with the artifact in the task's local/) boots in the namespace:
#               GET / through the job's user-mode port forward is 200 with the 612-byte page at guest port 8080,
#               which the app listens on only if the job's SMBIOS OEM string (port=8080) reached it
#
# Not run here (no KVM with hardware virtualisation): Firecracker itself; no Nomad binary or cluster: Nomad itself. usage: Tests/Interop/image.sh virtio
set -uo pipefail
TARGET=${1:-}
CHECK=image
source "$(dirname "$0")/lib.sh"
[ "$TARGET" = virtio ] || { echo "skip [$TARGET] interop image: disk images are virtio only"; exit 0; }
command -v curl >/dev/null || fail "no curl (apt-get install curl)"
for tool in grub-mkrescue xorriso mformat qemu-img; do
  command -v $tool >/dev/null || fail "no $tool (./swiftlet setup installs grub-pc-bin grub-efi-amd64-bin xorriso mtools qemu-utils)"
done
[ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || fail "no OVMF (apt-get install ovmf)"
WORK=$(mktemp -d /tmp/swiftlet-image.XXXXXX)
trap 'rm -rf "$WORK"; interop_cleanup' EXIT

# boot_disk LABEL MACHINE DISK [QEMU OPTIONS...]: boots DISK with QEMU alone (no swiftlet run), at most 120 s;
# leaves the console in $WORK/LABEL.log and QEMU's status in $qemu_status.
boot_disk() {
  local label=$1 machine=$2 disk=$3
  shift 3
  timeout 120 qemu-system-x86_64 -M "$machine" -accel tcg -cpu max -m 128M -display none -serial stdio -no-reboot \
    -nodefaults -drive "file=$disk,format=qcow2,if=ide,media=disk,snapshot=on" \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 "$@" </dev/null >"$WORK/$label.log" 2>&1
  qemu_status=$?
}

out=$("$ROOT/swiftlet" image hello --format qcow2 --boot both -o "$WORK/hello.qcow2" -- name=image 2>&1)
disk=$(tail -1 <<<"$out")
[ "$disk" = "$WORK/hello.qcow2" ] && [ -s "$disk" ] || fail "swiftlet image printed '${disk}' (wanted $WORK/hello.qcow2): $out"
kind=$(qemu-img info --output=json "$disk" | python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])')

start=$(date +%s.%N)
boot_disk bios pc "$disk"
took=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$start" "$(date +%s.%N)")
# isa-debug-exit: QEMU exits with (status << 1) | 1, so 1 is the app's 0.
tr -d "\r" <"$WORK/bios.log" >"$WORK/bios.txt"
if grep -aq "^Hello from Swiftlet, image!" "$WORK/bios.txt" && grep -aq "^goodbye" "$WORK/bios.txt" && [ $qemu_status = 1 ]; then
  ok "bios: the $kind image boots on -M pc (SeaBIOS, GRUB, no -kernel): baked name=image reached hello, status 0 ($took s)"
else
  failed "bios: QEMU status $qemu_status; console: $(tr -d '\r' <"$WORK/bios.log" | grep -a . | tail -3 | tr '\n' '|')"
fi

cp /usr/share/OVMF/OVMF_VARS_4M.fd "$WORK/vars.fd"
start=$(date +%s.%N)
boot_disk uefi q35 "$disk" -drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
  -drive "if=pflash,format=raw,unit=1,file=$WORK/vars.fd" -smbios "type=11,value=swiftlet:name=override"
took=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$start" "$(date +%s.%N)")
tr -d "\r" <"$WORK/uefi.log" >"$WORK/uefi.txt"
if grep -aq "^Hello from Swiftlet, override!" "$WORK/uefi.txt" && grep -aq "^goodbye" "$WORK/uefi.txt" && [ $qemu_status = 1 ]; then
  ok "uefi: the same image boots on -M q35 with OVMF (GRUB after ExitBootServices); the SMBIOS OEM string" \
    "overrode the baked argument, status 0 ($took s)"
else
  failed "uefi: QEMU status $qemu_status; console: $(tr -d '\r' <"$WORK/uefi.log" | grep -a . | tail -3 | tr '\n' '|')"
fi

# http from a disk image (BIOS on q35: AHCI disk, virtio-net-pci on the TAP).
APP_RUN_OPTIONS=(--boot bios --machine q35)
start=$(date +%s.%N)
start_app http
code=$(in_ns curl -s -m 60 --retry 3 --retry-connrefused -o "$WORK/index" -w '%{http_code}' "http://$APP_IP/")
took=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$start" "$(date +%s.%N)")
if [ "$code" = 200 ] && [ "$(stat -c %s "$WORK/index")" = 612 ]; then
  ok "http: served from a BIOS disk image on q35: GET / is 200, 612 bytes ($took s from start to the page)"
else
  failed "http from the disk image: status ${code:-none}, $(stat -c %s "$WORK/index" 2>/dev/null || echo 0) bytes"
fi
stop_app

# The Firecracker-shaped machine: the exit path without debug ports, and a NIC over virtio-mmio.
"$ROOT/swiftlet" run exit-code --target virtio --machine firecracker -- status=7 >"$WORK/fc.log" 2>&1
fc_status=$?
if [ $fc_status = 7 ] && grep -aq "^swiftlet-exit: 7" "$WORK/fc.log"; then
  ok "firecracker: exit-code's status 7 came back through the console and the i8042 reset (no isa-debug-exit)"
else
  failed "firecracker: exit status $fc_status (wanted 7); console: $(tail -2 "$WORK/fc.log" | tr '\n' '|')"
fi
APP_RUN_OPTIONS=(--machine firecracker)
start_app http
code=$(in_ns curl -s -m 30 -o "$WORK/index" -w '%{http_code}' "http://$APP_IP/")
if [ "$code" = 200 ] && [ "$(stat -c %s "$WORK/index")" = 612 ]; then
  ok "firecracker: http over virtio-mmio net on the Firecracker-shaped microvm: GET / is 200, 612 bytes"
else
  failed "firecracker: http status ${code:-none}"
fi
stop_app

config=$("$ROOT/swiftlet" image http --emit firecracker -o "$WORK/http.json" -- ip=10.0.0.2/24 gw=10.0.0.1 2>&1 | tail -1)
if out=$(python3 "$ROOT/Tests/Deploy/validate_firecracker.py" "$config" 2>&1); then ok "fc-config: ${out#ok }"
else failed "fc-config: $out"; fi
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["machine-config"]["vcpus"]=1; json.dump(c, open(sys.argv[2],"w"))' \
  "$config" "$WORK/bad.json"
if out=$(python3 "$ROOT/Tests/Deploy/validate_firecracker.py" "$WORK/bad.json" 2>&1); then
  failed "fc-config: a config with an unknown field passed the check"
else
  ok "fc-config: an unknown field is refused (${out##*: })"
fi

for firmware in bios uefi; do
  manifest=$("$ROOT/swiftlet" image http --emit kubevirt --boot $firmware -o "$WORK/kv-$firmware/http.yaml" 2>&1 | tail -1)
  if [ -s "$WORK/kv-$firmware/Containerfile" ] && [ -s "$WORK/kv-$firmware/http.$firmware.qcow2" ] &&
    out=$(python3 "$ROOT/Tests/Deploy/validate_kubevirt.py" "$manifest" 2>&1); then
    ok "kubevirt ($firmware): ${out#ok }, with its Containerfile and qcow2"
  else
    failed "kubevirt ($firmware): ${out:-no manifest} ($(ls "$WORK/kv-$firmware" 2>/dev/null | tr '\n' ' '))"
  fi
done
sed 's/bootOrder:/bootorder:/' "$WORK/kv-bios/http.yaml" >"$WORK/kv-bad.yaml"
if out=$(python3 "$ROOT/Tests/Deploy/validate_kubevirt.py" "$WORK/kv-bad.yaml" 2>&1); then
  failed "kubevirt: a manifest with a misspelt field passed the check"
else
  ok "kubevirt: a misspelt field is refused (${out##*: })"
fi

mkdir -p "$WORK/nomad/task/local"
job=$("$ROOT/swiftlet" image http --emit nomad --accel tcg --artifact http://files.invalid/http.bios.qcow2 \
  --guest-port 8080 -o "$WORK/nomad/http.nomad.json" -- port=8080 2>&1 | tail -1)
if [ -s "$WORK/nomad/http.bios.qcow2" ] && out=$(python3 "$ROOT/Tests/Deploy/validate_nomad.py" "$job" 2>&1); then
  ok "nomad: ${out#ok }, with its qcow2"
else
  failed "nomad: ${out:-no job} ($(ls "$WORK/nomad" 2>/dev/null | tr '\n' ' '))"
fi
sed 's/"MemoryMB"/"MemoryMb"/' "$job" >"$WORK/nomad-bad.json"
if out=$(python3 "$ROOT/Tests/Deploy/validate_nomad.py" "$WORK/nomad-bad.json" 2>&1); then
  failed "nomad: a job with a misspelt field passed the check"
else
  ok "nomad: a misspelt field is refused (${out##*: })"
fi
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); del j["Job"]["TaskGroups"][0]["Networks"]; json.dump(j, open(sys.argv[2],"w"))' \
  "$job" "$WORK/nomad-noport.json"
if out=$(python3 "$ROOT/Tests/Deploy/validate_nomad.py" "$WORK/nomad-noport.json" 2>&1); then
  failed "nomad: a job whose args name an undeclared port passed the check"
else
  ok "nomad: args naming a port the group does not declare are refused"
fi
# What a Nomad client would run: the artifact in local/, NOMAD_IP_http/NOMAD_HOST_PORT_http set, cwd the task directory.
cp "$WORK/nomad/http.bios.qcow2" "$WORK/nomad/task/local/"
make_namespace
mapfile -t argv < <(python3 "$ROOT/Tests/Deploy/nomad_qemu_command.py" "$job" NOMAD_IP_http=127.0.0.1 NOMAD_HOST_PORT_http=28080)
start=$(date +%s.%N)
(cd "$WORK/nomad/task" && exec ip netns exec "$NS" timeout 150 "${argv[@]}" </dev/null >"$WORK/nomad.log" 2>&1) &
nomad_pid=$!
code=000
for _ in $(seq 1 120); do
  code=$(in_ns curl -s -m 2 -o "$WORK/nomad-index" -w '%{http_code}' http://127.0.0.1:28080/ 2>/dev/null)
  [ "$code" = 200 ] && break
  kill -0 $nomad_pid 2>/dev/null || break
  sleep 1
done
took=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$start" "$(date +%s.%N)")
kill $nomad_pid 2>/dev/null
ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null
wait $nomad_pid 2>/dev/null
if [ "$code" = 200 ] && [ "$(stat -c %s "$WORK/nomad-index")" = 612 ]; then
  ok "nomad: the driver's command line for the job (-M pc, IDE, -nographic + args) served GET / (200, 612 bytes)" \
    "through the hostfwd of the job's http port to guest port 8080 (the OEM string's port=8080: the app got it), $took s"
else
  failed "nomad: driver command line: status $code after $took s; argv: ${argv[*]}; console:" \
    "$(tr -d '\r' <"$WORK/nomad.log" | grep -a . | tail -3 | tr '\n' '|')"
fi
exit $status
