"""Writes the project's OpenAPI schema to .cog/openapi_schema.json, as `cog build` does.

Run in the project dir with the run's venv: `python openapi_schema.py main.py:run OUT`.
cog <= 0.16 ships its generator (`cog.command.openapi_schema`); later versions generate the
schema in the Go CLI, so the schema is composed from cog's own predictor inspector (the one
its server uses to load the predictor) and cog's own JSON types for each field.
"""

import importlib.util
import json
import os
import subprocess
import sys


def legacy_schema():
    done = subprocess.run(
        [sys.executable, "-B", "-E", "-s", "-m", "cog.command.openapi_schema"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        sys.exit(done.returncode)
    text = done.stdout
    return json.loads(text[text.index("{"):])


def inspector_schema(ref):
    from cog import _adt, _inspector  # cog >= 0.17

    module_file, _, name = ref.partition(":")
    module = module_file[:-3] if module_file.endswith(".py") else module_file
    module = module.replace("/", ".")
    info = _inspector.create_predictor(module, name)
    optional = {_adt.Repetition.OPTIONAL, getattr(_adt.Repetition, "OPTIONAL_REPEATED", None)}
    properties = {}
    required = []
    for field in sorted(info.inputs.values(), key=lambda f: f.order):
        prop = {"title": field.name.replace("_", " ").title(), "x-order": field.order}
        prop.update(field.type.json_type())
        if field.description is not None:
            prop["description"] = field.description
        has_default = field.default is not None and not callable(
            getattr(field.default, "default_factory", None)
        )
        if has_default:
            try:
                prop["default"] = field.type.json_encode(field.default)
            except Exception:  # a default cog cannot encode: leave it out
                pass
        for attr, key in (
            ("ge", "minimum"),
            ("le", "maximum"),
            ("min_length", "minLength"),
            ("max_length", "maxLength"),
            ("regex", "pattern"),
            ("choices", "enum"),
            ("deprecated", "deprecated"),
        ):
            value = getattr(field, attr, None)
            if value is None:
                continue
            if key in ("minimum", "maximum") and prop.get("type") == "integer":
                value = int(value) if float(value).is_integer() else value
            prop[key] = value
        if field.default is None and field.type.repetition not in optional:
            required.append(field.name)
        properties[field.name] = prop
    input_schema = {"type": "object", "title": "Input", "properties": properties}
    if required:
        input_schema["required"] = required
    return {
        "openapi": "3.0.2",
        "info": {"title": "Cog", "version": "0.1.0"},
        "paths": {},
        "components": {
            "schemas": {"Input": input_schema, "Output": info.output.json_type()}
        },
    }


def main():
    ref, out = sys.argv[1], sys.argv[2]
    sys.path.insert(0, os.getcwd())
    try:
        legacy = importlib.util.find_spec("cog.command.openapi_schema") is not None
    except ImportError:
        legacy = False
    schema = legacy_schema() if legacy else inspector_schema(ref)
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out + ".tmp", "w") as f:
        json.dump(schema, f, indent=2)
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()
