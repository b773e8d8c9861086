"""The native SEN2 XML reader (orchestration/sen2/_native.c); everything else is in pyproject.toml.

optional=True: without a C compiler the install still succeeds and the platform reads SEN2 XML
with the pure-Python reader (orchestration.sen2.native_reader.available() is then False)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("orchestration.sen2._native", ["orchestration/sen2/_native.c"],
                             optional=True, extra_compile_args=["-O2"])])
