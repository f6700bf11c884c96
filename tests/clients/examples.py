"""Every example in openapi/openapi.json validates against the schema it illustrates.

Examples sit on schemas (`example`, `examples`), on media types and on parameters (`example`
beside `schema`). Each is checked with JSON Schema 2020-12 (OpenAPI 3.1's dialect), `$ref`s
resolved in the document. Run by scripts/check-clients.sh; exits 1 listing every invalid one.
"""

import json
import sys
from typing import Any, Iterator

from jsonschema import Draft202012Validator

SCHEMA_KEYS = {"type", "$ref", "properties", "enum", "allOf", "oneOf", "anyOf", "items", "const"}


def examples(node: Any, where: str) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """(location, example, schema) for every example under `node`."""
    if isinstance(node, dict):
        if "schema" in node and "example" in node:
            yield where, node["example"], node["schema"]
        if SCHEMA_KEYS & node.keys():
            bare = {k: v for k, v in node.items() if k not in ("example", "examples")}
            if "example" in node:
                yield where, node["example"], bare
            if isinstance(node.get("examples"), list):
                for i, example in enumerate(node["examples"]):
                    yield f"{where}/examples/{i}", example, bare
        for key, child in node.items():
            yield from examples(child, f"{where}/{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from examples(child, f"{where}/{i}")


def main(path: str) -> int:
    with open(path, encoding="utf-8") as file:
        document = json.load(file)
    components = document.get("components", {})
    invalid = 0
    checked = 0
    for where, example, schema in examples(document, "#"):
        checked += 1
        # The schema is the root, so `#/components/...` references resolve in the document.
        validator = Draft202012Validator({**schema, "components": components})
        for error in validator.iter_errors(example):
            invalid += 1
            print(f"{where}: {error.message} (at {'/'.join(map(str, error.absolute_path)) or 'the root'})")
    print(f"{checked} examples checked, {invalid} problems")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "openapi/openapi.json"))
