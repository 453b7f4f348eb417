#!/usr/bin/env python3
"""Validates a KubeVirt VirtualMachine manifest (YAML) against KubeVirt's published API schema: the definitions of
its api/openapi-spec/swagger.json reachable from v1.VirtualMachine (schemas/kubevirt-virtualmachine.json, see
schemas/README.md).

The API server prunes unknown fields rather than refusing them, which would hide a misspelt field: this check
refuses them (additionalProperties false on every object that lists its properties).

usage: validate_kubevirt.py MANIFEST.yaml    prints `ok ...` or `FAIL ...` lines; exit 0 when valid
"""
import json
import pathlib
import sys

import jsonschema
import yaml

from strict_schema import strict



def main():
    spec = json.loads((pathlib.Path(__file__).parent / "schemas" / "kubevirt-virtualmachine.json").read_text())
    schema = {"$ref": "#/definitions/v1.VirtualMachine", "definitions": strict(spec["definitions"])}
    try:
        manifest = yaml.safe_load(pathlib.Path(sys.argv[1]).read_text())
    except yaml.YAMLError as error:
        print(f"FAIL kubevirt manifest {sys.argv[1]}: not YAML: {' '.join(str(error).split())}")
        return 1
    if not isinstance(manifest, dict):
        print(f"FAIL kubevirt manifest {sys.argv[1]}: not a mapping")
        return 1
    problems = [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
                for e in jsonschema.Draft4Validator(schema).iter_errors(manifest)]
    if manifest.get("apiVersion") != "kubevirt.io/v1" or manifest.get("kind") != "VirtualMachine":
        problems.append(f"apiVersion/kind {manifest.get('apiVersion')}/{manifest.get('kind')}, "
                        "wanted kubevirt.io/v1/VirtualMachine")
    if problems:
        for problem in problems:
            print(f"FAIL kubevirt manifest {sys.argv[1]}: {problem}")
        return 1
    print(f"ok kubevirt VirtualMachine {manifest['metadata']['name']} valid against {spec['info']['title']} "
          f"(v1.VirtualMachine, {len(spec['definitions'])} definitions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
