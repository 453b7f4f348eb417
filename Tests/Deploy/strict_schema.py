"""The one schema tightening both deployment-file validators use.

Firecracker refuses unknown fields and KubeVirt's API server prunes them silently; either way a misspelt
field must fail our check, so every object that lists its properties gets additionalProperties false.
"""
import copy


def strict(schema):
    """A copy of `schema` with additionalProperties false on every object with properties, recursively."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node.setdefault("additionalProperties", False)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(schema)
    return schema
