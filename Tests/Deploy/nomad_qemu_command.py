#!/usr/bin/env python3
"""Prints, one argument per line, the QEMU command line Nomad's QEMU task driver would run for a job's first task,
so that a test can boot exactly that without a Nomad cluster.

The steps follow StartTask in drivers/qemu/driver.go of github.com/hashicorp/nomad (commit
aa026cc99cfb74a77e519a1c1f0c78ba1b452705), restated here, not copied: emulator qemu-system-x86_64; `-machine
type=M,accel=A` (defaults pc, tcg); `-name` the image's file name; `-m` the task's MemoryMB (128 to 4000000, else
refused); `-drive file=IMAGE,if=I,id=image0` (default ide); `-nographic`; the job's args; `-enable-kvm` when the
accelerator is kvm. The driver config is interpolated first: ${NAME} becomes the task environment's NAME, an unknown
name is left as it is. Not reproduced: the driver's own NIC from port_map, which it adds only for a task-level
network (deprecated; this script refuses a job that relies on it), graceful_shutdown's monitor socket and the
guest agent (refused too).

usage: nomad_qemu_command.py JOB.json NAME=VALUE...   (the NOMAD_* variables the client would set)
"""
import json
import posixpath
import re
import sys


def main():
    job = json.load(open(sys.argv[1]))["Job"]
    env = dict(word.split("=", 1) for word in sys.argv[2:])
    task = job["TaskGroups"][0]["Tasks"][0]
    config = json.loads(re.sub(r"\$\{([A-Za-z0-9_.]+)\}", lambda m: env.get(m.group(1), m.group(0)),
                               json.dumps(task["Config"])))
    for unsupported in ("port_map", "graceful_shutdown", "guest_agent"):
        if config.get(unsupported):
            sys.exit(f"nomad_qemu_command.py: {unsupported} is not reproduced")
    memory = task["Resources"]["MemoryMB"]
    if not 128 <= memory <= 4000000:
        sys.exit(f"nomad_qemu_command.py: the driver refuses MemoryMB {memory} (QEMU memory assignment out of bounds)")
    emulator = config.get("emulator", "x86_64").removeprefix("qemu-system-")
    accel = config.get("accelerator") or "tcg"
    image = config["image_path"]
    argv = [f"qemu-system-{emulator}", "-machine", f"type={config.get('machine_type') or 'pc'},accel={accel}",
            "-name", posixpath.basename(image), "-m", f"{memory}M",
            "-drive", f"file={image},if={config.get('drive_interface') or 'ide'},id=image0", "-nographic"]
    argv += config.get("args", [])
    if accel == "kvm":
        argv.append("-enable-kvm")
    print("\n".join(argv))


if __name__ == "__main__":
    main()
