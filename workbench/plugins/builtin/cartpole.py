"""``cartpole``: an agent learns to balance a pole on a cart (or any gymnasium environment with
discrete actions), one environment step per workbench step.

Two agents (workbench.engine.rl): a DQN on the engine's autograd, and the UBL agent, an HTM
Spatial Pooler that learns which action explains each transition and acts by asking which action
leads to the goal state. A random agent is there for comparison. The reward curves show the
last episode's reward and the average over the last 100 episodes (CartPole-v1 counts as solved
at 475); the environment is drawn each step, and for UBL its SDRs are shown.

:class:`RLExperiment` is the part the ``cartpole`` and ``gridworld`` experiments share: agent
parameters, streams, views, the step, and the state (environment, agent, replay buffer, episode
statistics), so that checkpoints and forks continue a run exactly.
"""

from __future__ import annotations

import abc
import math
from typing import Any

from workbench.engine.htm.sdr import SDR
from workbench.engine.rl.agents import EpsilonSchedule, RandomAgent
from workbench.engine.rl.dqn import DQNAgent, DQNConfig
from workbench.engine.rl.encoding import EncoderSettings, ObservationEncoder
from workbench.engine.rl.environments import Environment, grid_shape
from workbench.engine.rl.rendering import render
from workbench.engine.rl.spaces import ObservationScaler, parse_bounds
from workbench.engine.rl.training import Trainer
from workbench.engine.rl.ubl import UBLAgent, UBLConfig, default_goal, parse_goal
from workbench.plugins.api import Experiment, View
from workbench.plugins.params import Param, ParamError
from workbench.session.frames import Stream, StreamKind

AGENTS = ("dqn", "ubl", "random")


def agent_params(dqn: DQNConfig, ubl: UBLConfig, encoder: EncoderSettings) -> tuple[Param, ...]:
    """The agent parameters, with defaults taken from the given configurations (each
    experiment's tuned ones); exploration (epsilon) is shared, with the DQN's defaults."""
    return (
        Param("agent", "choice", "dqn", "dqn: a Q-network with replay and a target network; ubl: "
              "an HTM Spatial Pooler that acts towards a goal state; random: the baseline",
              choices=AGENTS),
        Param("epsilon_end", "float", dqn.exploration.end, "exploration left after the decay "
              "(probability of a random action)", low=0.0, high=1.0),
        Param("epsilon_decay_steps", "int", dqn.exploration.decay_steps, "steps over which exploration "
              "falls from 1 to epsilon_end", low=0, high=10**7),
        Param("hidden", "str", ",".join(str(h) for h in dqn.hidden), "DQN hidden layer sizes, "
              "comma-separated"),
        Param("learning_rate", "float", dqn.learning_rate, "DQN Adam learning rate", low=1e-6, high=1.0,
              log=True),
        Param("gamma", "float", dqn.gamma, "DQN discount of future reward", low=0.0, high=1.0),
        Param("n_step", "int", dqn.n_step, "DQN steps per stored transition (n-step returns)", low=1,
              high=100),
        Param("batch_size", "int", dqn.batch_size, "DQN transitions per update", low=1, high=4096),
        Param("buffer_size", "int", dqn.buffer_size, "DQN replay buffer capacity", low=1, high=10**7),
        Param("learning_starts", "int", dqn.learning_starts, "DQN transitions before the first update",
              low=0, high=10**7),
        Param("train_every", "int", dqn.train_every, "DQN environment steps per update", low=1, high=1000),
        Param("target_every", "int", dqn.target_every, "DQN steps between target network updates",
              low=1, high=10**6),
        Param("tau", "float", dqn.tau, "DQN target update fraction (1: copy)", low=1e-4, high=1.0),
        Param("double", "bool", dqn.double, "Double DQN targets (online net picks, target net values)"),
        Param("grad_clip", "float", dqn.grad_clip, "DQN global gradient norm bound (0: off)", low=0.0,
              high=1e6),
        Param("encoder", "choice", encoder.kind, "UBL encoder for Box observations",
              choices=("scalar", "rdse")),
        Param("encoder_size", "int", encoder.size, "UBL bits per observation dimension", low=8, high=4096),
        Param("active_bits", "int", encoder.active_bits, "UBL active bits per observation dimension",
              low=1, high=2048),
        Param("columns", "int", ubl.columns, "UBL Spatial Pooler columns", low=16, high=65536),
        Param("sparsity", "float", ubl.sparsity, "UBL fraction of active columns", low=0.005, high=0.5),
        Param("potential_pct", "float", ubl.potential_pct, "UBL fraction of the input each column may "
              "connect to", low=0.01, high=1.0),
        Param("learn_pooler", "bool", ubl.learn_pooler, "UBL: the Spatial Pooler learns too (measured: "
              "it then forgets the small differences between actions; see docs/rl.md)"),
        Param("decoder_alpha", "float", ubl.decoder_alpha, "UBL SDRClassifier learning rate",
              low=1e-4, high=1.0, log=True),
        Param("goal", "str", "", "UBL goal observation, comma-separated (empty: the environment's "
              "known goal)", optional=True),
    )


