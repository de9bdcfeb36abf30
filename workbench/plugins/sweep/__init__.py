"""Parameter sweeps on Dask: many headless runs of one experiment, each with its own parameters
and seed, scored by one of its metrics, on this machine's cores or on a Dask cluster.

    sweep = prepare_sweep(SweepSpec("hotgym", ["columns=256,512", "predictor_alpha=0.01:0.5:log"],
                                    metric="rms_1", trials=16, steps=1000, out="sweep.csv"))
    sweep.run()                       # or sweep.start(); ... sweep.stop(); sweep.wait()
    print(sweep.best())

No Qt: the CLI (``workbench sweep``) and the GUI's Sweep panel drive the same :class:`Sweep`.
Dask itself is imported only when a sweep connects to a cluster.
"""

from .engine import Sweep, SweepSpec, prepare_sweep
from .errors import SweepError
from .plan import STRATEGIES, Objective, TrialSpec
from .report import ConfigScore, describe_ranking, describe_trial, rank_configs, run_command
from .space import Axis, parse_axes
from .table import ResultsTable
from .trial import FAILED, LOST, OK, TrialContext, TrialResult, run_trial

__all__ = [
    "Axis", "ConfigScore", "FAILED", "LOST", "OK", "Objective", "ResultsTable", "STRATEGIES", "Sweep",
    "SweepError", "SweepSpec", "TrialContext", "TrialResult", "TrialSpec", "describe_ranking",
    "describe_trial", "parse_axes", "prepare_sweep", "rank_configs", "run_command", "run_trial",
]
