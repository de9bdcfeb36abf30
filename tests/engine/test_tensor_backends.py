"""Construction, moving between backends, seeded random numbers, and the errors a user meets:
bad backend names, missing float64, OpenCL fallback and kernel build failures."""

import os
import warnings

import numpy as np
import pytest

import workbench.engine.backend as backend_module
from workbench.engine import Generator, Tensor, available_backends, get_backend
from workbench.engine.backend import BackendFallbackWarning

from .tensor_testing import ALL_DTYPES, BACKEND_NAMES, assert_exact, dtypes_of, random_array

F32, F64, I32, U32, U8, BOOL = ALL_DTYPES
OPENCL_NAMES = [name for name in BACKEND_NAMES if name.startswith("opencl:")]


# -- construction -----------------------------------------------------------------------------------
def test_inferred_dtypes(backend):
    assert Tensor([1.0, 2.0], backend=backend).dtype == F32
    assert Tensor([1, 2], backend=backend).dtype == I32
    assert Tensor([True], backend=backend).dtype == BOOL
    assert Tensor(np.arange(3, dtype=np.int64), backend=backend).dtype == I32
    assert Tensor(np.ones(3, np.float16), backend=backend).dtype == F32
    assert Tensor(np.ones(3, np.uint8), backend=backend).dtype == U8
    assert Tensor(Tensor(np.ones(3, np.uint32), backend=backend), backend=backend).dtype == U32
    with pytest.raises(TypeError, match="cannot make a tensor from <U1 data"):
        Tensor(["a"], backend=backend)
    with pytest.raises(TypeError, match="dtype int16 is not supported; supported: float32"):
        Tensor([1], dtype=np.int16, backend=backend)


def test_full_zeros_ones_arange_every_dtype(backend):
    for dtype in dtypes_of(backend):
        assert_exact(Tensor.full((2, 3), 1, dtype, backend), np.full((2, 3), 1, dtype))
        assert_exact(Tensor.zeros((0, 4), dtype, backend), np.zeros((0, 4), dtype))
        assert_exact(Tensor.ones((), dtype, backend), np.ones((), dtype))
    assert_exact(Tensor.full((3,), -2.5, F32, backend), np.full(3, -2.5, np.float32))
    flags = Tensor.full((3,), 2, BOOL, backend)  # any non-zero fill is True, stored as 1
    assert_exact(flags, np.ones(3, bool))
    assert_exact(flags.cast(I32), np.ones(3, np.int32))
    assert_exact(Tensor.arange(5, backend=backend), np.arange(5, dtype=np.int32))
    with pytest.raises(TypeError, match="only float tensors can require grad"):
        Tensor.zeros((2,), I32, backend, requires_grad=True)


def test_item_and_truth_value(backend):
    assert Tensor([[2.5]], backend=backend).item() == 2.5
    assert Tensor(np.uint32(7), backend=backend).item() == 7
    assert bool(Tensor([1.0], backend=backend) > 0)
    assert not bool(Tensor(0, backend=backend))
    with pytest.raises(ValueError, match=r"truth value of a tensor of shape \(2,\) is ambiguous"):
        bool(Tensor([1.0, 2.0], backend=backend) > 0)
    with pytest.raises(ValueError, match=r"item\(\) needs a tensor of one element"):
        Tensor([1, 2], backend=backend).item()


def test_to_every_backend_every_dtype(backend):
    rng = np.random.default_rng(40)
    for dtype in dtypes_of(backend):
        x = random_array(rng, (3, 5), dtype)
        t = Tensor(x, backend=backend)
        for name in BACKEND_NAMES:
            target = get_backend(name)
            if dtype == F64 and not target.fp64:
                continue
            moved = t.to(name)
            assert moved.backend is target
            assert_exact(moved, x)
            assert_exact(moved.to(backend), x)
    assert t.to(backend) is t


def test_mixing_backends_is_an_error_that_says_how_to_fix_it():
    if len(BACKEND_NAMES) < 2:
        pytest.fail("needs two backends; test_opencl_is_available_wherever_a_device_exists says why not")
    a = Tensor([1.0], backend=BACKEND_NAMES[0])
    b = Tensor([1.0], backend=BACKEND_NAMES[1])
    with pytest.raises(ValueError, match=r"different backends .* move one with \.to"):
        a + b


# -- backend selection ------------------------------------------------------------------------------
def test_opencl_is_available_wherever_a_device_exists():
    """pyopencl plus a driver (PoCL in CI) must give an OpenCL backend, so CI cannot silently
    test numpy alone."""
    try:
        import pyopencl as cl
        devices = [d for p in cl.get_platforms() for d in p.get_devices()]
    except Exception:
        devices = []
    if os.environ.get("CI"):
        assert devices, "CI has no OpenCL device: install pyopencl and pocl-binary-distribution"
    assert ("opencl:0" in available_backends()) == bool(devices)
    assert all(f"opencl:{i}" in available_backends() for i in range(len(devices)))
    assert "numpy" in available_backends()


