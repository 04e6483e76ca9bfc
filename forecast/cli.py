"""The forecast domain's command: `suite forecast CSV... --model MODEL --horizon N --plot out.png`."""
from __future__ import annotations

import argparse


def _forecast_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("forecast")
    g.add_argument("--horizon", type=int,
                   help="steps to forecast (default: the model's; more are forecast recursively, and said so)")
    g.add_argument("--plot", metavar="PNG",
                   help="draw history, forecast and interval (with several files: PNG_<name>.png each)")
    g.add_argument("--history", type=int, metavar="N", help="history steps drawn in --plot (default: all)")


def add_commands(sub, synth_kinds=None) -> None:
    from suite.cli_tools import add_predict_command

    from .domain import HELP

    add_predict_command(
        sub, "forecast", "forecast", HELP,
        "suite forecast data/airline.csv --model runs/forecast/model.pt --horizon 24 --plot forecast.png",
        extra_args=_forecast_args)
