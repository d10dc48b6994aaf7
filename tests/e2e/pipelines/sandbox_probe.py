import json
import os
import pathlib
import tempfile

from cog import Input

import helper


def attempt(action):
    try:
        action()
        return "ok"
    except OSError as e:
        return type(e).__name__


def server_pid():
    pid = os.getpid()
    while pid > 1:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
        if fields["Name"].strip() == "mcp-pipelines":
            return pid
        pid = int(fields["PPid"])
    raise OSError("no mcp-pipelines ancestor")


def capabilities():
    with open("/proc/self/status") as f:
        return [line.split()[1] for line in f if line.startswith(("CapEff", "CapPrm", "CapBnd"))]


def listed(directory, name):
    try:
        return name in os.listdir(directory)
    except OSError:
        return False


def run(
    secret: str = Input(description="A file outside the sandbox."),
    cache_file: str = Input(description="A file in the cache's other dirs."),
    outside: str = Input(description="A path outside the run's dir."),
    tmp_secret: str = Input(description="Another program's file in /tmp."),
    tmp_out: str = Input(description="A path under /tmp to write."),
) -> str:
    print(f"e2e-probe: {helper.NAME}", flush=True)
    report = {
        "read_secret": attempt(lambda: pathlib.Path(secret).read_text()),
        "read_cache": attempt(lambda: pathlib.Path(cache_file).read_text()),
        "read_tmp_secret": attempt(lambda: pathlib.Path(tmp_secret).read_text()),
        "tmp_lists_secret": listed("/tmp", os.path.basename(tmp_secret)),
        "read_shadow": attempt(lambda: pathlib.Path("/etc/shadow").read_text()),
        "write_outside": attempt(lambda: pathlib.Path(outside).write_text("x")),
        "write_tmp_path": attempt(lambda: pathlib.Path(tmp_out).write_text("x")),
        "write_own_dir": attempt(lambda: pathlib.Path("scratch.txt").write_text("x")),
        "write_tmp": attempt(lambda: tempfile.NamedTemporaryFile().close()),
        "signal_server": attempt(lambda: os.kill(server_pid(), 0)),
        "capabilities": capabilities(),
        "tempdir_is_private": tempfile.gettempdir() not in ("/tmp", "/var/tmp")
        and os.environ["TEMP"] == os.environ["TMP"] == os.environ["TMPDIR"],  # noqa
        "cwd": os.getcwd(),
    }
    return json.dumps(report)
