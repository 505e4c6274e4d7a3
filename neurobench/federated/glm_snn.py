"""Probabilistic GLM spiking network with a local three-factor learning rule (FL-SNN, spec §3.2).

Discrete time, one step per input frame. ``n_in`` visible inputs are clamped to the data;
``n_hidden`` hidden and ``n_out`` output neurons are *learnable* (``N = n_hidden + n_out``) and
every learnable neuron listens to every input and every learnable neuron (``P = n_in + N``
presynaptic neurons). Neuron ``i`` spikes at step ``t`` with probability ``sigma(u_i[t])``::

    u_i[t] = sum_j sum_k W[i, j, k] (a_k * s_j)[t-1] + w_fb[i] (b * s_i)[t-1] + gamma[i]

where ``(a_k * s)[t-1] = sum_{d=0}^{L-1} a_k[d] s[t-1-d]`` are the filtered traces of the last
``L`` steps through ``K_a`` raised-cosine basis filters ``a_k`` and the feedback filter ``b``
(``raised_cosine_basis``). Per-step gradients of ``log p(s_i[t])``::

    d/dgamma_i = s_i - sigma(u_i);  d/dW[i,j,k] = (a_k * s_j)(s_i - sigma(u_i));
    d/dw_fb[i] = (b * s_i)(s_i - sigma(u_i)).

Local rule (``RuleParams``): the learning signal
``l_t = sum_out log p(s_i[t]) - alpha_kl sum_hid [s log(sigma/r) + (1-s) log((1-sigma)/(1-r))]``
is filtered ``L <- kappa L + (1-kappa) l_t``; eligibility traces ``e <- kappa e + (1-kappa) grad``;
every ``delta_s`` steps ``theta <- theta + lr e`` for output neurons and ``theta <- theta + lr L e``
for hidden neurons (``hidden_learning_signal``; without it, ``lr e`` as in the authors' script).

Hidden neurons are always sampled; outputs are clamped to the label in training (the label's
neuron spikes at every step, the others stay silent) and sampled at test. Arrays carry a leading
*device* axis ``D``: the rule advances ``D`` independent networks, each on its own sample, at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from pydantic import Field

from ..schema import Params

__all__ = ["GLMParams", "GLMState", "RuleParams", "RuleState", "evaluate", "init_weights", "log_likelihood",
           "log_likelihood_grad", "predict_scores", "raised_cosine_basis", "train_samples", "train_steps"]


class GLMParams(Params):
    """Shape of the GLM SNN and its filters (steps are time steps of the input frames)."""

    n_hidden: int = Field(16, ge=0, le=4096, description="hidden (sampled) neurons")
    n_basis: int = Field(8, ge=1, le=64, description="K_a, raised-cosine synaptic basis filters")
    filter_length: int = Field(10, ge=1, le=1000, description="L, length of every filter in steps")
    init_scale: float = Field(0.05, ge=0, description="std of the initial weights (biases start at init_bias)")
    init_bias: float = Field(-1.0, description="initial bias gamma of every learnable neuron")
    output_recurrence: bool = Field(False, description="output spikes feed back into the network (and into "
                                                       "their own feedback filter); off: outputs only read out")


class RuleParams(Params):
    """The local three-factor rule (spec §3.2)."""

    lr: float = Field(0.05, gt=0, description="learning rate eta")
    kappa: float = Field(0.2, ge=0, lt=1, description="filter constant of the learning signal and eligibility traces")
    target_rate: float = Field(0.3, gt=0, lt=1, description="r, target spike probability of hidden neurons")
    alpha_kl: float = Field(1.0, ge=0, description="weight of the KL regulariser in the learning signal")
    delta_s: int = Field(10, ge=1, le=100_000, description="Delta_s, steps between parameter updates")
    hidden_learning_signal: bool = Field(True, description="multiply hidden updates by the learning signal L "
                                                           "(the authors' script omits it)")


def raised_cosine_basis(n_basis: int, length: int) -> np.ndarray:
    """``K_a`` raised cosines over log-time (Pillow et al. 2008), shape ``(n_basis, length)``;
    entry ``[k, d]`` is filter ``k`` at lag ``d + 1`` steps::

        a_k(t) = (1 + cos(clip(c log(t + 1) - phi_k, -pi, pi))) / 2,  t = d + 1,
        phi_k = k pi / 2,  c = (n_basis + 3) pi / (2 log(length + 1))

    so the peaks ``phi_k`` are spaced by pi/2 (consecutive filters overlap by half) and the last
    filter's support ends at lag ``length``. With one filter, ``a_0(t) = 1 - (t - 1)/length``
    decays linearly (the feedback filter ``b``)."""
    t = np.arange(1, length + 1, dtype=np.float64)
    if n_basis == 1:
        return (1.0 - (t - 1.0) / length)[None, :]
    c = (n_basis + 3) * np.pi / (2.0 * np.log(length + 1.0))
    phi = np.arange(n_basis)[:, None] * np.pi / 2.0
    return 0.5 * (1.0 + np.cos(np.clip(c * np.log(t + 1.0)[None, :] - phi, -np.pi, np.pi)))


@dataclass
class GLMState:
    """Parameters of ``D`` networks: ``W`` (D, N, P, K_a), ``w_fb`` (D, N), ``gamma`` (D, N)."""

    W: np.ndarray
    w_fb: np.ndarray
    gamma: np.ndarray

    def copy(self) -> "GLMState":
        return GLMState(self.W.copy(), self.w_fb.copy(), self.gamma.copy())

    def device(self, d: int) -> "GLMState":
        """Device ``d``'s parameters, keeping a leading axis of 1."""
        return GLMState(self.W[d:d + 1].copy(), self.w_fb[d:d + 1].copy(), self.gamma[d:d + 1].copy())


