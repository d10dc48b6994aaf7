# Loaded by local runs of mcp-pipelines only (as `sitecustomize`, through PYTHONPATH).
# cog reports a failed prediction by its exception message alone; this prints the
# traceback to stderr, which lands in the prediction's logs, when the pipeline's predict
# function ends with an exception. Paths are shown relative to the project.
import os
import sys


def _install():
    root = os.environ.get("PIPELINES_TRACE_ROOT")
    names = {n for n in os.environ.get("PIPELINES_TRACE_FUNCS", "").split(",") if n}
    monitoring = getattr(sys, "monitoring", None)
    if not root or not names or monitoring is None:
        return
    prefixes = tuple({os.path.join(root, ""), os.path.join(os.path.realpath(root), "")})
    for tool in (4, 3):
        try:
            monitoring.use_tool_id(tool, "mcp-pipelines traceback")
            break
        except ValueError:
            continue
    else:
        return
    ours = {}

    def in_project(filename):
        hit = ours.get(filename)
        if hit is None:
            path = filename if os.path.isabs(filename) else os.path.abspath(filename)
            hit = ours[filename] = path.startswith(prefixes)
        return hit

    def on_unwind(code, offset, exc):
        if code.co_name not in names or not in_project(code.co_filename):
            return
        try:
            import traceback

            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            for prefix in prefixes:
                text = text.replace(prefix, "")
            sys.stderr.write(text)
            sys.stderr.flush()
        except Exception:
            pass

    monitoring.register_callback(tool, monitoring.events.PY_UNWIND, on_unwind)
    monitoring.set_events(tool, monitoring.events.PY_UNWIND)


try:
    _install()
except Exception:
    pass
