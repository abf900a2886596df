"""Build hook: installs the top-level ``resources/`` folder as the ``genoflow_desktop.resources`` package.

Everything else is declared in pyproject.toml. pyproject alone cannot combine package discovery
with one extra mapped package, hence this file.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["genoflow_desktop", "genoflow_desktop.*"]), "genoflow_desktop.resources"],
    package_dir={"genoflow_desktop.resources": "resources"},
)
