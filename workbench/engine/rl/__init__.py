"""Reinforcement learning: gymnasium environments, observation encoders, and two agents."""