def init_weights(p: GLMParams, n_in: int, n_out: int, seed: int, n_devices: int = 1) -> GLMState:
    """One initial network drawn from ``default_rng(seed)`` (``W ~ N(0, init_scale^2)``, ``w_fb = 0``,
    ``gamma = init_bias``), copied to ``n_devices`` devices (the server's broadcast)."""
    n = p.n_hidden + n_out
    rng = np.random.default_rng(int(seed))
    W = rng.normal(0.0, p.init_scale, (n, n_in + n, p.n_basis))
    return GLMState(np.repeat(W[None], n_devices, axis=0), np.zeros((n_devices, n)),
                    np.full((n_devices, n), p.init_bias))


def _sigmoid(u: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * u))


def _log_p(s: np.ndarray, u: np.ndarray) -> np.ndarray:
    """log p(s | u) of Bernoulli(sigma(u)), stable: s u - log(1 + e^u)."""
    return s * u - np.logaddexp(0.0, u)


class _Filters:
    def __init__(self, p: GLMParams):
        self.a = raised_cosine_basis(p.n_basis, p.filter_length)  # (K_a, L)
        self.b = raised_cosine_basis(1, p.filter_length)[0]  # (L,)


def _traces(f: _Filters, hist: np.ndarray, n_in: int) -> tuple[np.ndarray, np.ndarray]:
    """Filtered traces from the history ``hist`` (B, L, P) (``hist[:, d]`` = spikes at lag d+1):
    synaptic (B, P, K_a) and feedback (B, N)."""
    tr = np.matmul(f.a, hist).transpose(0, 2, 1)  # (B, P, K_a)
    fb = np.matmul(f.b, hist[:, :, n_in:])
    return tr, fb


def _potential(st: GLMState, tr: np.ndarray, fb: np.ndarray) -> np.ndarray:
    """u (B, N); ``st`` holds B networks or one (shared by the batch)."""
    B, N = tr.shape[0], st.W.shape[1]
    flat = tr.reshape(B, -1)
    if st.W.shape[0] == B:
        drive = np.matmul(st.W.reshape(B, N, -1), flat[:, :, None])[:, :, 0]
    else:
        drive = flat @ st.W[0].reshape(N, -1).T
    return drive + st.w_fb * fb + st.gamma


