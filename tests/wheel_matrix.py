"""The built wheel, installed as a user would, on every CPython 3.10-3.13 this machine has.

`make test-wheel` runs it after `make wheel`: for each version found it makes a fresh
virtualenv, installs the wheel (not an editable build), then `pip install requests pytest` as
usual (pip must keep our urllib3: its version satisfies requests' pin), and runs the user
guide's tests and requests' smoke test there. A version that is not installed is skipped with a
line saying so; fewer than two versions run is a failure.

    python tests/wheel_matrix.py target/wheels
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
VERSIONS = ("3.10", "3.11", "3.12", "3.13")
TESTS = ("tests/test_basics.py", "tests/test_requests.py")
VENVS = ROOT / "target" / "wheel-venvs"
MINIMUM_RUN = 2


def candidates(version: str) -> list[str]:
    """Where CPython `version` may be: on PATH, or installed by pyenv but not its global one
    (pyenv's shim then refuses to run it)."""
    found = [exe] if (exe := shutil.which(f"python{version}")) else []
    pyenv_root = pathlib.Path(os.environ.get("PYENV_ROOT", pathlib.Path.home() / ".pyenv"))
    found += sorted(str(p) for p in pyenv_root.glob(f"versions/{version}.*/bin/python{version}"))
    return found


def find_interpreter(version: str) -> str | None:
    """An interpreter for `version` that runs and has venv, or None."""
    for exe in candidates(version):
        probe = subprocess.run(
            [exe, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return exe
    return None


def run(*command: str | pathlib.Path) -> None:
    print("+", " ".join(str(c) for c in command), flush=True)
    subprocess.run([str(c) for c in command], check=True, cwd=ROOT)


def installed_urllib3(python: pathlib.Path) -> str:
    """The installed urllib3's distribution version, after checking that its core imports and
    that its type information (``py.typed``, the extension's ``_rs.pyi``) was installed."""
    check = (
        "import importlib.metadata as m, importlib.resources as r, urllib3._rs\n"
        "typed = [n for n in ('py.typed', '_rs.pyi') if not r.files('urllib3').joinpath(n).is_file()]\n"
        "assert not typed, f'missing from the wheel: {typed}'\n"
        "print(m.version('urllib3'))"
    )
    out = subprocess.run([str(python), "-c", check], check=True, capture_output=True, text=True, cwd="/")
    return out.stdout.strip()


def test_on(version: str, interpreter: str, wheel: pathlib.Path) -> None:
    venv = VENVS / f"py{version}"
    shutil.rmtree(venv, ignore_errors=True)
    run(interpreter, "-m", "venv", venv)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel)
    run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "requests", "pytest")
    version_installed = installed_urllib3(python)
    if "+rs" not in version_installed:
        raise SystemExit(f"CPython {version}: pip replaced our urllib3 with {version_installed}")
    print(f"CPython {version}: urllib3 {version_installed} from {wheel.name}", flush=True)
    run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS)


def main() -> None:
    wheels = sorted(pathlib.Path(sys.argv[1]).glob("urllib3-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one urllib3 wheel in {sys.argv[1]}, found {[w.name for w in wheels]}")
    ran = []
    for version in VERSIONS:
        interpreter = find_interpreter(version)
        if interpreter is None:
            print(f"CPython {version}: not installed here, skipped", flush=True)
            continue
        test_on(version, interpreter, wheels[0].resolve())
        ran.append(version)
    if len(ran) < MINIMUM_RUN:
        raise SystemExit(f"the wheel ran on {ran}: at least {MINIMUM_RUN} CPython versions are needed")
    print(f"wheel {wheels[0].name}: tests passed on CPython {', '.join(ran)}")


if __name__ == "__main__":
    main()
