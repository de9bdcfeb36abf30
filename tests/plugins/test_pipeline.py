"""The shared SP + TM pipeline of the built-in experiments: the permanence histogram it shows."""

import numpy as np

from workbench.engine.htm.sdr import SDR
from workbench.plugins.builtin._pipeline import PERMANENCE_EDGES, SPTM, permanence_counts


def reference_counts(perms: np.ndarray) -> np.ndarray:
    """What the histogram view shows: numpy's histogram of the potential synapses (perm >= 0)."""
    counts, _ = np.histogram(perms[perms >= 0], bins=np.asarray(PERMANENCE_EDGES))
    return counts.astype(np.float64)


def edge_neighbours() -> np.ndarray:
    """Every edge as float32 and the eight float32 values on each side of it, within [0, 1]."""
    values = []
    for edge in PERMANENCE_EDGES:
        up = down = np.float32(edge)
        values.append(up)
        for _ in range(8):
            up = np.nextafter(up, np.float32(2))
            down = np.nextafter(down, np.float32(-2))
            values += [up, down]
    values = np.array(values, dtype=np.float32)
    return values[(values >= 0) & (values <= 1)]


def test_permanence_counts_match_numpy_histogram_at_every_edge():
    # one value per slot so that a value counted in the wrong bin changes two counts
    for value in edge_neighbours():
        perms = np.array([value], dtype=np.float32)
        np.testing.assert_array_equal(permanence_counts(perms), reference_counts(perms),
                                      err_msg=f"value {value!r}")


def test_permanence_counts_match_numpy_histogram_on_a_pool():
    rng = np.random.default_rng(5)
    perms = rng.random((300, 500), dtype=np.float32)
    perms[rng.random(perms.shape) < 0.15] = -1.0  # outside the potential pools
    perms[0, :4] = [0.0, 1.0, 0.05, 0.95]
    perms[1] = np.resize(edge_neighbours(), 500)
    counts = permanence_counts(perms)  # 150,000 values: several blocks and a partial one
    np.testing.assert_array_equal(counts, reference_counts(perms))
    assert counts.dtype == np.float64 and counts.sum() == np.count_nonzero(perms >= 0)


def test_permanence_counts_of_nothing_are_zero():
    np.testing.assert_array_equal(permanence_counts(np.full((3, 4), -1, dtype=np.float32)),
                                  np.zeros(len(PERMANENCE_EDGES) - 1))
    np.testing.assert_array_equal(permanence_counts(np.empty((0, 4), dtype=np.float32)),
                                  np.zeros(len(PERMANENCE_EDGES) - 1))


def test_pipeline_histogram_counts_the_spatial_poolers_potential_synapses():
    model = SPTM((64,), {"column_shape": (32,), "potential_radius": 64, "potential_pct": 0.5,
                         "global_inhibition": True, "local_area_density": 0.1, "seed": 1},
                 {"cells_per_column": 4, "seed": 1}, "numpy", histogram_every=3)
    rng = np.random.default_rng(0)
    shown = []
    for _ in range(7):
        encoding = np.sort(rng.choice(64, 8, replace=False)).astype(np.uint32)
        values = model.compute(SDR.from_sparse((64,), encoding), learn=True)
        if "sp.permanences" in values:
            shown.append(values["sp.permanences"])
            np.testing.assert_array_equal(shown[-1], reference_counts(model.sp.permanence_matrix()))
    assert len(shown) == 3  # steps 1, 4 and 7
    assert shown[0].sum() == 32 * 32  # half of the 64 inputs in each column's pool

