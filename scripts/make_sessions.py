"""Regenerate the annotated example sessions in ``sessions/`` (teaching material).

    python scripts/make_sessions.py [--only sine,sequences,hotgym,cartpole-dqn,cartpole-ubl] [--out sessions]

Each session records a built-in experiment with its default parameters (the agents' sessions
pick their agent), seed 0, on numpy, and is then annotated at the moments that matter. Those
moments are found in the recording itself (the first prediction, the step where the context is
learned, ...), so the captions stay true when a model changes. An annotation's view preset names the streams its caption talks about:
``{"streams": [...]}``. Checkpoints are spaced so that every file stays under 20 MB (a hot gym
checkpoint alone is 8 MB of random permanences) while a fork still re-simulates little.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.plugins.registry import Registry  # noqa: E402
from workbench.plugins.runner import Run  # noqa: E402
from workbench.session import Recorder, SessionReader  # noqa: E402

MAX_BYTES = 20_000_000
Caption = tuple[int, str, list[str]]  # step, text, streams it is about


@dataclass(frozen=True)
class Example:
    experiment: str
    steps: int
    checkpoint_every: int
    captions: Callable[[SessionReader], list[Caption]]
    params: dict = field(default_factory=dict)  # the experiment's parameters other than its defaults


def first(mask: np.ndarray, start: int = 1) -> int | None:
    """The first step (1-based) at or after ``start`` where ``mask`` holds, or None."""
    hits = np.flatnonzero(mask[start - 1:])
    return int(hits[0]) + start if hits.size else None


def sine_captions(reader: SessionReader) -> list[Caption]:
    anomaly = reader.scalars("anomaly")
    average = reader.scalars("anomaly_average")
    period = round(2 * math.pi / reader.manifest.params["step"])
    notes: list[Caption] = [
        (1, "The first input. Nothing has been learned: every active column bursts (all its cells "
            "fire), so the raw anomaly is 1.", ["sp.active", "tm.active_cells", "anomaly"])]
    step = first(anomaly < 1)
    if step:
        notes.append((step, f"Step {step}: the first correct prediction. Some active columns were "
                            "predicted: in them only the predicted cells fire.", ["tm.predicted", "anomaly"]))
    step = first(average < 0.5)
    if step:
        notes.append((step, "The moving average of the anomaly falls below one half: most columns "
                            "are now predicted from the previous input.", ["anomaly_average"]))
    if period < reader.length:
        notes.append((period + 1, "The wave starts its second period. The Temporal Memory has seen "
                                  "these inputs before, in the same order.", ["value", "tm.predicted"]))
    step = first(anomaly == 0, period + 1)
    if step:
        notes.append((step, "Anomaly 0: every active column was predicted. The noise (1 % of the "
                            "encoder bits move each step) barely matters to the Spatial Pooler.",
                      ["anomaly", "sp.active", "tm.predicted"]))
    notes.append((reader.length, "The SP permanence histogram: learning pushed synapses towards 0 "
                                 "and 1, away from the connection threshold.", ["sp.permanences"]))
    return notes


def sequences_captions(reader: SessionReader) -> list[Caption]:
    symbols = reader.values("symbol")
    predictions = reader.values("prediction")
    anomaly = reader.scalars("anomaly")
    notes: list[Caption] = [
        (1, f"The first symbol, {symbols[0]}. Its 21 columns all burst: the Temporal Memory predicts "
            "nothing yet.", ["columns", "tm.active_cells", "anomaly"])]
    both = next((i + 1 for i, (s, p) in enumerate(zip(symbols, predictions))
                 if s == "C" and set(p.split()) >= {"D", "Y"}), None)
    if both:
        notes.append((both, "After C the TM predicts both D and Y: it has learned that something "
                            "follows C, not yet which one.", ["prediction", "tm.predictive_cells"]))
    context = next((i + 1 for i, (s, p) in enumerate(zip(symbols, predictions))
                    if i and s == "C" and p in ("D", "Y") and (both is None or i + 1 > both)), None)
    if context:
        before = symbols[context - 3]
        notes.append((context, f"C predicts only {predictions[context - 1]}: the sequence began with "
                               f"{before}. The same columns of C are active, but different cells: the "
                               "context lives in which cells fire (high-order memory).",
                      ["prediction", "tm.active_cells", "tm.predictive_cells"]))
    starts = [i + 1 for i, s in enumerate(symbols) if s in ("A", "X") and anomaly[i] == 1]
    late = [s for s in starts if context and s > context]
    if late:
        notes.append((late[0], "A sequence starts: its first symbol always bursts, because a reset "
                               "between sequences leaves the TM no context to predict from.",
                      ["bursting", "anomaly"]))
    return notes


def hotgym_captions(reader: SessionReader) -> list[Caption]:
    times = reader.values("time")
    anomaly = reader.scalars("anomaly")
    prediction = reader.scalars("prediction_1")
    notes: list[Caption] = [
        (1, f"{times[0]}: the first hour of power readings. The value, the time of day and the "
            "weekend flag are encoded side by side into one SDR.", ["encoding", "power"])]
    step = first(~np.isnan(prediction))
    if step:
        notes.append((step, "The first 1-hour-ahead prediction: the classifier maps active cells to "
                            "power values as soon as it has seen an example.", ["prediction_1", "power"]))
    weekend = next((i + 1 for i, t in enumerate(times) if _weekday(t) == 5), None)
    if weekend:
        notes.append((weekend, f"{times[weekend - 1]}: Saturday. The weekend bits of the encoding "
                               "switch on, and the gym's daily pattern changes.", ["encoding", "power"]))
    step = first(anomaly < 1, 25)
    if step:
        notes.append((step, f"{times[step - 1]}: part of the input is predicted: the TM recognises "
                            "an hour of the day it saw the day before.", ["anomaly", "tm.predicted"]))
    monday = next((i + 1 for i, t in enumerate(times) if _weekday(t) == 0), None)
    if monday:
        notes.append((monday, f"{times[monday - 1]}: Monday. After the weekend the weekday pattern "
                              "returns, which the TM has seen only once (on the first Friday).",
                      ["power", "anomaly", "likelihood"]))
    step = first(anomaly == anomaly.min(), 2)
    if step:
        notes.append((step, f"{times[step - 1]}: the lowest anomaly of the week "
                            f"({anomaly[step - 1]:.2f}): this hour was predicted from the days before. "
                            "A week is little, but the daily rhythm is taking hold.", ["anomaly", "tm.predicted"]))
    return notes


def episode_ends(reader: SessionReader) -> tuple[np.ndarray, np.ndarray]:
    """Steps (1-based) where an episode ended, and each one's reward."""
    texts = reader.values("episode")
    steps = np.array([i + 1 for i, t in enumerate(texts) if " ended " in t], dtype=np.int64)
    rewards = reader.scalars("episode_reward")[steps - 1] if steps.size else np.empty(0)
    return steps, rewards


