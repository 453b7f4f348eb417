#!/usr/bin/env python3
"""Validates a Firecracker config file (`firecracker --no-api --config-file FILE`) against Firecracker's
published API schema (schemas/firecracker.yaml, Swagger 2.0, see schemas/README.md).

The config file's top-level keys are Firecracker's `VmmConfig` fields (kebab-case); each holds an object (or a
list of objects) of one schema definition. Firecracker rejects unknown fields (serde deny_unknown_fields), so
this check does too: every object is validated with additionalProperties false.

usage: validate_firecracker.py CONFIG.json    prints `ok ...` or `FAIL ...` lines; exit 0 when valid
"""
import json
import pathlib
import sys

import jsonschema
import yaml

from strict_schema import strict

# VmmConfig's keys -> (definition, is a list)
SECTIONS = {
    "boot-source": ("BootSource", False),
    "machine-config": ("MachineConfiguration", False),
    "network-interfaces": ("NetworkInterface", True),
    "drives": ("Drive", True),
    "logger": ("Logger", False),
    "metrics": ("Metrics", False),
    "mmds-config": ("MmdsConfig", False),
    "vsock": ("Vsock", False),
    "balloon": ("Balloon", False),
    "entropy": ("EntropyDevice", False),
}



def main():
    spec = yaml.safe_load((pathlib.Path(__file__).parent / "schemas" / "firecracker.yaml").read_text())
    definitions = strict(spec["definitions"])
    config = json.loads(pathlib.Path(sys.argv[1]).read_text())
    problems = []
    for key in config:
        if key not in SECTIONS:
            problems.append(f"unknown top-level key {key!r}")
    if "boot-source" not in config:
        problems.append("no boot-source")
    for key, (name, is_list) in SECTIONS.items():
        if key not in config:
            continue
        schema = {"$ref": f"#/definitions/{name}", "definitions": definitions}
        items = config[key] if is_list else [config[key]]
        if is_list and not isinstance(config[key], list):
            problems.append(f"{key} is not a list")
            continue
        for i, item in enumerate(items):
            for error in jsonschema.Draft4Validator(schema).iter_errors(item):
                where = "/".join(str(p) for p in error.absolute_path)
                problems.append(f"{key}{f'[{i}]' if is_list else ''}{('/' + where) if where else ''}: {error.message}")
    if problems:
        for problem in problems:
            print(f"FAIL firecracker config {sys.argv[1]}: {problem}")
        return 1
    print(f"ok firecracker config valid against {spec['info']['title']} {spec['info']['version']} "
          f"({', '.join(config)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
