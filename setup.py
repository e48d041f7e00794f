"""Ship templates/ inside the package: the wheel gets a copy as workbook_engine/templates.

templates/ at the top of the repository stays the one source of the official layout; this build step copies it
into the built package so that a plain ``pip install``, a wheel or an sdist can render and publish (an editable
install reads templates/ in place, see workbook_engine/layout.py). Everything else is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TEMPLATES = Path(__file__).resolve().parent / "templates"


class build_py_with_templates(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install finds templates/ beside the package
        if not TEMPLATES.is_dir():
            raise SystemExit(f"{TEMPLATES}: the layout templates are missing; cannot build the package")
        target = Path(self.build_lib) / "workbook_engine" / "templates"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(TEMPLATES, target, ignore=shutil.ignore_patterns("*~", ".*"))


setup(cmdclass={"build_py": build_py_with_templates})