def cartpole_captions(reader: SessionReader, agent_streams: list[str], how: str) -> list[Caption]:
    """What both agents' CartPole sessions show: the task, the first episode, exploration
    fading, the first long episode and the longest one."""
    ends, rewards = episode_ends(reader)
    notes: list[Caption] = [
        (1, "CartPole: push the cart left or right to keep the pole up. Reward 1 per step; the "
            "episode ends when the pole leans over 12 degrees or the cart leaves the track (red "
            "marks), or after 500 steps. Exploration (epsilon) starts at 1: every action is random.",
         ["env", "episode", "epsilon"])]
    if ends.size:
        notes.append((int(ends[0]), f"The first episode ends after {int(rewards[0])} steps: random "
                                    "pushes keep the pole up for about 22 steps on average.",
                      ["env", "episode", "episode_reward"]))
    epsilon = reader.scalars("epsilon")
    step = first(epsilon <= 0.1)
    if step:
        notes.append((step, f"Exploration is down to {epsilon[step - 1]:.2f}: most actions are now "
                            f"the agent's own choice ({how}).", ["epsilon", *agent_streams]))
    good = np.flatnonzero(rewards >= 100)
    if good.size:
        notes.append((int(ends[good[0]]), f"An episode of {int(rewards[good[0]])} steps: the agent "
                                          "keeps the pole up for over 100 steps.",
                      ["env", "episode_reward", "reward_average"]))
    if ends.size:
        best = int(np.argmax(rewards))
        ending = (" (the 500-step limit: the episode is cut short, not lost)." if rewards[best] >= 500
                  else ". Watch where it ends: the pole falls, or the cart drifts off the track.")
        notes.append((int(ends[best]), f"The longest episode of this recording: {int(rewards[best])} "
                                       f"steps{ending}",
                      ["env", "episode", "episode_reward", "reward_average"]))
    return notes


