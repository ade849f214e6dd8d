"""kernel_ssl: the shared library of the book *Self-supervised learning in the kernel regime*.

Modules are named after the concept they hold; import them explicitly, e.g.
``from kernel_ssl import data, losses, kernels``. Nothing here changes global state (the
chapters enable float64 themselves where the mathematics needs it).

Checks sit at the boundary: a public function validates its arguments once (errors name the caller's argument)
and calls an unchecked core of the same name with a leading underscore. Those cores are internal to the package,
not to their module: an experiment module that has already validated its own arguments calls
``kernels._closed_form_ntk`` or ``models._init_two_layer`` directly, so a descent loop or a widget callback never
re-validates (or waits on JAX to check finiteness) at each call.

``__version__`` below is the one place the library's version is written: pyproject.toml reads it, the
status page of the website reports it, and a release is the git tag ``v<__version__>`` (see CHANGELOG.md).
"""

__version__ = "0.2.0"
