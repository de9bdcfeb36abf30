"""DQN parts against hand-computed values, and the agent learning a tiny corridor."""

import numpy as np
import pytest

from workbench.engine import Tensor
from workbench.engine.nn import MLP
from workbench.engine.rl.agents import EpsilonSchedule, RandomAgent, Transition
from workbench.engine.rl.dqn import DQNAgent, DQNConfig, clip_grad_norm, huber_loss, update_target
from workbench.engine.rl.environments import Environment
from workbench.engine.rl.training import Trainer


def test_target_update_copies(backend_name):
    online = MLP([3, 4, 2], seed=0, backend=backend_name)
    target = MLP([3, 4, 2], seed=1, backend=backend_name)
    update_target(target, online, 1.0)
    for t, o in zip(target.parameters(), online.parameters()):
        np.testing.assert_array_equal(t.numpy(), o.numpy())
        assert t is not o and t._buf is not o._buf  # a copy, not shared storage


def test_target_update_polyak(backend_name):
    online = MLP([3, 4, 2], seed=0, backend=backend_name)
    target = MLP([3, 4, 2], seed=1, backend=backend_name)
    before = [(t.numpy(), o.numpy()) for t, o in zip(target.parameters(), online.parameters())]
    update_target(target, online, 0.25)
    for (t0, o0), t in zip(before, target.parameters()):
        np.testing.assert_allclose(t.numpy(), 0.75 * t0 + 0.25 * o0, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(online.state_dict()["0.weight"], before[0][1])  # online untouched


def test_huber_loss_value_and_gradient(backend_name):
    e = np.array([-3.0, -0.5, 0.0, 0.2, 2.0], dtype=np.float32)
    x = Tensor(e, backend=backend_name, requires_grad=True)
    loss = huber_loss(x)
    # 0.5 e^2 inside [-1, 1], |e| - 0.5 outside; mean of 2.5, 0.125, 0, 0.02, 1.5
    assert loss.item() == pytest.approx((2.5 + 0.125 + 0.0 + 0.02 + 1.5) / 5, rel=1e-6)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.array([-1.0, -0.5, 0.0, 0.2, 1.0]) / 5, rtol=1e-6)


def test_clip_grad_norm_scales_all_gradients_together(backend_name):
    a = Tensor(np.zeros(2, np.float32), backend=backend_name, requires_grad=True)
    b = Tensor(np.zeros(1, np.float32), backend=backend_name, requires_grad=True)
    a.grad = Tensor(np.array([3.0, 0.0], np.float32), backend=backend_name)
    b.grad = Tensor(np.array([4.0], np.float32), backend=backend_name)
    assert clip_grad_norm([a, b], 10.0) == pytest.approx(5.0)
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 0.0])  # under the bound: unchanged
    assert clip_grad_norm([a, b], 1.0) == pytest.approx(5.0)
    np.testing.assert_allclose(a.grad.numpy(), [0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), [0.8], rtol=1e-5)


def test_td_target_uses_double_dqn_n_step_discounts_and_stops_at_terminal_states(backend_name):
    """One update by hand: with learning rate ~0 nothing moves, so the loss is the mean Huber loss
    of Q(s, a) - (r + gamma ** horizon * (1 - terminated) * Q_target(s', argmax_a' Q(s', a')))."""
    import gymnasium

    space = gymnasium.spaces.Box(-1.0, 1.0, shape=(2,))
    config = DQNConfig(hidden=(8,), learning_rate=1e-12, gamma=0.9, batch_size=3, buffer_size=3,
                       learning_starts=10**6, grad_clip=0.0)
    agent = DQNAgent(space, 3, config, seed=4, backend=backend_name)
    update_target(agent.target, MLP([2, 8, 3], seed=9, backend=backend_name))  # differs from online
    s = np.array([[0.5, -0.5], [0.1, 0.9], [-0.3, 0.0]], np.float32)
    s2 = np.array([[-0.2, 0.3], [0.7, 0.7], [0.2, -0.6]], np.float32)
    rewards, terminated, horizons = [1.0, 2.0, 0.5], [False, True, False], [1, 1, 3]
    for i in range(3):
        agent.buffer.add(s[i], i, rewards[i], s2[i], terminated[i], horizons[i])
    agent.buffer.sample = lambda n, rng: agent.buffer.gather(np.arange(3))  # every transition once
    agent.update()
    q, q_next = agent.predict(s), agent.predict(s2)
    q_target = agent.target(Tensor(s2, backend=backend_name)).numpy()
    best = q_next.argmax(axis=1)
    keep = (1 - np.array(terminated)) * 0.9 ** np.array(horizons)
    y = np.array(rewards) + keep * q_target[np.arange(3), best]
    e = q[np.arange(3), np.arange(3)] - y
    expected = np.where(np.abs(e) <= 1, 0.5 * e * e, np.abs(e) - 0.5).mean()
    assert agent.last_loss == pytest.approx(expected, rel=1e-4)
    assert not np.array_equal(best, q_target.argmax(axis=1))  # the test tells Double DQN apart