def _recurrent_mask(p: GLMParams, n: int, n_out: int) -> np.ndarray:
    """(N,) 1 for learnable neurons whose spikes enter the history (hidden always; outputs only
    with ``output_recurrence``)."""
    keep = np.ones(n)
    if not p.output_recurrence:
        keep[n - n_out:] = 0.0
    return keep


def log_likelihood(st: GLMState, p: GLMParams, x: np.ndarray, s: np.ndarray, n_out: int) -> float:
    """``sum_t sum_i log p(s_i[t])`` of one network (``st`` with D = 1) for the input frames ``x``
    (T, n_in) and the learnable neurons' spikes ``s`` (T, N; the last ``n_out`` are outputs), all
    fixed."""
    f = _Filters(p)
    n_in = x.shape[1]
    hist = np.zeros((1, p.filter_length, n_in + s.shape[1]))
    keep = _recurrent_mask(p, s.shape[1], n_out)
    total = 0.0
    for t in range(x.shape[0]):
        tr, fb = _traces(f, hist, n_in)
        total += float(_log_p(s[t], _potential(st, tr, fb)[0]).sum())
        hist = np.roll(hist, 1, axis=1)
        hist[0, 0] = np.concatenate([x[t], s[t] * keep])
    return total


def log_likelihood_grad(st: GLMState, p: GLMParams, x: np.ndarray, s: np.ndarray, n_out: int) -> GLMState:
    """The gradient of ``log_likelihood`` with respect to (W, w_fb, gamma), summed over steps
    (the per-step gradients of the module docstring)."""
    f = _Filters(p)
    n_in = x.shape[1]
    hist = np.zeros((1, p.filter_length, n_in + s.shape[1]))
    keep = _recurrent_mask(p, s.shape[1], n_out)
    g = GLMState(np.zeros_like(st.W), np.zeros_like(st.w_fb), np.zeros_like(st.gamma))
    for t in range(x.shape[0]):
        tr, fb = _traces(f, hist, n_in)
        err = s[t][None] - _sigmoid(_potential(st, tr, fb))
        g.W += err[:, :, None, None] * tr[:, None]
        g.w_fb += err * fb
        g.gamma += err
        hist = np.roll(hist, 1, axis=1)
        hist[0, 0] = np.concatenate([x[t], s[t] * keep])
    return g


@dataclass
class RuleState:
    """Eligibility traces (same shapes as the parameters), filtered learning signal (D,) and the
    local step counter."""

    e: GLMState
    L: np.ndarray
    step: int = 0

    @classmethod
    def zeros(cls, st: GLMState) -> "RuleState":
        return cls(GLMState(np.zeros_like(st.W), np.zeros_like(st.w_fb), np.zeros_like(st.gamma)),
                   np.zeros(st.W.shape[0]))


def train_samples(st: GLMState, rs: RuleState, p: GLMParams, rule: RuleParams, x: np.ndarray, y: np.ndarray,
                  n_out: int, uniforms: np.ndarray, on_step=None) -> None:
    """Train ``D`` networks in place, network ``d`` on sample ``x[d]`` (T, n_in) with label
    ``y[d]``; ``uniforms`` (D, T, N) in [0, 1) are the draws of the sampled (hidden) neurons.
    ``on_step(step)`` is called after every step (the federation's clock)."""
    for step in train_steps(st, rs, p, rule, x, y, n_out, uniforms):
        if on_step is not None:
            on_step(step)


