"""Packages the CMake-built tree (<build>/python): run `pip wheel --no-build-isolation .`
there after building. The extension is already compiled, so the wheel only has to be
tagged for this platform and interpreter."""
from setuptools import setup
from setuptools.dist import Distribution


class PrebuiltExtensionDistribution(Distribution):
    def has_ext_modules(self) -> bool:
        return True


setup(distclass=PrebuiltExtensionDistribution)
