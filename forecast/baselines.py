"""Classical baselines on one univariate series: seasonal-naive, Holt-Winters (statsmodels) and SARIMA."""
from __future__ import annotations

import warnings

import numpy as np


def seasonal_naive(train: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """The last season repeated."""
    train = np.asarray(train, dtype=np.float64)
    return train[-season:][np.arange(horizon) % season]


def holt_winters(train: np.ndarray, horizon: int, season: int, trend: str = "add", seasonal: str = "mul",
                 damped: bool = False) -> np.ndarray:
    """Holt-Winters exponential smoothing, parameters by maximum likelihood (statsmodels)."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short series
        fit = ExponentialSmoothing(np.asarray(train, dtype=np.float64), trend=trend, damped_trend=damped,
                                   seasonal=seasonal, seasonal_periods=season).fit()
    return np.asarray(fit.forecast(horizon))


def sarima(train: np.ndarray, horizon: int, season: int, order=(1, 1, 1), seasonal_order=(0, 1, 1),
           log: bool = True) -> np.ndarray:
    """SARIMA(order)(seasonal_order, season), on logs by default (the classic airline model is (0,1,1)(0,1,1))."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    y = np.asarray(train, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = SARIMAX(np.log(y) if log else y, order=order, seasonal_order=(*seasonal_order, season)).fit(disp=False)
    f = np.asarray(fit.forecast(horizon))
    return np.exp(f) if log else f
