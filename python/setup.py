"""Builds the ffcnn Python package: the extension ffcnn._ffcnn over libffcnn.

The library is built from this repository's sources with CMake, as a static library of
position-independent code (the same Release flags as scripts/build.sh, so that a model
trained from Python has the same bits as one trained by `ffcnn train`), into ../build-py
(FFCNN_BUILD_DIR to choose another folder; FFCNN_JOBS parallel jobs, default all cores).
FFCNN_LIB_DIR and FFCNN_INCLUDE_DIR instead name an installed libffcnn.a built with
-DCMAKE_POSITION_INDEPENDENT_CODE=ON and its headers.

    pip install --no-build-isolation ./python          # from the repository root
    cd python && python3 setup.py build_ext --inplace  # or: use it from python/ directly
"""
import os
import shlex
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEPS = ["fftw3f", "libcrypto", "zlib", "libpng", "libjpeg"]


def pkg_config(*args):
    try:
        out = subprocess.run(["pkg-config", *args], check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit(f"ffcnn setup: pkg-config {' '.join(args)} failed ({e}); run scripts/setup.sh")
    return shlex.split(out.stdout)


def openblas():
    """OpenBLAS linked in statically, its symbols kept private to the extension: numpy loads
    the shared OpenBLAS, usually before ffcnn, and OpenBLAS chooses its kernels once, when it
    loads, by CPU model (OPENBLAS_CORETYPE overrides). A private copy loads with the extension,
    after ffcnn/__init__.py has set OPENBLAS_CORETYPE as the `ffcnn` tool does, so that it runs
    the same sgemm kernels and training gives the same bits. FFCNN_STATIC_BLAS=OFF links the
    shared library instead."""
    libdir = pkg_config("--variable=libdir", "openblas")[0]
    archive = os.path.join(libdir, "libopenblas.a")
    if os.environ.get("FFCNN_STATIC_BLAS", "ON") == "OFF" or not os.path.exists(archive):
        return pkg_config("--libs", "openblas")
    return [archive, "-Wl,--exclude-libs,libopenblas.a", "-lpthread"]  # sgemm needs no Fortran


def version():
    with open(os.path.join(ROOT, "CMakeLists.txt"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("project(ffcnn VERSION"):
                return line.split()[2]
    return "0"


class BuildExt(build_ext):
    """Builds libffcnn with CMake first (incremental: an up-to-date library is not rebuilt)."""

    def run(self):
        lib_dir = os.environ.get("FFCNN_LIB_DIR")
        if lib_dir:
            include = [os.environ.get("FFCNN_INCLUDE_DIR", os.path.join(lib_dir, "..", "include"))]
        else:
            if not os.path.exists(os.path.join(ROOT, "src", "train.c")):
                sys.exit(f"ffcnn setup: {ROOT} is not the ffcnn repository (build from it, or set "
                         "FFCNN_LIB_DIR to an installed PIC libffcnn.a)")
            lib_dir = os.environ.get("FFCNN_BUILD_DIR", os.path.join(ROOT, "build-py"))
            jobs = os.environ.get("FFCNN_JOBS", str(os.cpu_count() or 1))
            subprocess.run(["cmake", "-S", ROOT, "-B", lib_dir, "-DCMAKE_BUILD_TYPE=Release",
                            "-DCMAKE_POSITION_INDEPENDENT_CODE=ON", "-DFFCNN_TESTS=OFF"],
                           check=True, stdout=subprocess.DEVNULL)
            r = subprocess.run(["cmake", "--build", lib_dir, "--target", "ffcnn", "-j", jobs],
                               capture_output=True, text=True)
            if r.returncode:
                sys.exit(f"ffcnn setup: building libffcnn in {lib_dir} failed:\n{r.stdout}{r.stderr}")
            include = [os.path.join(ROOT, "include"), os.path.join(lib_dir, "include")]
        lib = os.path.join(lib_dir, "libffcnn.a")
        for ext in self.extensions:
            ext.include_dirs[:0] = include
            ext.extra_objects.append(lib)
            ext.depends.append(lib)
            ext.extra_link_args += openblas() + pkg_config("--libs", *DEPS) + ["-fopenmp", "-lm"]
        super().run()


# The repository's warnings (CMakeLists.txt); FFCNN_WERROR=ON (scripts/test_python.sh) makes
# them errors.
warnings = ["-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Wshadow"]
if os.environ.get("FFCNN_WERROR", "OFF") == "ON":
    warnings.append("-Werror")

setup(
    name="ffcnn",
    version=version(),
    description="Forward-Forward training of CNNs (libffcnn) from Python and numpy",
    license="MIT",
    packages=["ffcnn"],
    package_dir={"ffcnn": os.path.relpath(os.path.join(HERE, "ffcnn"))},
    ext_modules=[Extension("ffcnn._ffcnn", [os.path.relpath(os.path.join(HERE, "ffcnn", "_ffcnn.c"))],
                           extra_compile_args=warnings,
                           depends=[os.path.join(ROOT, "include", "ffcnn.h")])],
    cmdclass={"build_ext": BuildExt},
    python_requires=">=3.10",
    install_requires=["numpy"],
)
