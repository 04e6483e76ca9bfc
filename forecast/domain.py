"""The forecast domain: CSV time series -> windows -> LSTM forecaster -> future values (task ``forecast``).

Light to import (``suite --help`` must not load torch or pandas): everything heavy is reached through ``lazy``.
"""
from __future__ import annotations

from suite.domain import Domain, lazy

from .config import ForecastAugment, ForecastFeatures

HELP = "forecast the next steps of time series in CSV files (original units, with an interval)"

DOMAIN = Domain(
    name="forecast",
    task="forecast",
    command="forecast",
    input_key="series",
    target_key="target",
    features_config=ForecastFeatures,
    augment_config=ForecastAugment,
    load=lazy("forecast.loader:load_window"),
    build_frontend=lazy("forecast.model:build_frontend"),
    prepare_formats=lazy("forecast.prepare:formats"),
    add_commands=lazy("forecast.cli:add_commands"),
    commands={"forecast": HELP},
    predict=lazy("forecast.predict:predict"),
    sample_fields=("start", "end"),  # a window is a row range of its series file
)