def cartpole_dqn_captions(reader: SessionReader) -> list[Caption]:
    notes = cartpole_captions(reader, ["q_values"], "the action with the larger Q-value")
    step = first(~np.isnan(reader.scalars("loss")))
    if step:
        notes.append((step, "The first update: from 1,000 stored transitions on, every step trains "
                            "the Q-network on a batch of 64 drawn from the replay buffer.", ["loss"]))
    return sorted(notes)


def cartpole_ubl_captions(reader: SessionReader) -> list[Caption]:
    notes = cartpole_captions(reader, ["ubl.goal_columns", "probabilities"],
                              "the decoder's vote for [state; goal]")
    notes.append((2, "UBL learns from each transition: the Spatial Pooler sees [previous state; "
                     "state] as two rows, and a classifier learns which action goes with its "
                     "active columns.", ["ubl.transition", "ubl.columns"]))
    notes.append((3, "To act, the next state is replaced by the goal (upright, centred, still): "
                     "the columns of [state; goal] are decoded into the action that best explains "
                     "reaching it.", ["ubl.goal", "ubl.goal_columns", "probabilities"]))
    return sorted(notes)


def _weekday(stamp: str) -> int:
    from datetime import date  # noqa: PLC0415

    return date.fromisoformat(stamp[:10]).weekday()


EXAMPLES = {
    "sine": Example("sine", 2000, 500, sine_captions),  # its checkpoints grow to ~2 MB
    "sequences": Example("sequences", 400, 100, sequences_captions),
    # one week, hour by hour; one checkpoint at the start (8 MB): a fork re-simulates <= 168 steps
    "hotgym": Example("hotgym", 168, 1000, hotgym_captions),
    # DQN's first 15,000 steps: the reward climbs from ~20 to 500-step episodes
    "cartpole-dqn": Example("cartpole", 15_000, 5_000, cartpole_dqn_captions, {"agent": "dqn"}),
    # UBL with exploration fading over 2,000 steps; an SP checkpoint is ~3 MB
    "cartpole-ubl": Example("cartpole", 6_000, 3_000, cartpole_ubl_captions,
                            {"agent": "ubl", "epsilon_decay_steps": 2000}),
}


def make(name: str, example: Example, registry: Registry, folder: Path) -> Path:
    path = folder / f"{name}.wbsession"
    run = Run(registry.get(example.experiment), example.params, backend="numpy", seed=0)
    run.build()
    with Recorder.create(path, run, checkpoint_every=example.checkpoint_every):
        for done in range(1, example.steps + 1):
            run.step()
            if done % 1000 == 0:
                print(f"  {name}: {done}/{example.steps}", flush=True)
    with SessionReader(path, annotate=True) as reader:
        for step, caption, streams in example.captions(reader):
            reader.add_annotation(step, caption, {"streams": streams})
        count = len(reader.annotations)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{path} is {size / 1e6:.1f} MB, over the {MAX_BYTES / 1e6:.0f} MB limit")
    print(f"{path}: {example.steps} steps, {count} annotations, {size / 1e6:.1f} MB")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make_sessions.py", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(EXAMPLES), help="comma-separated: " + ", ".join(EXAMPLES))
    parser.add_argument("--out", default=str(ROOT / "sessions"), help="folder for the .wbsession files")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in EXAMPLES]
    if unknown:
        parser.error(f"unknown example {', '.join(unknown)}; choose from {', '.join(EXAMPLES)}")
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    registry = Registry.discover(entry_points=False, user_dir=False)
    for name in names:
        make(name, EXAMPLES[name], registry, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
