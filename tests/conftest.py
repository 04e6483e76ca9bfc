import os
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# subprocesses (DataLoader workers, CLI runs) must find tests.toy_domain too
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
torch.set_num_threads(min(2, torch.get_num_threads()))

SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data():
    if not SHARED.is_dir():
        pytest.skip("../shared/data is not available")
    return SHARED

# Fuzzers run briefly by default; `SUITE_FUZZ=long make test` (or pytest -m '' with it) runs them longer.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("ci", max_examples=60, deadline=30000,  # a hang still fails; a loaded CI box does not
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("long", max_examples=3000, deadline=20000,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("SUITE_FUZZ", "ci"))


# Browser tests start Chromium and a server per module: slow (`make test` runs them, `make test-fast` does
# not). Marked here because tests/test_serve_browser.py has its own owner; a mark in that file does the same.
SLOW_MODULES = {"test_serve_browser.py"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
