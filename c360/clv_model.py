"""Buy-till-you-die models fitted by maximum likelihood: BG/NBD and Gamma-Gamma.

BG/NBD (Fader, Hardie and Lee, "Counting your customers the easy way", Marketing Science
24(2), 2005) models repeat purchases: while alive, a customer buys at a Poisson rate
(gamma-distributed across customers, shape ``r``, scale ``alpha``), and after each purchase
drops out with a probability (beta-distributed, ``a``, ``b``). From a customer's repeat
purchases ``x``, the time of the last one ``t_x`` and their age ``T`` (all in one time unit,
days in the warehouse) it gives P(alive) and the expected purchases in the next ``t``.

Gamma-Gamma (Fader and Hardie, "The Gamma-Gamma model of monetary value", 2013) models the
average value of a customer's repeat purchases (``p``, ``q``, ``v``); its conditional mean
is the expected value of their next orders. It is fitted on customers with at least one
repeat purchase of positive mean value.

Estimates are maximum likelihood (scipy's L-BFGS-B on the log of each parameter, from the
published likelihoods, run from two starting points that must agree), not a posterior
under priors. A fit that does not converge, or data too thin to fit, returns a ``Fit``
whose ``reason`` says why and whose parameters are None: callers write null predictions
with that reason, never a number from a failed fit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from scipy import optimize

BG_NBD = "bg_nbd"
GAMMA_GAMMA = "gamma_gamma"
PARAMETERS = {BG_NBD: ("r", "alpha", "a", "b"), GAMMA_GAMMA: ("p", "q", "v")}
# Fewer repeat customers than this and the fit is not attempted: the parameters would say
# more about the optimiser's start than about the customers.
DEFAULT_MIN_REPEAT_CUSTOMERS = 10

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Fit:
    """One model's maximum-likelihood fit: parameters by name, or None with the reason."""

    model: str
    customers: int
    parameters: dict[str, float] | None = None
    log_likelihood: float | None = None
    reason: str | None = None
    iterations: int = 0
    details: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.parameters is not None


def _floats(*values: ArrayLike) -> list[Array]:
    return [np.asarray(value, dtype=np.float64) for value in values]


# --- BG/NBD ------------------------------------------------------------------------------------


