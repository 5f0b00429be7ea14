"""`dnalens serve`: a real server process on 127.0.0.1 with the tiny model, compared with local runs (issue 20)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import TEST_DATA

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from serve_helpers import TINY, TOKEN, Client, embed_load, free_port
from serve_helpers import running as _running

from dnalens.io.fasta import read_fasta

MAX_BODY = 50_000


@pytest.fixture(scope="module")
def server():
    with _running("--max-body-bytes", str(MAX_BODY), "--max-sequences", "16", "--max-batch-wait-ms", "5",
                  "--max-mutagenesis-positions", "300") as client:
        yield client


def _table(path: Path) -> list[list[str]]:
    return [line.rstrip("\n").split("\t") for line in path.read_text().splitlines() if not line.startswith("#")]


def test_embed_equals_local_run_in_the_tei_shape(server, run_cli, tmp_path):
    fasta = TEST_DATA / "sequences.fa"
    assert run_cli("embed", fasta, "-o", tmp_path / "e.tsv", "--model", TINY, "--device", "cpu", "--quiet").code == 0
    header, *rows = _table(tmp_path / "e.tsv")
    status, vectors, _ = server.call("/embed", {"inputs": [r.sequence for r in read_fasta(fasta)]})
    assert status == 200
    assert isinstance(vectors, list) and all(isinstance(v, list) and all(isinstance(x, float) for x in v)
                                             for v in vectors)
    assert len(vectors) == len(rows) and len(vectors[0]) == len(header) - 1
    for row, vector in zip(rows, vectors):
        assert max(abs(float(a) - b) for a, b in zip(row[1:], vector)) < 1e-5
    status, single, _ = server.call("/embed", {"inputs": next(read_fasta(fasta)).sequence})  # a str: one vector
    assert status == 200 and len(single) == 1


def test_fill_mask_equals_predict_in_the_hf_shape(server, run_cli, tmp_path):
    record = next(read_fasta(TEST_DATA / "sequences.fa"))
    assert run_cli("predict", TEST_DATA / "sequences.fa", "-o", tmp_path / "p.tsv", "--positions", "30",
                   "--model", TINY, "--device", "cpu", "--quiet").code == 0
    header, *rows = _table(tmp_path / "p.tsv")
    local = dict(zip(header, rows[0]))
    masked = record.sequence[:29] + "[MASK]" + record.sequence[30:]
    status, answer, _ = server.call("/fill-mask", {"inputs": masked, "parameters": {"top_k": 4,
                                                                                  "targets": list("ACGT")}})
    assert status == 200 and len(answer) == 4
    assert all(set(item) == {"sequence", "score", "token", "token_str"} for item in answer)
    assert [item["score"] for item in answer] == sorted((item["score"] for item in answer), reverse=True)
    for item in answer:
        assert abs(item["score"] - float(local[item["token_str"]])) < 1e-5
        assert item["sequence"] == record.sequence[:29] + item["token_str"] + record.sequence[30:]
        assert isinstance(item["token"], int)
    status, two, _ = server.call("/fill-mask", {"inputs": masked, "parameters": {"top_k": 1, "targets": ["A", "T"]}})
    assert status == 200 and len(two) == 1 and two[0]["token_str"] in "AT"
    status, error, _ = server.call("/fill-mask", {"inputs": "ACGTACGT"})
    assert status == 422 and "[MASK]" in error["error"]


def test_variants_equal_local_paired_run(server, run_cli, write_fasta, tmp_path):
    refs = list(read_fasta(TEST_DATA / "exon_ref.fa", unique_ids=False))[:6]
    alts = list(read_fasta(TEST_DATA / "exon_alt.fa", unique_ids=False))[:6]
    ref_path = write_fasta([(r.id, r.sequence) for r in refs], "ref.fa")
    alt_path = write_fasta([(r.id, r.sequence) for r in alts], "alt.fa")
    assert run_cli("variants", "--ref-fasta", ref_path, "--alt-fasta", alt_path, "-o", tmp_path / "v.tsv",
                   "--model", TINY, "--device", "cpu", "--quiet").code == 0
    header, *rows = _table(tmp_path / "v.tsv")
    status, answer, _ = server.call("/dnalens/variants", {"pairs": [{"id": r.id, "ref": r.sequence, "alt": a.sequence}
                                                                    for r, a in zip(refs, alts)]})
    assert status == 200
    assert answer["provenance"]["operation"] == "variants" and answer["provenance"]["weights_sha256"]
    assert any(line.startswith("llr method:") for line in answer["method"])
    for row, got in zip(rows, answer["variants"], strict=True):
        local = dict(zip(header, row))
        assert (str(got["pair"]), got["id"], str(got["position"]), got["ref"], got["alt"], got["status"]) == (
            local["pair"], local["id"], local["position"], local["ref"], local["alt"], local["status"])
        for score in ("l2", "cosine", "llr"):
            assert (got[score] is None) == (local[score] == "")
            if got[score] is not None:
                assert abs(got[score] - float(local[score])) < 1e-5


def test_mutagenesis_equals_local_run(server, run_cli, write_fasta, tmp_path):
    records = list(read_fasta(TEST_DATA / "sequences.fa"))[:2]
    fasta = write_fasta([(r.id, r.sequence) for r in records], "m.fa")
    assert run_cli("mutagenesis", fasta, "--range", "11-40", "--window", "64", "-o", tmp_path / "m.tsv",
                   "--model", TINY, "--device", "cpu", "--quiet").code == 0
    header, *rows = _table(tmp_path / "m.tsv")
    status, answer, _ = server.call("/dnalens/mutagenesis", {"sequences": [r.sequence for r in records],
                                                             "ids": [r.id for r in records], "range": "11-40",
                                                             "window": 64})
    assert status == 200 and len(rows) == len(answer["mutations"]) == 2 * 30 * 3
    for row, got in zip(rows, answer["mutations"], strict=True):
        local = dict(zip(header, row))
        assert (got["id"], str(got["position"]), got["ref"], got["alt"]) == (
            local["id"], local["position"], local["ref"], local["alt"])
        assert abs(got["llr"] - float(local["llr"])) < 1e-5 and abs(got["p_ref"] - float(local["p_ref"])) < 1e-5
    assert answer["method"] in (tmp_path / "m.tsv").read_text()  # the file's '# method:' line
    assert answer["provenance"]["operation"] == "mutagenesis" and answer["provenance"]["weights_sha256"]
    assert answer["provenance"]["parameters"] == {"window": 64, "input": "request", "range": "11-40"}
    status, answer, _ = server.call("/dnalens/mutagenesis", {"sequences": ["ACGTNACGTA"]})
    assert status == 200 and len(answer["mutations"]) == 9 * 3 and "1 position(s) are N" in answer["warnings"][0]


def test_mutagenesis_limits_are_clear_4xx(server):
    long = next(r.sequence for r in read_fasta(TEST_DATA / "sequences.fa") if len(r.sequence) > 300)
    status, error, _ = server.call("/dnalens/mutagenesis", {"sequences": [long]})
    assert status == 413 and f"{len(long)} positions" in error["error"] and "at most 300" in error["error"]
    assert "\n" not in error["error"]
    status, error, _ = server.call("/dnalens/mutagenesis", {"sequences": [long], "range": "1-300"})
    assert status == 200 or pytest.fail(error)
    status, error, _ = server.call("/dnalens/mutagenesis", {"sequences": ["ACGTACGT"], "range": "5-20"})
    assert status == 422 and "beyond its 8 bp" in error["error"]
    status, error, _ = server.call("/dnalens/mutagenesis", {"sequences": ["ACGTACGT"], "range": "twenty"})
    assert status == 422 and "START-END" in error["error"]


def test_dnalens_embed_and_predict_routes(server):
    status, answer, _ = server.call("/dnalens/embed", {"sequences": ["ACGTACGTTT", "GGGCCCAAAT"], "ids": ["a", "b"],
                                                       "pooling": "max", "layer": "1", "rc_average": True})
    assert status == 200 and [e["id"] for e in answer["embeddings"]] == ["a", "b"]
    assert answer["provenance"]["parameters"]["pooling"] == "max" and "reverse complement" in answer["method"]
    status, answer, _ = server.call("/dnalens/predict", {"sequences": ["ACGTACGTTT"], "positions": "2,5-6"})
    assert status == 200 and [p["position"] for p in answer["predictions"]] == [2, 5, 6]
    assert abs(sum(answer["predictions"][0][b] for b in "ACGT") - 1) < 1e-5 and answer["method"] == "masked-token"


def test_info_and_auth(server):
    status, info, _ = server.call("/info")
    assert status == 200 and info["model_id"] == TINY.name and info["max_client_batch_size"] == 16
    assert info["max_input_length"] > 0 and "path" not in info["model"] and str(TINY) not in str(info)
    assert server.call("/info", token=None)[0] == 401
    status, error, headers = server.call("/embed", {"inputs": "ACGT"}, token="wrong")
    assert status == 401 and "bearer token" in error["error"] and headers.get("www-authenticate") == "Bearer"
    assert server.call("/health", token=None)[0] == 200  # a load balancer's probe


def test_bad_requests_get_clear_4xx(server):
    # Too large is refused without reading on: from the declared length before any of the body, and a chunked
    # body (no length) at the limit; a server that waited for the rest would time out here.
    status, error = server.send_unfinished("/embed", {"Content-Length": str(MAX_BODY + 20)}, b"")
    assert status == 413 and "at most" in error["error"]
    chunk = b'{"inputs": "' + b"A" * MAX_BODY
    status, error = server.send_unfinished("/embed", {"Transfer-Encoding": "chunked"},
                                           b"%x\r\n%s\r\n" % (len(chunk), chunk))
    assert status == 413 and "over" in error["error"]
    status, error, _ = server.call("/embed", raw=b'{"inputs": ')
    assert status == 400 and "not JSON" in error["error"]
    status, error, _ = server.call("/embed", {"inputs": ["ACGT", "ACGUX"]})
    assert status == 422 and "not DNA" in error["error"] and "'seq2'" in error["error"]
    status, error, _ = server.call("/embed", {"inputs": ["ACGT"] * 17})
    assert status == 413 and "at most 16" in error["error"]
    status, error, _ = server.call("/embed", {"inputs": 5})
    assert status == 422 and "'inputs'" in error["error"]
    status, error, _ = server.call("/dnalens/embed", {"sequences": ["ACGT"], "layer": "9"})
    assert status == 422 and "layer" in error["error"]


def test_refuses_an_open_bind_without_a_token():
    env = {key: value for key, value in os.environ.items() if key != "DNALENS_TOKEN"}
    done = subprocess.run([sys.executable, "-m", "dnalens.cli", "serve", "--host", "0.0.0.0", "--model", str(TINY)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "without a token" in done.stderr


def test_load_concurrent_clients_are_batched(server):
    """8 clients × 50 requests, each a different sequence: every answer is its own request's, and fewer forward
    passes than requests (bench/harness.py --only-serve runs the same and prints the same line)."""
    records = [r.sequence for r in read_fasta(TEST_DATA / "sequences.fa")]
    run = embed_load(server, records, clients=8, per_client=50)
    print(f"\nserve load test: {run.summary()}")
    assert not run.failures and len(run.latencies) == run.requests == 400
    assert 0 < run.forward_batches < run.requests
    assert sum('"route": "/embed"' in line for line in server.log) >= 400  # one access-log line per request


def test_a_full_queue_answers_503_with_retry_after():
    """Queue of 1 and a long batching wait: requests that cannot batch together (different layers) are refused."""
    with _running("--queue", "1", "--max-batch-wait-ms", "400") as client:
        answers: list[tuple[int, object, dict]] = []

        def ask(layer: int) -> None:
            answers.append(client.call("/dnalens/embed", {"sequences": ["ACGTACGT"], "layer": str(layer % 3),
                                                          "pooling": ["mean", "max"][layer % 2]}))

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        statuses = sorted(status for status, _, _ in answers)
        assert statuses.count(200) >= 1 and statuses.count(503) >= 1 and set(statuses) <= {200, 503}
        busy = next((error, headers) for status, error, headers in answers if status == 503)
        assert "busy" in busy[0]["error"] and busy[1]["retry-after"] == "1"
        # SIGTERM while a long request runs: uvicorn lets it finish before the process ends.
        records = [r.sequence for r in read_fasta(TEST_DATA / "sequences.fa") if len(r.sequence) >= 350]
        assert len(records) == 6
        slow: list = []
        in_flight = threading.Thread(target=lambda: slow.append(client.call(
            "/dnalens/predict", {"sequences": records, "positions": "1-200"})))
        started = time.monotonic()
        in_flight.start()
        time.sleep(0.3)
    in_flight.join(timeout=60)
    assert slow and slow[0][0] == 200 and len(slow[0][1]["predictions"]) == 6 * 200
    print(f"\nin-flight request finished {time.monotonic() - started:.1f} s after it started")


def test_a_failing_request_does_not_fail_its_batch():
    from dnalens.serve.batching import BatchQueue

    calls: list[list] = []

    def handler(key, items):
        calls.append(list(items))
        if "bad" in items:
            raise ValueError("bad item")
        return [item.upper() for item in items]

    queue = BatchQueue(handler, capacity=8, max_wait_s=0.2)
    try:
        futures = [queue.submit(("k",), items) for items in (["a"], ["bad"], ["b", "c"])]
        assert futures[0].result(5) == ["A"] and futures[2].result(5) == ["B", "C"]
        with pytest.raises(ValueError):
            futures[1].result(5)
        assert calls[0] == ["a", "bad", "b", "c"]  # first tried together, then one by one
    finally:
        queue.stop()


def test_fill_mask_refuses_other_model_kinds():
    from types import SimpleNamespace

    from dnalens.serve.app import Problem, _require_fill_mask

    kmer = SimpleNamespace(model=SimpleNamespace(id="k", family="masked", tokens=SimpleNamespace(kind="kmer")))
    with pytest.raises(Problem) as refused:
        _require_fill_mask(kmer)
    assert refused.value.status == 400 and "one token per nucleotide" in str(refused.value)


def test_errors_name_a_folder_model_without_its_path_on_the_server(zoo):
    # As /info and the provenance do (work.public_description): the path tells how the server's disks are laid out.
    with _running(model=zoo["base_no_head"]) as client:
        status, error, _ = client.call("/dnalens/mutagenesis", {"sequences": "ACGTACGTAC"})
    assert status == 422 and "model 'base_no_head' is a causal base model" in error["error"]
    assert str(zoo["base_no_head"].parent) not in error["error"]


def test_missing_fastapi_is_one_line():
    code = ("import sys; sys.modules['fastapi'] = None; from dnalens.cli import main; "
            f"sys.exit(main(['serve', '--model', {str(TINY)!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "dnalens[serve]" in done.stderr


def _serve(*options: str, grace_s: float = 30.0) -> subprocess.Popen:
    """`dnalens serve` with the tiny model and a shorter grace after SIGTERM (lifecycle.GRACE_S)."""
    code = ("import sys; import dnalens.serve.lifecycle as lifecycle; lifecycle.GRACE_S = float(sys.argv[1]); "
            "from dnalens.cli import main; sys.exit(main(sys.argv[2:]))")
    return subprocess.Popen([sys.executable, "-c", code, str(grace_s), "serve", "--model", str(TINY), "--device",
                             "cpu", *options], env={**os.environ, "DNALENS_TOKEN": TOKEN}, stderr=subprocess.PIPE,
                            text=True)


def test_sigterm_stops_a_long_request_after_the_grace_and_says_so_in_one_line():
    """A request longer than the grace is stopped at its next forward batch (503, 'shutting down'), the process
    exits 143 soon after, and the log has one shutdown line, no traceback. Also: the line saying it is ready."""
    port = free_port()
    process = _serve("--port", str(port), grace_s=1.0)
    client = Client(port)
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if client.call("/health")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    sequences = [r.sequence for r in read_fasta(TEST_DATA / "sequences.fa")]  # 3,933 sites: about 8 s here
    answers: list = []
    asking = threading.Thread(target=lambda: answers.append(client.call(
        "/dnalens/predict", {"sequences": sequences, "positions_each": [f"1-{len(s)}" for s in sequences]})))
    asking.start()
    while client.call("/info")[1]["stats"]["operation_calls"] < 1:  # SIGTERM once the model works on it
        assert time.monotonic() < deadline, "the predict request never reached the model"
        time.sleep(0.05)
    process.terminate()
    stopped = time.monotonic()
    code = process.wait(timeout=30)
    took = time.monotonic() - stopped
    asking.join(timeout=10)
    log = process.stderr.read()
    print(f"\nexit {took:.1f} s after SIGTERM (grace 1 s)")
    # The 503 shows the request was stopped, not finished (about 8 s alone here); the bound leaves room for busy CI.
    assert code == 143 and took < 20, (code, took, log)
    assert answers[0][0] == 503 and "shutting down" in answers[0][1]["error"]
    assert "Traceback" not in log and '"event": "shutdown"' in log and '"requests_stopped": 1' in log, log
    ready = log.splitlines()[0]
    assert ready.startswith(f"dnalens serve: model {TINY.name} (sha256 ") and f"http://127.0.0.1:{port}," in ready
    assert ready.endswith("device cpu, token required") and TOKEN not in log and str(TINY) not in log


def test_a_port_in_use_is_one_line_before_the_model_loads():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _serve("--port", str(port))
        _, err = process.communicate(timeout=60)
    assert process.returncode == 1 and err.count("\n") == 1
    assert err.startswith("dnalens: error: cannot listen on 127.0.0.1 port") and "in use" in err, err


def test_the_worker_skips_cancelled_requests_and_abort_fails_the_waiting():
    from dnalens.serve.batching import BatchQueue, ShuttingDown

    started, release, calls = threading.Event(), threading.Event(), []

    def handler(key, items):
        calls.append(list(items))
        started.set()
        release.wait(5)
        return items

    queue = BatchQueue(handler, capacity=8, max_wait_s=0)
    try:
        running = queue.submit(("a",), [1])
        assert started.wait(5)
        gone, waiting = queue.submit(("b",), [2]), queue.submit(("c",), [3])
        assert gone.cancel()  # its client went away before the worker took it
        release.set()
        assert running.result(5) == [1] and waiting.result(5) == [3]
        assert calls == [[1], [3]] and queue.skipped == 1
        release.clear()
        started.clear()
        first = queue.submit(("a",), [4])
        assert started.wait(5)
        later = queue.submit(("b",), [5])
        assert queue.abort() == 2
        with pytest.raises(ShuttingDown):
            later.result(5)
        with pytest.raises(ShuttingDown):
            queue.submit(("a",), [6])
        release.set()
        assert first.result(5) == [4]  # a handler without a runner's cancel check ends as it would
    finally:
        queue.stop()
