"""R3 and R6: byte-identical reruns, and Ctrl-C / SIGTERM leave nothing behind with the conventional code."""

import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import TEST_DATA

TINY = str(TEST_DATA / "tiny-model")


def _interactive_signals() -> None:
    """In the child: Ctrl-C as at a terminal. A shell starts background jobs with SIGINT ignored, children
    inherit that, and Python then keeps it ignored (rightly: `dnalens … &` must not die of the terminal's
    Ctrl-C); so a suite started in the background would otherwise test an ignored signal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_mid_run_leaves_no_output(tmp_path, signum, code):
    rng = np.random.default_rng(0)
    big = tmp_path / "big.fa"
    big.write_text("".join(f">s{i}\n{''.join(rng.choice(list('ACGT'), 400))}\n" for i in range(30_000)))
    out = tmp_path / "out" / "embeddings.tsv"
    out.parent.mkdir()
    process = subprocess.Popen([sys.executable, "-m", "dnalens.cli", "embed", str(big), "-o", str(out),
                                "--model", TINY, "--npz", str(out.with_suffix(".npz"))],
                               preexec_fn=_interactive_signals,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not any(out.parent.iterdir()) and time.monotonic() < deadline:  # the run has started writing
            time.sleep(0.05)
        time.sleep(0.5)
        process.send_signal(signum)
        _, err = process.communicate(timeout=60)
    finally:  # a failed or timed-out test must not leave the 30,000-sequence run going
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == code, err
    assert "Traceback" not in err
    assert list(out.parent.iterdir()) == []


@pytest.mark.parametrize("command", [
    ["embed", str(TEST_DATA / "sequences.fa"), "--npz", "{out}.npz", "--projection", "{out}.png"],
    ["predict", str(TEST_DATA / "sequences.fa"), "--all-positions", "--plot", "{out}.png"],
    ["variants", "--vcf", str(TEST_DATA / "variants.vcf"), "--reference", str(TEST_DATA / "chr20_excerpt.fa"),
     "--vcf-out", "{out}.vcf"],
])
def test_the_same_command_twice_gives_byte_identical_files(run_cli, tmp_path, command):
    produced = []
    for run in ("first", "second"):
        base = tmp_path / run
        args = [part.replace("{out}", str(base)) for part in command]
        assert run_cli(*args, "-o", f"{base}.tsv", "--model", TINY, "--quiet").code == 0
        produced.append(sorted(tmp_path.glob(f"{run}.*")))
    assert len(produced[0]) >= 2
    for first, second in zip(*produced):
        assert first.read_bytes() == second.read_bytes(), first.name