def test_unknown_backend_names_list_the_valid_ones():
    valid = ", ".join(available_backends())
    for name in ("cuda", "opencl:x", "open cl"):
        with pytest.raises(ValueError, match=f"unknown backend {name!r}; valid names: {valid}"):
            get_backend(name)


@pytest.mark.parametrize("name", OPENCL_NAMES)
def test_opencl_device_index_out_of_range_lists_devices(name):
    with pytest.raises(ValueError, match=r"unknown backend 'opencl:99'.*available: opencl:0"):
        get_backend("opencl:99")


def test_names_are_case_and_space_insensitive_and_backends_are_shared():
    assert get_backend(" NumPy ") is get_backend("numpy")
    if OPENCL_NAMES:
        assert get_backend("opencl") is get_backend("OPENCL:0")
    assert get_backend(get_backend("numpy")) is get_backend("numpy")


def test_unusable_opencl_warns_and_falls_back_to_numpy(monkeypatch):
    monkeypatch.setattr(backend_module, "opencl_problem", lambda: "no OpenCL driver installed")
    monkeypatch.setattr(backend_module, "_instances", {})
    with pytest.warns(BackendFallbackWarning, match=r"OpenCL backend unavailable \(no OpenCL driver installed\); "
                                                    "running on numpy instead"):
        be = get_backend("opencl")
    assert be.name == "numpy"
    with pytest.warns(BackendFallbackWarning):
        t = Tensor([1.0, 2.0], backend="opencl:0")
    assert_exact(t * 2, np.array([2.0, 4.0], np.float32))


@pytest.mark.parametrize("name", OPENCL_NAMES)
def test_kernel_build_failure_carries_the_compiler_log(name, monkeypatch):
    from workbench.engine.cl import runtime as runtime_module
    from workbench.engine.cl.runtime import KernelBuildError

    rt = get_backend(name).runtime
    broken = "__kernel void broken(__global float* x) { x[0] = undeclared_thing_42; }\n"
    monkeypatch.setitem(runtime_module._source_cache, "test_broken.cl", broken)
    with pytest.raises(KernelBuildError) as info:
        rt.kernel("test_broken.cl", "broken", {"T": "float"})
    message = str(info.value)
    assert "test_broken.cl failed to build" in message
    assert "undeclared_thing_42" in message  # from the compiler's log
    with pytest.raises(KernelBuildError, match="missing_kernel.cl is missing"):
        rt.program("missing_kernel.cl")


def test_float64_on_a_device_without_fp64_says_use_float32(backend, monkeypatch):
    monkeypatch.setattr(backend, "fp64", False)
    x = np.zeros(3, np.float64)
    message = f"backend {backend.name} has no float64 support; use float32"
    with pytest.raises(TypeError, match=message):
        Tensor(x, backend=backend)
    with pytest.raises(TypeError, match=message):
        Tensor.zeros((2,), F64, backend)
    with pytest.raises(TypeError, match=message):
        Tensor([1.0], backend=backend).cast(F64)
    with pytest.raises(TypeError, match=message):
        Generator(0).normal((2,), dtype=F64, backend=backend)
    assert_exact(Tensor(x, dtype=F32, backend=backend), np.zeros(3, np.float32))


# -- seeded random ------------------------------------------------------------------------------------
def test_same_seed_same_values_on_every_backend(backend):
    for dtype in [d for d in (F32, F64) if d in dtypes_of(backend)]:
        ref, gen = Generator(1234), Generator(1234)
        for draw in ("uniform", "normal"):
            expected = getattr(ref, draw)((4, 33), dtype=dtype, backend="numpy")
            assert_exact(getattr(gen, draw)((4, 33), dtype=dtype, backend=backend), expected.numpy())
    for dtype in (I32, U32, U8):
        expected = Generator(5).integers((100,), 0, 200, dtype=dtype, backend="numpy").numpy()
        assert_exact(Generator(5).integers((100,), 0, 200, dtype=dtype, backend=backend), expected)


def test_random_values_follow_their_distribution(backend):
    g = Generator(7)
    u = g.uniform((20000,), -2.0, 3.0, backend=backend).numpy()
    assert u.min() >= -2.0 and u.max() < 3.0 and abs(u.mean() - 0.5) < 0.05
    n = g.normal((20000,), 1.0, 2.0, backend=backend).numpy()
    assert abs(n.mean() - 1.0) < 0.06 and abs(n.std() - 2.0) < 0.06
    i = g.integers((20000,), -3, 4, backend=backend).numpy()
    assert i.dtype == np.int32 and set(np.unique(i)) == set(range(-3, 4))
    assert sorted(g.permutation(10).tolist()) == list(range(10))


def test_different_seeds_differ_and_state_round_trips(backend):
    assert not np.array_equal(Generator(1).uniform((50,), backend=backend).numpy(),
                              Generator(2).uniform((50,), backend=backend).numpy())
    g = Generator(3)
    g.uniform((10,))
    state = g.state_dict()
    first = g.normal((10,), backend=backend).numpy()
    other = Generator(99)
    other.load_state_dict(state)
    assert other.seed == 3
    assert_exact(other.normal((10,), backend=backend), first)


def test_no_warning_on_a_working_backend(backend):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        get_backend(backend.name)
