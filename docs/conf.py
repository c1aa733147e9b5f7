"""Sphinx configuration of the wgan_keras book.

Build it with ``python ci/docs.py build`` (not with a bare ``sphinx-build docs``):
that script stages the pages of ``docs/``, the notebooks (at their paths in the
repository, so that each page's "launch in Colab" address is the notebook's) and
the pages generated from the committed records into ``build/docs/src``, and runs
Sphinx there with this configuration (``-c docs``), warnings as errors.
"""

import importlib.util
import os
import shutil
import sys

import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # autodoc documents this checkout, whatever is installed

with open(os.path.join(ROOT, "pyproject.toml"), "rb") as handle:
    _project = tomllib.load(handle)["project"]
REPOSITORY = _project["urls"]["Repository"]  # the one repository address

import wgan_keras  # noqa: E402  (after sys.path is set)

project = "wgan_keras"
author = "The wgan_keras authors"
copyright = "the wgan_keras authors, Apache-2.0"  # noqa: A001  (Sphinx's name)
release = version = wgan_keras.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx.ext.extlinks",
]
# {repo}`path`: a file of the repository on main, from the one repository address.
extlinks = {"repo": (REPOSITORY + "/blob/main/%s", "%s")}

# The committed notebooks are the record of the default runs: render them, never re-execute.
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "attrs_inline"]
myst_heading_anchors = 3
# A notebook's cells are Python; the parameters cells use annotations papermill reads.
nb_number_source_lines = False

# .rst first: autosummary writes its generated API pages with the first suffix (its templates are reST).
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
# _generated/: snippets made by ci/docs.py from the records, included by the pages.
exclude_patterns = ["_build", "**.ipynb_checkpoints", "README.md", "_generated/*.md"]
templates_path = [os.path.join(ROOT, "docs", "_templates")]

# API reference: every public module of the package, generated from the docstrings.
autosummary_generate = True
# Each name is documented once, in the module that defines it (packages re-export from their modules);
# the page "API reference" lists the package's __all__ with a link to each.
autosummary_ignore_module_all = True
autodoc_default_options = {
    "members": True,
    "ignore-module-all": True,
    "show-inheritance": True,
    "member-order": "bysource",
}
autodoc_typehints = "description"
# A method without its own docstring shows none, not Keras's (which is written for Keras's own docs).
autodoc_inherit_docstrings = False
autodoc_class_signature = "separated"
napoleon_google_docstring = True
napoleon_numpy_docstring = True
# The backend-only modules import their framework at module level; the docs environment
# of CI (the TensorFlow one, with JAX) documents the PyTorch trainer from stubs, and an
# environment without TensorFlow documents the TensorFlow-only modules so.
autodoc_mock_imports = [name for name in ("tensorflow", "torch") if importlib.util.find_spec(name) is None]
if "tensorflow" in autodoc_mock_imports:
    autodoc_mock_imports.append("tensorflow_datasets")

# Maths: MathJax 3, served from the built site (no CDN: the book must work offline).
MATHJAX = os.path.join(os.path.dirname(importlib.util.find_spec("mathjax").origin), "static", "mathjax", "es5")
mathjax_path = "mathjax/tex-mml-chtml.js"

html_theme = "sphinx_book_theme"
html_title = f"wgan_keras {release}"
html_static_path = [os.path.join(ROOT, "docs", "_static")]
html_css_files = ["book.css"]
html_favicon = os.path.join(ROOT, "docs", "_static", "favicon.svg")  # else the browser asks for /favicon.ico (404)
html_last_updated_fmt = None
# The sources are published so that each page's download button serves its notebook (.ipynb) or page.
html_copy_source = True
html_sourcelink_suffix = ""
html_show_sourcelink = False
html_theme_options = {
    "repository_url": REPOSITORY,
    "repository_branch": "main",
    # Pages are staged at their paths in the repository (notebooks/..., notebooks/exercises/...),
    # so the theme's launch address is the notebook's own address in the repository.
    "path_to_docs": "",
    "launch_buttons": {"colab_url": "https://colab.research.google.com", "notebook_interface": "classic"},
    "use_repository_button": True,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "use_source_button": False,
    "use_edit_page_button": False,
    "use_issues_button": False,
    "home_page_in_toc": True,
    "show_toc_level": 2,
    # No remote asset may load: the site is checked offline in a browser.
    "analytics": {},
}
html_context = {"default_mode": "light"}


def _copy_mathjax(app, exception):
    if exception is None and app.builder.format == "html":
        target = os.path.join(app.outdir, "_static", "mathjax")
        if not os.path.isdir(target):
            shutil.copytree(MATHJAX, target)


def setup(app):
    app.connect("build-finished", _copy_mathjax)