def bg_nbd_log_likelihood(params: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Array:  # noqa: N803
    """Each customer's log-likelihood (Fader, Hardie and Lee 2005, equation 6)."""
    r, alpha, a, b = (float(value) for value in np.asarray(params, dtype=np.float64))
    x, t_x, T = _floats(x, t_x, T)  # noqa: N806
    from scipy import special  # here, not at import: the CLI starts without scipy

    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    a4 = np.where(
        repeat,
        np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return a1 + a2 + np.logaddexp(a3, a4)  # type: ignore[no-any-return]


def probability_alive(params: dict[str, float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Array:  # noqa: N803
    """P(alive at T | x, t_x, T): 1 for a customer with no repeat purchase (the model's
    customers can only drop out right after a purchase)."""
    r, alpha, a, b = (params[name] for name in PARAMETERS[BG_NBD])
    x, t_x, T = _floats(x, t_x, T)  # noqa: N806
    repeat = x > 0
    log_ratio = (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    odds = np.where(repeat, a / np.where(repeat, b + x - 1, 1.0) * np.exp(np.minimum(log_ratio, 700.0)), 0.0)
    return 1.0 / (1.0 + odds)  # type: ignore[no-any-return]


def expected_purchases(
    params: dict[str, float],
    t: float,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,  # noqa: N803
) -> Array:
    """E[purchases in (T, T + t] | x, t_x, T] (Fader, Hardie and Lee 2005, equation 10),
    with the Gaussian hypergeometric function 2F1."""
    r, alpha, a, b = (params[name] for name in PARAMETERS[BG_NBD])
    x, t_x, T = _floats(x, t_x, T)  # noqa: N806
    from scipy import special

    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    growth = 1.0 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp
    numerator = (a + b + x - 1) / (a - 1) * growth
    return numerator * probability_alive(params, x, t_x, T)  # type: ignore[no-any-return]


def probability_no_purchase(
    params: dict[str, float],
    t: float,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,  # noqa: N803
) -> Array:
    """P(no purchase in (T, T + t] | x, t_x, T): gone already, or alive and not buying for
    t (the purchase rate's posterior given alive is gamma(r + x, alpha + T))."""
    r, alpha, _a, _b = (params[name] for name in PARAMETERS[BG_NBD])
    x, t_x, T = _floats(x, t_x, T)  # noqa: N806
    alive = probability_alive(params, x, t_x, T)
    quiet = ((alpha + T) / (alpha + T + t)) ** (r + x)
    return (1.0 - alive) + alive * quiet  # type: ignore[no-any-return]


def fit_bg_nbd(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,  # noqa: N803
    min_repeat_customers: int = DEFAULT_MIN_REPEAT_CUSTOMERS,
) -> Fit:
    """BG/NBD by maximum likelihood on every customer (one row each)."""
    x, t_x, T = _floats(x, t_x, T)  # noqa: N806
    customers = int(x.size)
    reason = _too_thin(customers, int(np.count_nonzero(x > 0)), min_repeat_customers)
    if reason is None and np.any((x < 0) | (t_x < 0) | (t_x > T) | (np.round(x) != x)):
        reason = "inputs out of range: x must be whole and >= 0, and 0 <= t_x <= T"
    if reason is not None:
        return Fit(BG_NBD, customers, reason=reason)
    scale = float(np.mean(T))  # start near the data's own time scale, whatever the unit

    def negative(log_params: Array) -> float:
        return -float(np.sum(bg_nbd_log_likelihood(np.exp(log_params), x, t_x, T)))

    return _maximise(BG_NBD, customers, negative, np.log([1.0, scale, 1.0, 1.0]))


# --- Gamma-Gamma -------------------------------------------------------------------------------


def gamma_gamma_log_likelihood(params: ArrayLike, x: ArrayLike, m: ArrayLike) -> Array:
    """Each repeat customer's log-likelihood of their mean repeat value ``m`` over ``x``
    repeat purchases (Fader and Hardie 2013, equation 3)."""
    p, q, v = (float(value) for value in np.asarray(params, dtype=np.float64))
    x, m = _floats(x, m)
    from scipy import special

    return (  # type: ignore[no-any-return]
        special.gammaln(p * x + q)
        - special.gammaln(p * x)
        - special.gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(x * m + v)
    )


def expected_order_value(params: dict[str, float], x: ArrayLike, m: ArrayLike, mean_value: float) -> Array:
    """E[value of an order | x, m]: the customer's mean repeat value shrunk towards the
    population's (``p (v + x m) / (p x + q - 1)``); a customer with no repeat purchase gets
    the population mean, ``mean_value`` (p v / (q - 1) when q > 1)."""
    p, q, v = (params[name] for name in PARAMETERS[GAMMA_GAMMA])
    x, m = _floats(x, m)
    repeat = (x > 0) & (m > 0)
    safe_x = np.where(repeat, x, 1.0)
    safe_m = np.where(repeat, m, 0.0)
    return np.where(repeat, p * (v + safe_x * safe_m) / (p * safe_x + q - 1), mean_value)  # type: ignore[no-any-return]


def population_order_value(params: dict[str, float]) -> float | None:
    """The mean order value the Gamma-Gamma model implies (p v / (q - 1)); None when q <= 1
    (the mean does not exist)."""
    p, q, v = (params[name] for name in PARAMETERS[GAMMA_GAMMA])
    return p * v / (q - 1) if q > 1 else None


def fit_gamma_gamma(
    x: ArrayLike, m: ArrayLike, min_repeat_customers: int = DEFAULT_MIN_REPEAT_CUSTOMERS
) -> Fit:
    """Gamma-Gamma by maximum likelihood on the customers with a repeat purchase of positive
    mean value (the others are left out, as the model requires)."""
    x, m = _floats(x, m)
    kept = (x > 0) & (m > 0)
    everyone = int(x.size)
    x, m = x[kept], m[kept]
    customers = int(x.size)
    reason = _too_thin(everyone, customers, min_repeat_customers)
    if reason is not None:
        return Fit(GAMMA_GAMMA, customers, reason=reason)

    def negative(log_params: Array) -> float:
        return -float(np.sum(gamma_gamma_log_likelihood(np.exp(log_params), x, m)))

    return _maximise(GAMMA_GAMMA, customers, negative, np.log([1.0, 1.0, float(np.mean(m))]))


# --- the optimiser -----------------------------------------------------------------------------


def _too_thin(customers: int, repeat_customers: int, minimum: int) -> str | None:
    if customers == 0:
        return "no customer with a purchase"
    if repeat_customers < minimum:
        return (
            f"too few repeat customers to fit ({repeat_customers:,} < {minimum:,},"
            " var c360_clv_min_repeat_customers)"
        )
    return None


def _minimise(negative: Callable[[Array], float], start: Array) -> optimize.OptimizeResult:
    from scipy import optimize

    with np.errstate(all="ignore"):
        return optimize.minimize(
            negative,
            start,
            method="L-BFGS-B",
            bounds=[(-20.0, 20.0)] * len(start),
            options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10},
        )


def _maximise(model: str, customers: int, negative: Callable[[Array], float], start: Array) -> Fit:
    """Minimise ``negative`` (a function of the log-parameters) from two starting points and
    check the result: both must reach the same finite optimum inside the parameters' range.
    A likelihood that keeps growing towards a degenerate model (e.g. every customer
    spending exactly alike) stops the two runs at different places, and is refused."""
    names = PARAMETERS[model]
    results = [_minimise(negative, start), _minimise(negative, start + 0.7)]
    best = min(results, key=lambda result: float(result.fun))
    estimates = np.exp(best.x)
    iterations = sum(int(result.nit) for result in results)
    # L-BFGS-B may also stop because its line search can gain nothing more, which at the
    # optimum is the precision of floating point, not a failure: the two starts agreeing
    # is the test of convergence that counts.
    stopped = [str(result.message).lower().rstrip(": ") for result in results if not result.success]
    why = None
    if not (np.isfinite(best.fun) and np.all(np.isfinite(estimates))):
        why = "the likelihood is not finite"
    elif np.any(np.abs(best.x) >= 19.999):
        why = "a parameter ran to the edge of its range"
    elif not np.allclose(results[0].x, results[1].x, atol=1e-3):
        why = "two starting points reached different estimates (the likelihood has no clear maximum)"
        if stopped:
            why += f"; the optimiser said: {stopped[0]}"
    if why is not None:
        return Fit(model, customers, reason=f"the fit did not converge: {why}", iterations=iterations)
    return Fit(
        model,
        customers,
        parameters={name: float(value) for name, value in zip(names, estimates, strict=True)},
        log_likelihood=-float(best.fun),
        iterations=iterations,
    )
