#!/usr/bin/env python3
"""The project's two entry points, with nothing but Python 3.11 and the package registry:

    python3 tasks.py demo    run the main demo (the ModelDB 168874 calcium wave), writing out/cawave.png
    python3 tasks.py test    run the test suite (pytest options may follow, e.g. -m slow)
    python3 tasks.py bench   run every bench/bench_*.py (NEURON's side needs make neuron-venv)

Each creates the virtual environment .venv on first use (and again when pyproject.toml
changes) and installs the project into it with what it needs.
"""

import hashlib
import os
import pathlib
import subprocess
import sys
import venv

ROOT = pathlib.Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
STAMP = VENV / ".installed"


def ensure_venv():
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if PY.exists() and STAMP.exists() and STAMP.read_text() == want:
        return
    if not PY.exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("installing the project and its test dependencies into .venv ...", flush=True)
    subprocess.run([str(PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(PY), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(want)


def main(argv):
    if not argv or argv[0] not in ("demo", "test", "bench"):
        print(__doc__)
        return 2
    ensure_venv()
    os.chdir(ROOT)
    if argv[0] == "demo":
        cmd = [str(PY), "examples/cawave.py", "--out", "out/cawave.png"]
    elif argv[0] == "bench":
        status = 0
        for script in sorted((ROOT / "bench").glob("bench_*.py")):
            status |= subprocess.run([str(PY), str(script)]).returncode
        return status
    else:
        cmd = [str(PY), "-m", "pytest", "-q", *argv[1:]]
    return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
