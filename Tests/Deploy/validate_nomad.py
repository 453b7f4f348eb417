#!/usr/bin/env python3
"""Validates a Nomad job file for the QEMU task driver (`nomad job run -json FILE`) against the strict schema of
schemas/nomad-job-qemu.json, derived from Nomad's API structs and the QEMU driver's task config spec (its
"$comment" names the source and commit; see schemas/README.md). HashiCorp publishes no JSON schema for jobs, and
Go's encoding/json ignores unknown keys, so a misspelt field would be dropped silently by Nomad: this check refuses it.

Beyond the schema, what the driver would trip over at start (drivers/qemu/driver.go StartTask):
  - image_path must be where an artifact lands (RelativeDest in file mode, or the source's file name under it)
  - every ${NOMAD_HOST_PORT_L} / ${NOMAD_PORT_L} / ${NOMAD_IP_L} in args and every port_map label must name a port of
    the group's network

usage: validate_nomad.py JOB.json    prints `ok ...` or `FAIL ...` lines; exit 0 when valid
"""
import json
import pathlib
import posixpath
import re
import sys
import urllib.parse

import jsonschema

from strict_schema import strict


def artifact_paths(task):
    """The paths (relative to the task directory) where the task's artifacts land."""
    paths = []
    for artifact in task.get("Artifacts", []):
        source = urllib.parse.urlparse(artifact["GetterSource"]).path
        dest = artifact.get("RelativeDest")
        if artifact.get("GetterMode", "any") == "file":
            paths.append(posixpath.normpath(dest or posixpath.join("local", posixpath.basename(source))))
        else:
            paths.append(posixpath.normpath(posixpath.join(dest or "local/", posixpath.basename(source))))
    return paths


def semantic_problems(job):
    problems = []
    for g, group in enumerate(job.get("TaskGroups", [])):
        labels = set()
        for network in group.get("Networks", []):
            for port in network.get("DynamicPorts", []) + network.get("ReservedPorts", []):
                labels.add(port["Label"])
        for t, task in enumerate(group.get("Tasks", [])):
            where = f"TaskGroups/{g}/Tasks/{t}"
            config = task.get("Config", {})
            image = config.get("image_path")
            if image and posixpath.normpath(image) not in artifact_paths(task):
                problems.append(f"{where}/Config/image_path: {image!r} is not where an artifact lands "
                                f"({', '.join(artifact_paths(task)) or 'no artifacts'})")
            for arg in config.get("args", []):
                for label in re.findall(r"\$\{NOMAD_(?:HOST_PORT|PORT|IP|ADDR|HOST_IP|HOST_ADDR)_([A-Za-z0-9_]+)\}", arg):
                    if label not in labels:
                        problems.append(f"{where}/Config/args: {arg!r} names port {label!r}, which the group's "
                                        f"network does not declare ({', '.join(sorted(labels)) or 'none'})")
            for mapping in config.get("port_map", []):
                for label in mapping:
                    if label not in labels:
                        problems.append(f"{where}/Config/port_map: unknown port label {label!r}")
    return problems


def main():
    spec = json.loads((pathlib.Path(__file__).parent / "schemas" / "nomad-job-qemu.json").read_text())
    schema = strict(spec)
    try:
        document = json.loads(pathlib.Path(sys.argv[1]).read_text())
    except json.JSONDecodeError as error:
        print(f"FAIL nomad job {sys.argv[1]}: not JSON: {error}")
        return 1
    problems = [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
                for e in jsonschema.Draft4Validator(schema).iter_errors(document)]
    if not problems:
        problems = semantic_problems(document["Job"])
    if problems:
        for problem in problems:
            print(f"FAIL nomad job {sys.argv[1]}: {problem}")
        return 1
    job = document["Job"]
    print(f"ok nomad job {job['ID']} valid against {spec['info']['title']} (Nomad "
          f"{spec['info']['nomad_commit'][:12]}): {len(job['TaskGroups'])} group(s), driver qemu")
    return 0


if __name__ == "__main__":
    sys.exit(main())
