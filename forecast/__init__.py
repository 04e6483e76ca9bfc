"""Time-series forecasting: CSV series -> windows -> LSTM forecaster -> values in the series' own units.

Plugs into the suite as the ``forecast`` domain and the ``forecast`` task (entry points in pyproject.toml);
nothing in ``suite/`` knows about it.
"""