def train_steps(st: GLMState, rs: RuleState, p: GLMParams, rule: RuleParams, x: np.ndarray, y: np.ndarray,
                n_out: int, uniforms: np.ndarray) -> Iterator[int]:
    """``train_samples`` one step at a time: a generator that yields the local step counter
    ``rs.step`` after every step (parameters and traces already updated in place), so that a
    caller can pause between steps (a Flower client stops where the server's round ends)."""
    f = _Filters(p)
    D, T, n_in = x.shape
    n = st.gamma.shape[1]
    nh = n - n_out
    hist = np.zeros((D, p.filter_length, n_in + n))
    target = np.zeros((D, n_out))
    target[np.arange(D), y] = 1.0
    k, r = rule.kappa, rule.target_rate
    keep = _recurrent_mask(p, n, n_out)
    for t in range(T):
        tr, fb = _traces(f, hist, n_in)
        u = _potential(st, tr, fb)
        sig = _sigmoid(u)
        s = np.empty_like(sig)
        s[:, :nh] = uniforms[:, t, :nh] < sig[:, :nh]
        s[:, nh:] = target
        err = s - sig
        sh, gh = s[:, :nh], np.clip(sig[:, :nh], 1e-12, 1 - 1e-12)
        kl = (sh * np.log(gh / r) + (1 - sh) * np.log((1 - gh) / (1 - r))).sum(axis=1)
        ell = _log_p(s[:, nh:], u[:, nh:]).sum(axis=1) - rule.alpha_kl * kl
        rs.L = k * rs.L + (1 - k) * ell
        rs.e.W = k * rs.e.W + (1 - k) * err[:, :, None, None] * tr[:, None]
        rs.e.w_fb = k * rs.e.w_fb + (1 - k) * err * fb
        rs.e.gamma = k * rs.e.gamma + (1 - k) * err
        rs.step += 1
        if rs.step % rule.delta_s == 0:
            scale = np.ones((D, n))
            if rule.hidden_learning_signal:
                scale[:, :nh] = rs.L[:, None]
            scale *= rule.lr
            st.W += scale[:, :, None, None] * rs.e.W
            st.w_fb += scale * rs.e.w_fb
            st.gamma += scale * rs.e.gamma
        hist[:, 1:] = hist[:, :-1]
        hist[:, 0, :n_in] = x[:, t]
        hist[:, 0, n_in:] = s * keep
        yield rs.step


def predict_scores(st: GLMState, p: GLMParams, x: np.ndarray, n_out: int, uniforms: np.ndarray,
                   record: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Class scores (B, n_out) of one network (``st`` with D = 1) on the batch ``x`` (B, T, n_in):
    the expected output spike count ``sum_t sigma(u_out[t])`` while hidden and output neurons are
    sampled with the draws ``uniforms`` (B, T, N); with ``record``, also those sampled spikes
    (B, T, N) bool."""
    f = _Filters(p)
    B, T, n_in = x.shape
    n = st.gamma.shape[1]
    hist = np.zeros((B, p.filter_length, n_in + n))
    scores = np.zeros((B, n_out))
    keep = _recurrent_mask(p, n, n_out)
    spikes = np.zeros((B, T, n), dtype=bool) if record else None
    for t in range(T):
        tr, fb = _traces(f, hist, n_in)
        sig = _sigmoid(_potential(st, tr, fb))
        scores += sig[:, n - n_out:]
        hist[:, 1:] = hist[:, :-1]
        hist[:, 0, :n_in] = x[:, t]
        fired = uniforms[:, t] < sig
        hist[:, 0, n_in:] = fired * keep
        if record:
            spikes[:, t] = fired
    return (scores, spikes) if record else scores


def evaluate(st: GLMState, p: GLMParams, x: np.ndarray, y: np.ndarray, n_out: int, seed: int) -> float:
    """Test accuracy (fraction) of one network: arg-max of ``predict_scores`` with the draws of
    ``default_rng(seed)`` (the same seed, the same draws for every network evaluated)."""
    u = np.random.default_rng(int(seed)).random((x.shape[0], x.shape[1], st.gamma.shape[1]))
    return float((predict_scores(st, p, x, n_out, u).argmax(axis=1) == y).mean())