class RLExperiment(Experiment):
    """An agent in a gymnasium environment (subclasses choose the environment and defaults)."""

    default_steps = 20_000

    # -- building --------------------------------------------------------------------------------
    @abc.abstractmethod
    def make_environment(self, ctx) -> Environment:
        """The environment this experiment runs (subclasses choose it from their parameters)."""

    def observation_bounds(self, env: Environment) -> list[tuple[float, float]] | None:
        """Bounds given by the user for Box observations (None: known or the space's own)."""
        return None

    def build(self, ctx):
        try:
            self.env = self.make_environment(ctx)
            self.env_id = self.env.env_id
            bounds = self.observation_bounds(self.env)
            self.scaler = ObservationScaler(self.env.observation_space, self.env_id, bounds)
        except ValueError as exc:
            raise ParamError(str(exc)) from None
        self.agent = self.make_agent(ctx, bounds)
        self.trainer = Trainer(self.env, self.agent)
        self.threshold = getattr(self.env.env.spec, "reward_threshold", None)  # CartPole-v1: 475
        self.best_average = math.nan
        self.last_episode = {"reward": math.nan, "length": math.nan, "average": math.nan}
        self.stream_shapes = {s.name: s.shape for s in self.streams() if s.kind is StreamKind.SDR}

    def make_agent(self, ctx, bounds):
        p, env = self.p, self.env
        if p["agent"] == "random":
            return RandomAgent(env.action_count, ctx.seed)
        if p["agent"] == "dqn":
            try:
                hidden = tuple(int(h) for h in p["hidden"].replace(" ", "").split(",") if h)
            except ValueError:
                raise ParamError(f"hidden: expected comma-separated layer sizes, e.g. 128,128 "
                                 f"(got {p['hidden']!r})") from None
            config = DQNConfig(
                hidden=hidden, learning_rate=p["learning_rate"], gamma=p["gamma"], n_step=p["n_step"],
                batch_size=p["batch_size"], buffer_size=p["buffer_size"],
                learning_starts=p["learning_starts"], train_every=p["train_every"],
                target_every=p["target_every"], tau=p["tau"], double=p["double"], grad_clip=p["grad_clip"],
                exploration=EpsilonSchedule(1.0, p["epsilon_end"], p["epsilon_decay_steps"]))
            return DQNAgent(env.observation_space, env.action_count, config, ctx.seed, ctx.backend,
                            self.env_id, bounds)
        try:
            settings = EncoderSettings(p["encoder_size"], p["active_bits"], p["encoder"], ctx.seed)
            encoder = ObservationEncoder(env.observation_space, settings, self.env_id, bounds,
                                         grid_shape(env.env))
            goal = parse_goal(p["goal"], env.observation_space) if p["goal"] else \
                default_goal(self.env_id, env.unwrapped, env.observation_space)
        except ValueError as exc:
            raise ParamError(str(exc)) from None
        config = UBLConfig(columns=p["columns"], sparsity=p["sparsity"], potential_pct=p["potential_pct"],
                           learn_pooler=p["learn_pooler"], decoder_alpha=p["decoder_alpha"],
                           exploration=EpsilonSchedule(1.0, p["epsilon_end"], p["epsilon_decay_steps"]))
        return UBLAgent(encoder, env.action_count, goal, config, ctx.seed, ctx.backend)

    # -- streams and views -----------------------------------------------------------------------
    def streams(self):
        out = [
            Stream("env", StreamKind.IMAGE, "Environment", f"{self.env_id}, drawn from its state"),
            Stream("episode", StreamKind.TEXT, "Episode",
                   "episode number and step; the reward when one ends"),
            Stream("episode_reward", StreamKind.SCALAR, "Episode reward", "total reward of the last "
                   "finished episode", group="reward"),
            Stream("reward_average", StreamKind.SCALAR, "Average reward (100 episodes)", group="reward"),
            Stream("episode_length", StreamKind.SCALAR, "Episode length", "steps of the last finished "
                   "episode", unit="steps", group="length"),
            Stream("episodes", StreamKind.SCALAR, "Episodes finished", group="episodes"),
            Stream("epsilon", StreamKind.SCALAR, "Exploration (epsilon)", group="epsilon"),
        ]
        if isinstance(self.agent, DQNAgent):
            out += [Stream("loss", StreamKind.SCALAR, "TD loss (Huber)", group="loss"),
                    Stream("q_values", StreamKind.VECTOR, "Q-values",
                           "value of each action, last greedy step")]
        if isinstance(self.agent, UBLAgent):
            a = self.agent
            state, pair = a.encoder.view_shape, (2 * a.encoder.view_shape[0], *a.encoder.view_shape[1:])
            if len(state) == 1:
                pair = a.input_shape
            out += [
                Stream("probabilities", StreamKind.VECTOR, "Action probabilities", "the decoder's vote "
                       "for [state, goal]"),
                Stream("ubl.state", StreamKind.SDR, "State SDR", "encoding of the current observation, "
                       "one row per dimension", shape=state),
                Stream("ubl.goal", StreamKind.SDR, "Goal SDR", "encoding of the goal", shape=state),
                Stream("ubl.transition", StreamKind.SDR, "Transition input", "the pooler's input: the "
                       "previous state's rows above the current state's", shape=pair),
                Stream("ubl.columns", StreamKind.SDR, "Transition columns", "pooler columns for the last "
                       "real transition", shape=a.column_shape),
                Stream("ubl.goal_columns", StreamKind.SDR, "Goal columns", "pooler columns for "
                       "[state; goal], decoded into the action", shape=a.column_shape),
            ]
        return out

    def views(self):
        views = [View("image", ["env"], "Environment"), View("text", ["episode"], "Episode"),
                 View("curves", ["episode_reward", "reward_average"], "Reward"),
                 View("curves", ["episode_length"], "Episode length"),
                 View("curves", ["epsilon"], "Exploration")]
        if isinstance(self.agent, DQNAgent):
            views += [View("curves", ["loss"], "Loss"), View("vector", ["q_values"], "Q-values")]
        if isinstance(self.agent, UBLAgent):
            views += [View("sdr", ["ubl.state"], "State SDR"), View("sdr", ["ubl.goal"], "Goal SDR"),
                      View("sdr", ["ubl.transition"], "Transition [previous; current]"),
                      View("sdr", ["ubl.columns"], "Transition columns"),
                      View("sdr", ["ubl.goal_columns"], "Goal columns"),
                      View("vector", ["probabilities"], "Action probabilities")]
        return views

    # -- the step --------------------------------------------------------------------------------
    def step(self):
        trainer = self.trainer
        result = trainer.step(self.learning)
        number = trainer.episodes + (0 if result.episode_ended else 1)
        if result.episode_ended:
            stats = trainer.stats
            self.last_episode = {"reward": stats.rewards[-1], "length": float(stats.lengths[-1]),
                                 "average": stats.moving_average}
            if not self.best_average >= stats.moving_average and len(stats) >= stats.window:
                self.best_average = stats.moving_average
            how = "terminated" if result.terminated else "time limit"
            text = f"episode {number} ended ({how}) after {result.episode_length} steps: reward " \
                   f"{result.episode_return:g}"
        else:
            text = f"episode {number}, step {result.episode_length}"
        values: dict[str, Any] = {
            "env": render(self.env_id, self.env.unwrapped, result.next_observation,
                          self.scaler(result.next_observation)),
            "episode": text, "episode_reward": self.last_episode["reward"],
            "reward_average": self.last_episode["average"], "episode_length": self.last_episode["length"],
            "episodes": float(trainer.episodes), "epsilon": self.agent.epsilon if self.learning else 0.0,
        }
        agent = self.agent
        if isinstance(agent, DQNAgent):
            values["loss"] = agent.last_loss
            values["q_values"] = agent.q_values
        if isinstance(agent, UBLAgent):
            shapes = self.stream_shapes
            state = agent.encoder.encode(result.next_observation)
            values.update({"probabilities": agent.probabilities,
                           "ubl.state": state.reshape(shapes["ubl.state"]),
                           "ubl.goal": agent.goal_sdr.reshape(shapes["ubl.goal"]),
                           "ubl.transition": agent.transition_input.reshape(shapes["ubl.transition"]),
                           "ubl.columns": SDR.from_sparse(agent.column_shape, agent.transition_columns,
                                                          validate=False),
                           "ubl.goal_columns": SDR.from_sparse(agent.column_shape, agent.goal_columns,
                                                               validate=False)})
        return self.frame(**values)

    def metrics(self):
        stats = self.trainer.stats
        out = {"episodes": float(len(stats)), "last_reward": self.last_episode["reward"],
               "reward_average": stats.moving_average, "best_average": self.best_average}
        if self.threshold is not None:
            solved = stats.solved_at(self.threshold)
            out["solved_at_episode"] = math.nan if solved is None else float(solved)
        return out

    # -- state -----------------------------------------------------------------------------------
    def state_dict(self):
        return {"trainer": self.trainer.state_dict(), "steps": self.steps_done,
                "best_average": self.best_average, "last_episode": dict(self.last_episode)}

    def load_state_dict(self, state):
        self.trainer.load_state_dict(state["trainer"])
        self.steps_done = int(state["steps"])
        self.best_average = float(state["best_average"])
        self.last_episode = {k: float(v) for k, v in state["last_episode"].items()}


