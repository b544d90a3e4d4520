"""The topologies shipped with lab: package data, installed as the package ``lab._topologies``.

The YAML files stay at the top of the repository; pyproject.toml maps this folder
onto ``lab._topologies`` (``package-dir``), so wheels, sdists and editable installs
all carry them. This file is what makes the mapping work in an editable install:
setuptools' editable finder only maps folders that are regular packages.
"""
