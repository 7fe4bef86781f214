"""The browser code the server ships: plain JavaScript, CSS and HTML, no build step.

This directory is the package ``chatserver.web`` (setup.cfg maps it with ``package_dir``): the
wheel installs it as ``chatserver/web`` with its files as package data, the editable install
points at it here, and ``chatserver.adapters.http.static`` finds it with ``importlib.resources``. It is a
regular package, not a namespace one, because setuptools' editable finder cannot import a
namespace package mapped from outside its parent's directory (pypa/setuptools#4943).
"""