def test_dqn_beats_random_on_a_corridor(corridor_id):
    """Within 60 episodes the greedy policy walks straight to the end; the backends compute the
    same updates (the parts are tested on each above), so this runs on numpy only."""
    config = DQNConfig(hidden=(16,), learning_rate=0.01, gamma=0.9, batch_size=16, buffer_size=1000,
                       learning_starts=50, target_every=25,
                       exploration=EpsilonSchedule(1.0, 0.05, 200))
    env = Environment(corridor_id, 0)
    trainer = Trainer(env, DQNAgent(env.observation_space, 2, config, seed=0, env_id=corridor_id))
    for _ in range(60):
        trainer.run_episode()
    greedy = [trainer.run_episode(learn=False) for _ in range(5)]
    random = Trainer(Environment(corridor_id, 0), RandomAgent(2, 0))
    baseline = np.mean([random.run_episode() for _ in range(200)])
    assert greedy == [1.0] * 5 and trainer.stats.lengths[-5:] == [5] * 5  # straight to the end
    assert baseline < 0.3


@pytest.mark.parametrize("terminated", [True, False])
def test_n_step_transitions_by_hand(terminated):
    import gymnasium

    config = DQNConfig(hidden=(4,), gamma=0.5, n_step=3, buffer_size=10, learning_starts=10**6)
    agent = DQNAgent(gymnasium.spaces.Box(0.0, 10.0, shape=(1,)), 2, config)
    states = [np.array([float(i)]) for i in range(5)]
    for i, reward in enumerate((1.0, 2.0, 3.0, 4.0)):
        last = i == 3
        agent.learn(Transition(states[i], i % 2, reward, states[i + 1], terminated and last,
                               truncated=last and not terminated))
    batch = agent.buffer.gather(np.arange(len(agent.buffer)))
    scale = agent.scaler
    np.testing.assert_allclose(batch.observations, [scale(states[i]) for i in range(4)])
    returns = [1 + 0.5 * 2 + 0.25 * 3, 2 + 0.5 * 3 + 0.25 * 4, 3 + 0.5 * 4, 4]
    np.testing.assert_allclose(batch.rewards, returns)
    np.testing.assert_allclose(batch.next_observations, [scale(states[3])] + [scale(states[4])] * 3)
    assert batch.horizons.tolist() == [3, 3, 2, 1] and batch.actions.tolist() == [0, 1, 0, 1]
    assert batch.terminated.tolist() == [0.0] + [float(terminated)] * 3  # a time limit bootstraps
    assert not agent.pending


@pytest.mark.parametrize("field, value, message", [
    ("tau", 0.0, "tau must be in \\(0, 1\\]"), ("n_step", 0, "n_step must be >= 1"),
    ("gamma", 1.5, "gamma must be in \\[0, 1\\]"), ("learning_rate", 0.0, "learning_rate must be > 0"),
])
def test_config_errors(field, value, message):
    with pytest.raises(ValueError, match=message):
        DQNConfig(**{field: value})
