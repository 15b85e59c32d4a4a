"""Builds the libfilelock wheel.

Two cases:
- the CMake-built tree (<build>/python, the native glue already beside the package):
  the wheel is only tagged for this platform and interpreter;
- the source tree (`pip install ./bindings/python`): CMake builds the glue and the C
  library from the repository around this folder (needs cmake, a C++17 compiler, SWIG,
  the Python headers and libcjson-dev), and the wheel carries them, with a copy of
  libcjson.so.1, so it needs nothing beyond libc and libstdc++ at run time.
"""
import glob
import os
import shutil
import subprocess
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def _prebuilt() -> bool:
    return bool(glob.glob(os.path.join(HERE, "libfilelock", "_filelock_native*.so")))


class PrebuiltExtensionDistribution(Distribution):
    def has_ext_modules(self) -> bool:
        return True


class CMakeBuild(build_ext):
    """Compiles the native part with the repository's CMake build."""

    def run(self) -> None:
        if _prebuilt():
            return  # package_data already carries it
        if not os.path.exists(os.path.join(REPO, "filelock.h")):
            raise RuntimeError("libfilelock: no prebuilt native module here and no filelock "
                               f"repository around {HERE}; build with CMake first")
        build = os.path.abspath(os.path.join(self.build_temp, "cmake"))
        os.makedirs(build, exist_ok=True)
        subprocess.check_call([
            "cmake", "-S", REPO, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
            "-DBUILD_TESTING=OFF", "-DFILELOCK_BUILD_BENCHMARKS=OFF",
            "-DFILELOCK_BUILD_CLI=OFF", "-DFILELOCK_BUILD_BINDINGS=ON",
            f"-DPython3_EXECUTABLE={sys.executable}"])
        subprocess.check_call(["cmake", "--build", build, "--target", "filelock_native",
                               "-j", str(os.cpu_count() or 1)])
        built = os.path.join(build, "python", "libfilelock")
        dest = os.path.join(os.path.abspath(self.build_lib), "libfilelock")
        os.makedirs(dest, exist_ok=True)
        for pattern in ("_filelock_native*.so", "filelock_native.py", "libfilelock.so.*"):
            for path in glob.glob(os.path.join(built, pattern)):
                shutil.copy2(path, dest)
        cjson = _system_library(os.path.join(dest, "libfilelock.so.1"), "libcjson.so.1")
        if cjson:
            shutil.copy2(cjson, os.path.join(dest, "libcjson.so.1"))


def _system_library(user: str, soname: str) -> str:
    """Where the dynamic linker finds ``soname`` for ``user`` ('' when not needed)."""
    out = subprocess.run(["ldd", user], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] == soname and len(parts) >= 3 and parts[2].startswith("/"):
            return os.path.realpath(parts[2])
    return ""


setup(distclass=PrebuiltExtensionDistribution, cmdclass={"build_ext": CMakeBuild})
