"""Sphinx configuration of the API reference (docs/api/): built from the docstrings of certify's public API.

    pip install -e ".[docs]"
    python -m sphinx -W -b html docs/api docs/api/_build/html

tests/test_api.py builds it with -W (warnings are errors) when Sphinx is installed.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))   # the checkout's certify, also when it is not installed

import certify  # noqa: E402

project = "certify"
author = "certify contributors"
copyright = "certify contributors"
version = release = certify.__version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]
exclude_patterns = ["_build"]
root_doc = "index"

autodoc_member_order = "bysource"
autodoc_typehints = "none"            # the signatures keep their names; types are in the docstrings
default_role = "literal"               # `x` in a docstring is code, as in the rest of the project
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True              # "Attributes:" as a field list (no duplicate attribute entries)

html_theme = "alabaster"
html_static_path: list[str] = []
html_theme_options = {"description": "verification of plastic neural networks", "page_width": "1100px"}