CARTPOLE_DQN = DQNConfig()
CARTPOLE_UBL = UBLConfig()
CARTPOLE_ENCODER = EncoderSettings(size=128, active_bits=21)


class CartPole(RLExperiment):
    name = "cartpole"
    title = "CartPole (reinforcement learning)"
    description = ("Balance a pole on a cart (gymnasium's CartPole-v1, or any environment id with "
                   "discrete actions) with a DQN on the engine's autograd or the HTM UBL agent. "
                   "Watch the episode reward climb towards 500; 475 over 100 episodes is solved.")
    version = "1"
    default_steps = 100_000
    params = (
        Param("env", "str", "CartPole-v1", "gymnasium environment id (discrete actions), e.g. "
              "CartPole-v1, MountainCar-v0, Acrobot-v1"),
        Param("bounds", "str", "", "observation bounds as low:high per dimension, comma-separated, "
              "for dimensions whose range is infinite (empty: known or finite ones)", optional=True),
        *agent_params(CARTPOLE_DQN, CARTPOLE_UBL, CARTPOLE_ENCODER),
    )

    def make_environment(self, ctx):
        return Environment(self.p["env"], ctx.seed)

    def observation_bounds(self, env):
        if not self.p["bounds"] or not hasattr(env.observation_space, "low"):
            return None
        return parse_bounds(self.p["bounds"], int(env.observation_space.shape[0]))
