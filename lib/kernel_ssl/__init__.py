"""kernel_ssl: the shared library of the book *Self-supervised learning in the kernel regime*.

Modules are named after the concept they hold; import them explicitly, e.g.
``from kernel_ssl import data, losses, kernels``. Nothing here changes global state (the
chapters enable float64 themselves where the mathematics needs it).
"""

__version__ = "0.1.0"
