"""Only what pyproject.toml cannot say: ship the repo-root data folders inside the package.

`router/` and `pricing/` live at the repository root (they are versioned data, reviewed like code) and are
mapped to ``pytest_hybrid_eval/_data/`` in the wheel, so an installed plugin finds them outside a checkout.
"""

from setuptools import find_packages, setup

DATA = {"pytest_hybrid_eval._data.router": "router", "pytest_hybrid_eval._data.pricing": "pricing"}

setup(
    packages=find_packages(include=["pytest_hybrid_eval", "pytest_hybrid_eval.*"]) + list(DATA),
    package_dir=DATA,
    package_data={name: ["*.json", "*.jsonl", "*.yaml", "*.md", "VERSION"] for name in DATA},
)
