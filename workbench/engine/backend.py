"""Backend selection: ``numpy`` (the reference, always there) and ``opencl[:N]``.

A backend is chosen by name everywhere (API, CLI ``--backend``, GUI). A name that does not exist
is an error listing the valid ones. When OpenCL itself is unusable (no pyopencl, no driver, no
device) a request for ``opencl`` warns with the reason and falls back to numpy: the program keeps
working, and the user is told why it is slower than expected.
"""

from __future__ import annotations

import threading
import warnings

class BackendFallbackWarning(UserWarning):
    """OpenCL was asked for but could not be used; numpy runs instead."""


_lock = threading.Lock()
_instances: dict[str, object] = {}


def available_backends() -> list[str]:
    """Names that :func:`get_backend` accepts right now: ``numpy`` and one per OpenCL device."""
    names = ["numpy"]
    try:
        from .cl.runtime import list_devices  # noqa: PLC0415

        devices = list_devices()
    except Exception:
        return names
    names.append("opencl")
    names.extend(f"opencl:{d.index}" for d in devices)
    return names


def opencl_problem() -> str | None:
    """Why OpenCL cannot be used here, or None when it can."""
    try:
        from .cl.runtime import list_devices  # noqa: PLC0415

        list_devices()
    except Exception as exc:
        return str(exc)
    return None


def get_backend(name: "str | object" = "numpy"):
    """The backend called ``name`` (``numpy``, ``opencl`` = ``opencl:0``, ``opencl:N``).

    Passing a backend object returns it unchanged, so APIs can take either.
    """
    if not isinstance(name, str):
        return name
    key = name.strip().lower()
    if key == "opencl":
        key = "opencl:0"
    with _lock:
        if key in _instances:
            return _instances[key]
    if key == "numpy":
        from .numpy_backend import NumpyBackend  # noqa: PLC0415

        backend = NumpyBackend()
    elif key.startswith("opencl:"):
        suffix = key.split(":", 1)[1]
        if not suffix.isdigit():
            raise ValueError(f"unknown backend {name!r}; valid names: {', '.join(available_backends())}")
        problem = opencl_problem()
        if problem is not None:
            warnings.warn(f"OpenCL backend unavailable ({problem}); running on numpy instead",
                          BackendFallbackWarning, stacklevel=2)
            return get_backend("numpy")
        from .cl.backend import OpenCLBackend  # noqa: PLC0415
        from .cl.runtime import get_runtime  # noqa: PLC0415

        try:
            runtime = get_runtime(int(suffix))
        except ValueError as exc:
            raise ValueError(f"unknown backend {name!r}: {exc}") from None
        backend = OpenCLBackend(runtime)
    else:
        raise ValueError(f"unknown backend {name!r}; valid names: {', '.join(available_backends())}")
    with _lock:
        return _instances.setdefault(key, backend)
