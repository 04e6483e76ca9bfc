"""`suite` stays light: help screens import no torch, torchvision or OpenCV, and transcribing or reading
(which need torch) still import neither torchvision nor OpenCV. Each check runs in a fresh interpreter,
since this test process has imported everything already."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "torchvision", "cv2")

# build the parser as `suite` does and let --help exit; then list the heavy modules that got imported
HELP_PROBE = f"""
import contextlib, io, json, sys
from suite.cli import build_parser
argv = json.loads(sys.argv[1])
out = io.StringIO()
try:
    with contextlib.redirect_stdout(out):
        build_parser(argv).parse_args(argv)
except SystemExit as exit:
    assert exit.code == 0 and "usage" in out.getvalue(), (exit.code, out.getvalue()[-300:])
else:
    raise AssertionError("--help did not exit")
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""

# run the command to the end (exit code and output checked by the test), then list the heavy modules
RUN_PROBE = f"""
import contextlib, io, json, sys
from suite.cli import main
argv = json.loads(sys.argv[1])
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(argv)
print(json.dumps({{"code": code, "output": out.getvalue(),
                  "heavy": sorted(m for m in {HEAVY!r} if m in sys.modules)}}))
"""


def probe(script: str, argv: list[str]):
    proc = subprocess.run([sys.executable, "-c", script, json.dumps(argv)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["transcribe", "--help"], ["read", "--help"]],
                         ids=lambda a: " ".join(a))
def test_help_imports_no_torch_torchvision_or_opencv(argv):
    assert probe(HELP_PROBE, argv) == []


@pytest.mark.parametrize("argv,expect", [
    (["transcribe", "examples/speech/jackson_9-0-6.wav"], "jackson_9-0-6.wav"),
    (["read", "examples/handwriting/line1.json"], "line1.json"),
], ids=["transcribe", "read"])
@pytest.mark.slow  # runs a model in a fresh process (~10 s)
def test_inference_imports_neither_torchvision_nor_opencv(argv, expect):
    res = probe(RUN_PROBE, argv)
    assert res["code"] == 0 and expect in res["output"], res
    assert "torch" in res["heavy"]  # the probe sees imports: the model did run on torch
    assert "torchvision" not in res["heavy"] and "cv2" not in res["heavy"], res["heavy"]
