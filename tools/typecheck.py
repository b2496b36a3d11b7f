"""Run mypy on the package as it is installed: ``python tools/typecheck.py``.

The stage folders (extract/, graph/, queries/, explorer/, ontology/, data/) install as sub-packages of
``tiltaksgraf`` through setuptools' package-dir, which mypy cannot follow from the source tree.
This lays the package out in a temporary directory of symbolic links to the sources and runs
``mypy -p tiltaksgraf`` there with the settings in pyproject.toml; file names in the messages are
mapped back to the source paths. Exit status: mypy's.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("extract", "graph", "queries", "explorer", "ontology", "data")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="tiltaksgraf-mypy-") as tmp:
        package = Path(tmp) / "tiltaksgraf"
        package.mkdir()
        for source in (ROOT / "tiltaksgraf").glob("*.py"):
            (package / source.name).symlink_to(source)
        for stage in STAGES:
            (package / stage).symlink_to(ROOT / stage, target_is_directory=True)
        run = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
                              "-p", "tiltaksgraf", *sys.argv[1:]], cwd=tmp, capture_output=True, text=True)
    for stage in STAGES:  # tiltaksgraf/graph/x.py → graph/x.py, as in the repository
        run = run.__class__(run.args, run.returncode, run.stdout.replace(f"tiltaksgraf/{stage}/", f"{stage}/"),
                            run.stderr)
    sys.stdout.write(run.stdout)
    sys.stderr.write(run.stderr)
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
