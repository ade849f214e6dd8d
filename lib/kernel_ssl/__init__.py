"""kernel_ssl: the shared library of the book *Self-supervised learning in the kernel regime*.

Modules are named after the concept they hold; import them explicitly, e.g.
``from kernel_ssl import data, losses, kernels``. Nothing here changes global state (the
chapters enable float64 themselves where the mathematics needs it).

``__version__`` below is the one place the library's version is written: pyproject.toml reads it, the
status page of the website reports it, and a release is the git tag ``v<__version__>`` (see CHANGELOG.md).
"""

__version__ = "0.2.0"
