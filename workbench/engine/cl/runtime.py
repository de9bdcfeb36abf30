"""OpenCL runtime: finds devices, owns one context and queue per device, compiles and caches
programs and kernels.

Why a cache: building a program costs tens to hundreds of milliseconds on PoCL, and fetching a
kernel object from a program is not free either. Every program is built once per
(source file, defines, build options) and every kernel is fetched once, then reused.

Kernel sources live in ``kernels/*.cl``. A source is specialised by a prelude of ``#define``
lines (types, operators, tile sizes), which keeps one readable template per kernel family.
Kernels that must agree bit for bit with numpy start with ``#pragma OPENCL FP_CONTRACT OFF``
and nothing is ever built with fast-math options.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

KERNEL_DIR = Path(__file__).with_name("kernels")


class OpenCLUnavailable(RuntimeError):
    """OpenCL cannot be used here; the message says why and what to do."""


class KernelBuildError(RuntimeError):
    """A kernel failed to compile; the message carries the compiler's log."""


def _import_pyopencl():
    try:
        import pyopencl as cl  # noqa: PLC0415 - optional at import time of the engine
    except Exception as exc:  # ImportError, or a broken ICD loader
        raise OpenCLUnavailable(
            f"pyopencl could not be imported ({exc}); install 'pyopencl' and an OpenCL driver "
            "(on Linux 'pocl-binary-distribution' gives a CPU device)"
        ) from exc
    return cl


@dataclass(frozen=True)
class DeviceInfo:
    """What a user needs to pick a device."""

    index: int
    platform: str
    name: str
    kind: str
    compute_units: int
    global_mem_mb: int
    fp64: bool

    def describe(self) -> str:
        fp64 = "fp64" if self.fp64 else "no fp64"
        return (f"opencl:{self.index}  {self.name} [{self.kind}, {self.platform}, "
                f"{self.compute_units} CUs, {self.global_mem_mb} MB, {fp64}]")


_devices_lock = threading.Lock()
_devices_cache: list | None = None


def _raw_devices() -> list:
    """Every OpenCL device of every platform, GPUs first, in a stable order."""
    global _devices_cache
    with _devices_lock:
        if _devices_cache is None:
            cl = _import_pyopencl()
            try:
                platforms = cl.get_platforms()
            except Exception as exc:
                raise OpenCLUnavailable(f"no OpenCL platform found ({exc})") from exc
            found = []
            for platform in platforms:
                try:
                    found.extend(platform.get_devices())
                except Exception:  # a platform with no usable device is skipped, not fatal
                    continue
            gpu = cl.device_type.GPU
            found.sort(key=lambda d: 0 if d.type & gpu else 1)
            _devices_cache = found
        if not _devices_cache:
            raise OpenCLUnavailable("OpenCL is installed but no device was found")
        return _devices_cache


def list_devices() -> list[DeviceInfo]:
    """All OpenCL devices (raises :class:`OpenCLUnavailable` when there are none)."""
    cl = _import_pyopencl()
    out = []
    for i, d in enumerate(_raw_devices()):
        kind = "GPU" if d.type & cl.device_type.GPU else "CPU" if d.type & cl.device_type.CPU else "other"
        out.append(DeviceInfo(i, d.platform.name.strip(), d.name.strip(), kind, d.max_compute_units,
                              d.global_mem_size // (1 << 20), "cl_khr_fp64" in d.extensions))
    return out


class CLRuntime:
    """One device's context, in-order queue, memory pool and program/kernel cache."""

    def __init__(self, index: int) -> None:
        cl = _import_pyopencl()
        import pyopencl.tools as cl_tools  # noqa: PLC0415

        devices = _raw_devices()
        if not 0 <= index < len(devices):
            raise ValueError(f"no OpenCL device opencl:{index}; available: "
                             + ", ".join(f"opencl:{i}" for i in range(len(devices))))
        self.cl = cl
        self.index = index
        self.device = devices[index]
        self.info = list_devices()[index]
        self.context = cl.Context([self.device])
        self.queue = cl.CommandQueue(self.context)
        self.allocator = cl_tools.MemoryPool(cl_tools.ImmediateAllocator(self.queue))
        self.is_gpu = bool(self.device.type & cl.device_type.GPU)
        self.max_work_group_size = int(self.device.max_work_group_size)
        self.local_mem_size = int(self.device.local_mem_size)
        self.fp64 = self.info.fp64
        # IEEE-rounded float32 division and sqrt where the device offers them (NVIDIA's default
        # is within 2-3 ulp): numpy's results, and the same bits whichever kernel computes them
        # (a fused expression or a chain of single-op kernels).
        correct = cl.device_fp_config.CORRECTLY_ROUNDED_DIVIDE_SQRT
        self.build_options: tuple[str, ...] = (
            ("-cl-fp32-correctly-rounded-divide-sqrt",) if self.device.single_fp_config & correct else ())
        self._programs: dict[tuple, object] = {}
        self._kernels: dict[tuple, object] = {}
        self._lock = threading.Lock()
        #: Kernels the tensor backend has enqueued on this device so far (benchmarks and tests
        #: read differences of it; the HTM layers launch their own kernels, not counted here).
        self.launches = 0
        #: Buffer copies and fills the tensor backend has enqueued (host <-> device and on the
        #: device).
        self.transfers = 0

    def program(self, filename: str, defines: Mapping[str, object] | None = None,
                options: tuple[str, ...] = ()):
        """The built program for ``kernels/<filename>`` specialised by ``defines``."""
        key = (filename, tuple(sorted((defines or {}).items())), options)
        prog = self._programs.get(key)
        if prog is not None:
            return prog
        with self._lock:
            prog = self._programs.get(key)
            if prog is None:
                source = _kernel_source(filename)
                prelude = "".join(f"#define {k} {v}\n" for k, v in sorted((defines or {}).items()))
                if "cl_khr_fp64" in self.device.extensions:
                    prelude = "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n" + prelude
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")  # pyopencl's "non-empty build log" chatter
                        prog = self.cl.Program(self.context, prelude + source).build(
                            options=[*self.build_options, *options])
                except Exception as exc:
                    raise KernelBuildError(
                        f"OpenCL kernel file {filename} failed to build on {self.info.name} "
                        f"with {dict(defines or {})}: {exc}") from exc
                self._programs[key] = prog
        return prog

    def kernel(self, filename: str, name: str, defines: Mapping[str, object] | None = None,
               options: tuple[str, ...] = ()):
        """A kernel object, fetched once per (program, name) and reused."""
        key = (filename, name, tuple(sorted((defines or {}).items())), options)
        k = self._kernels.get(key)
        if k is None:
            k = getattr(self.program(filename, defines, options), name)
            self._kernels[key] = k
        return k


_source_cache: dict[str, str] = {}


def _kernel_source(filename: str) -> str:
    text = _source_cache.get(filename)
    if text is None:
        path = KERNEL_DIR / filename
        if not path.exists():
            raise KernelBuildError(f"kernel source {path} is missing from the installation")
        text = path.read_text()
        _source_cache[filename] = text
    return text


_runtimes: dict[int, CLRuntime] = {}
_runtimes_lock = threading.Lock()


def get_runtime(index: int = 0) -> CLRuntime:
    """The shared runtime of device ``index`` (created on first use)."""
    with _runtimes_lock:
        rt = _runtimes.get(index)
        if rt is None:
            rt = CLRuntime(index)
            _runtimes[index] = rt
        return rt


