"""Clients of `dnalens serve` (issue 20 item 2): embed, predict and variants with --endpoint write the files a
local run writes, with the same numbers; info --endpoint; a missing or wrong token and an unreachable server are
one line. A real server process on 127.0.0.1 with the tiny model and small limits, so runs take several requests."""

from __future__ import annotations

import http.server
import json
import math
import threading
import time
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from conftest import TEST_DATA, random_dna

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from serve_helpers import TINY, TOKEN, free_port, running

LOCAL = ("--model", TINY, "--device", "cpu", "--quiet")
ENDPOINT_LINE = "# endpoint: "


@pytest.fixture(scope="module")
def server():
    with running("--max-sequences", "3", "--max-body-bytes", "20000") as client:
        yield client


@pytest.fixture
def remote(server, run_cli):
    def run(*args):
        return run_cli(*args, "--endpoint", server.base, "--token", TOKEN, "--quiet")

    return run


def _lines(path: Path) -> tuple[list[str], list[list[str]]]:
    text = path.read_text().splitlines()
    return [line for line in text if line.startswith("#")], [line.split("\t") for line in text
                                                             if not line.startswith("#")]


def _same_cells(local: list[list[str]], remote: list[list[str]]) -> None:
    assert len(local) == len(remote) and local
    for a_row, b_row in zip(local, remote):
        assert len(a_row) == len(b_row)
        for a, b in zip(a_row, b_row):
            if a != b:  # numbers may differ in the last digits (the server batches differently)
                assert math.isclose(float(a), float(b), abs_tol=1e-5), (a_row, b_row)


def _same_table(local: Path, remote: Path, server) -> None:
    local_header, local_rows = _lines(local)
    remote_header, remote_rows = _lines(remote)
    assert f"{ENDPOINT_LINE}{server.base} (computed by that DNALens server)" in remote_header
    # The server names a folder model by its name, not its path there; the weights' hash line is the same.
    served = [f"# model: {TINY.name}" if line == f"# model: {TINY}" else line for line in local_header]
    assert [line for line in remote_header if not line.startswith(ENDPOINT_LINE)] == served
    _same_cells(local_rows, remote_rows)


def test_embed_equals_local(remote, run_cli, server, tmp_path):
    fasta = TEST_DATA / "sequences.fa"  # 12 records, 3 longer than the window: windowed, 4 requests
    options = ("--window", "300", "--stride", "200", "--pooling", "max")
    assert run_cli("embed", fasta, "-o", tmp_path / "l.tsv", "--npz", tmp_path / "l.npz", *options, *LOCAL).code == 0
    result = remote("embed", fasta, "-o", tmp_path / "r.tsv", "--npz", tmp_path / "r.npz", *options)
    assert result.code == 0, result.err
    _same_table(tmp_path / "l.tsv", tmp_path / "r.tsv", server)
    local, served = np.load(tmp_path / "l.npz"), np.load(tmp_path / "r.npz")
    assert list(local["ids"]) == list(served["ids"])
    np.testing.assert_allclose(served["embeddings"], local["embeddings"], atol=1e-5)


@pytest.mark.parametrize("pooling", ["mean", "max"])
def test_a_record_longer_than_a_request_is_sent_in_stretches(run_cli, write_fasta, tmp_path, pooling):
    # The server takes at most 1,000 bp per sequence: the 4,321-bp record goes as stretches cut at its window
    # starts, whose embeddings join (weighted by their pooled tokens for mean) into the local run's vector.
    fasta = write_fasta({"long": random_dna(4321, seed=5), "short": random_dna(250, seed=6)})
    options = ("--window", "300", "--stride", "170", "--pooling", pooling)
    assert run_cli("embed", fasta, "-o", tmp_path / "l.tsv", "--npz", tmp_path / "l.npz", *options, *LOCAL).code == 0
    with running("--max-length", "1000") as small:
        result = run_cli("embed", fasta, "-o", tmp_path / "r.tsv", "--npz", tmp_path / "r.npz", *options,
                         "--endpoint", small.base, "--token", TOKEN)
        assert result.code == 0, result.err
        assert "1 sequence(s) longer than 300 bp were embedded in windows" in result.err  # as the local run says
        np.testing.assert_allclose(np.load(tmp_path / "r.npz")["embeddings"], np.load(tmp_path / "l.npz")["embeddings"],
                                   atol=1e-5)
        if pooling == "mean":  # both strands are not joined that way: refused in one line, before any output
            refused = run_cli("embed", fasta, "-o", tmp_path / "rc.tsv", *options, "--rc-average",
                              "--endpoint", small.base, "--token", TOKEN)
            assert refused.code == 1 and refused.err.count("\n") == 1 and "--rc-average" in refused.err
            assert "record 'long': 4321 bp" in refused.err and not (tmp_path / "rc.tsv").exists()


def test_predict_on_records_longer_than_a_request_equals_local(run_cli, write_fasta, tmp_path):
    # The tiny model reads 512 bp; the server takes 1,000 bp per sequence. Each request carries the stretch its
    # positions' windows read, so a 3,001-bp record is scored (all positions, and far-apart ones) as locally.
    long = random_dna(3001, seed=7)
    both = write_fasta({"long": long, "short": random_dna(90, seed=8)})
    with running("--max-length", "1000") as small:
        for fasta, positions in ((both, ("--all-positions",)),
                                 (write_fasta({"long": long}, "long.fa"), ("--positions", "1,257,1200,2999-3001"))):
            local, served = tmp_path / "l.tsv", tmp_path / "r.tsv"
            assert run_cli("predict", fasta, "-o", local, *positions, *LOCAL).code == 0
            result = run_cli("predict", fasta, "-o", served, *positions, "--endpoint", small.base, "--token", TOKEN)
            assert result.code == 0, result.err
            assert "1 sequence(s) are longer than the model's 512 bp" in result.err  # as locally
            _same_table(local, served, small)
            assert len(_lines(served)[1]) == (1 + 3001 + 90 if positions[0] == "--all-positions" else 1 + 6 + 0)


def test_predict_equals_local(remote, run_cli, server, write_fasta, tmp_path):
    fasta = TEST_DATA / "sequences.fa"
    assert run_cli("predict", fasta, "-o", tmp_path / "l.tsv", "--positions", "5,17-20", *LOCAL).code == 0
    assert remote("predict", fasta, "-o", tmp_path / "r.tsv", "--positions", "5,17-20").code == 0
    _same_table(tmp_path / "l.tsv", tmp_path / "r.tsv", server)
    # Every position, in a shard whose sites (1025-1090 of 1090) start inside a record longer than the model's 512.
    small = write_fasta({"a": "ACGTTGCAAC" * 103, "b": "GGCATTACGA" * 6})
    for name, options in (("l", LOCAL), ("r", ("--endpoint", server.base, "--token", TOKEN, "--quiet"))):
        result = run_cli("predict", small, "-o", tmp_path / f"all_{name}.tsv", "--all-positions", "--shard", "2/2",
                         *options)
        assert result.code == 0, result.err
    _same_table(tmp_path / "all_l.tsv", tmp_path / "all_r.tsv", server)
    rows = _lines(tmp_path / "all_r.tsv")[1][1:]
    assert (rows[0][:2], rows[-1][:2], len(rows)) == (["a", "1025"], ["b", "60"], 66)


def test_variants_pairs_and_vcf_equal_local(remote, run_cli, server, tmp_path):
    pairs = ("--ref-fasta", TEST_DATA / "exon_ref.fa", "--alt-fasta", TEST_DATA / "exon_alt.fa")
    assert run_cli("variants", *pairs, "-o", tmp_path / "l.tsv", *LOCAL).code == 0
    assert remote("variants", *pairs, "-o", tmp_path / "r.tsv").code == 0
    _same_table(tmp_path / "l.tsv", tmp_path / "r.tsv", server)
    vcf = ("--vcf", TEST_DATA / "variants.vcf", "--reference", TEST_DATA / "chr20_excerpt.fa", "--window", "101")
    assert run_cli("variants", *vcf, "-o", tmp_path / "vl.tsv", "--vcf-out", tmp_path / "l.vcf", *LOCAL).code == 0
    result = remote("variants", *vcf, "-o", tmp_path / "vr.tsv", "--vcf-out", tmp_path / "r.vcf")
    assert result.code == 0, result.err
    _same_table(tmp_path / "vl.tsv", tmp_path / "vr.tsv", server)
    statuses = {row[-1].split("(")[0] for row in _lines(tmp_path / "vr.tsv")[1][1:]}
    assert "ok" in statuses and len(statuses) > 1  # scored and skipped variants both came back in place
    local_vcf = [line.split("\t") for line in (tmp_path / "l.vcf").read_text().splitlines() if line[0] != "#"]
    remote_vcf = [line.split("\t") for line in (tmp_path / "r.vcf").read_text().splitlines() if line[0] != "#"]
    assert [row[:7] for row in local_vcf] == [row[:7] for row in remote_vcf]
    _same_cells([_info_values(row[7]) for row in local_vcf], [_info_values(row[7]) for row in remote_vcf])


def _info_values(info: str) -> list[str]:
    return [value for field in info.split(";") for value in field.split("=")[1:]]


def test_info_names_the_served_model(server, run_cli):
    local = json.loads(run_cli("info", "--model", TINY, "--device", "cpu").out)
    result = run_cli("info", "--endpoint", server.base + "/", "--token", TOKEN)
    assert result.code == 0, result.err
    served = json.loads(result.out)
    assert served["endpoint"] == server.base and served["device"] == "cpu"
    assert served["weights_sha256"] == local["weights_sha256"]
    assert served["model"] == TINY.name == Path(local["id"]).name  # the folder's name, not its path there
    assert served["limits"]["max_client_batch_size"] == 3 and served["dnalens_version"]


def test_token_missing_or_wrong_is_one_line(server, run_cli, monkeypatch, tmp_path):
    fasta = TEST_DATA / "sequences.fa"
    monkeypatch.delenv("DNALENS_TOKEN", raising=False)
    missing = run_cli("embed", fasta, "-o", tmp_path / "e.tsv", "--endpoint", server.base)
    monkeypatch.setenv("DNALENS_TOKEN", "wrong")  # the environment is where a token should come from
    wrong = run_cli("embed", fasta, "-o", tmp_path / "e.tsv", "--endpoint", server.base)
    assert missing.code == wrong.code == 1
    assert missing.err == f"dnalens: error: the DNALens server at {server.base} needs a token (401): set " \
                          "DNALENS_TOKEN (or --token)\n"
    assert wrong.err.count("\n") == 1 and "refused the token (401)" in wrong.err and server.base in wrong.err
    assert not (tmp_path / "e.tsv").exists()


def test_unreachable_server_and_local_options_are_one_line(run_cli, tmp_path):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = run_cli("predict", TEST_DATA / "sequences.fa", "-o", tmp_path / "p.tsv", "--positions", "3",
                     "--endpoint", url)
    assert result.code == 1 and result.err.count("\n") == 1
    assert result.err.startswith(f"dnalens: error: cannot reach the DNALens server at {url}: connection refused")
    refused = run_cli("embed", TEST_DATA / "sequences.fa", "-o", tmp_path / "e.tsv", "--endpoint", url,
                      "--model", TINY)
    assert refused.code == 1 and refused.err.startswith("dnalens: error: --model cannot be used with --endpoint")
    for given in (("--model", "default"), ("--device", "auto"), ("--dtype", "auto")):  # defaults, given: refused too
        also = run_cli("embed", TEST_DATA / "sequences.fa", "-o", tmp_path / "e.tsv", "--endpoint", url, *given)
        assert also.code == 1 and also.err.startswith(f"dnalens: error: {given[0]} cannot be used with --endpoint")
    # Credentials in the URL would be copied into every output's endpoint line: refused, and not echoed.
    secret = run_cli("embed", TEST_DATA / "sequences.fa", "-o", tmp_path / "e.tsv", "--endpoint",
                     "https://lab:s3cret@dnalens.example.org")
    assert secret.code == 1 and secret.err.count("\n") == 1 and "DNALENS_TOKEN" in secret.err
    assert "s3cret" not in secret.err and "lab:" not in secret.err
    assert not list(tmp_path.iterdir())


class _Scripted(http.server.BaseHTTPRequestHandler):
    """Answers GET /info from a script of (status, headers, body) and records when each request came."""

    script: ClassVar[list] = []
    times: ClassVar[list] = []

    def do_GET(self):
        type(self).times.append(time.monotonic())
        status, headers, body = type(self).script.pop(0)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def scripted():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Scripted)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Scripted.times = []
    yield f"http://127.0.0.1:{httpd.server_port}", _Scripted
    httpd.shutdown()


def _info(model_id: str = "m", **versions) -> dict:
    """A DNALens server's /info, as small as the client accepts."""
    return {"max_client_batch_size": 8, "max_input_length": 1000, "max_body_bytes": 10_000,
            "model": {"id": model_id, "weights_sha256": "abc", "max_bp": 100, "family": "masked"},
            "versions": {"dnalens": "1", "torch": "2", "transformers": "4", **versions}}


def test_busy_server_is_retried_after_retry_after(scripted):
    from dnalens.remote import connect

    url, handler = scripted
    info = _info()
    busy = (503, {"Retry-After": "0.3"}, {"error": "server busy", "error_type": "overloaded"})
    handler.script = [busy, busy, (200, {}, info)]
    server = connect(url)
    assert server.id == "m" and server.limits.max_sequences == 8
    waits = np.diff(handler.times)
    assert len(waits) == 2 and all(wait >= 0.3 for wait in waits)  # waited as asked, then answered


def test_a_server_that_is_not_dnalens_is_one_line(scripted):
    from dnalens.errors import RemoteError
    from dnalens.remote import connect

    url, handler = scripted
    handler.script = [(200, {}, {"model_id": "BAAI/bge", "max_client_batch_size": 32})]  # a TEI server's /info
    with pytest.raises(RemoteError, match=f"^{url}/info is not a DNALens server's description"):
        connect(url)
    handler.script = [(500, {}, {"error": "boom"})]
    with pytest.raises(RemoteError, match=f"^the DNALens server at {url} answered 500: boom$"):
        connect(url)


def test_cancel_stops_a_remote_run_between_requests(server):
    import threading as threads

    from dnalens.compute.embedder import EmbeddingOptions
    from dnalens.errors import Cancelled
    from dnalens.io.fasta import read_fasta
    from dnalens.remote import connect
    from dnalens.remote.embed import RemoteEmbed

    event = threads.Event()
    operation = RemoteEmbed(connect(server.base, TOKEN), EmbeddingOptions(), event)
    received = []
    with pytest.raises(Cancelled):  # 12 records, 3 per request: 4 requests without the cancel
        for embedding in operation.records(read_fasta(TEST_DATA / "sequences.fa")):
            received.append(embedding.id)
            event.set()  # Cancel pressed once the first answer arrived
    assert len(received) == 3


def test_a_redirect_is_not_followed_with_the_token(scripted):
    """urllib would send the Authorization header on to wherever a 3xx points: one line instead, one request."""
    from dnalens.errors import RemoteError
    from dnalens.remote import connect

    url, handler = scripted
    handler.script = [(302, {"Location": "http://attacker.example/info"}, {}), (200, {}, {})]
    with pytest.raises(RemoteError, match=r"redirects \(302\) to http://attacker\.example/info"):
        connect(url, "secret")
    assert len(handler.times) == 1


@pytest.mark.parametrize(("url", "token", "warned"), [
    ("http://gpu.lab.example:8000", "t", True), ("http://10.0.0.5:8000", "t", True),
    ("http://127.0.0.1:8000", "t", False), ("http://localhost:8000", "t", False), ("http://[::1]:8000", "t", False),
    ("https://gpu.lab.example", "t", False), ("http://gpu.lab.example:8000", None, False)])
def test_a_token_over_plain_http_to_another_host_is_warned(url, token, warned):
    from dnalens.remote.http import plain_http_warning

    assert (plain_http_warning(url, token) is not None) == warned


def test_the_cli_warns_before_sending_a_token_over_plain_http(run_cli, tmp_path):
    # A reserved name that never resolves: the warning comes first, then the one-line failure.
    result = run_cli("info", "--endpoint", "http://dnalens.invalid:8000", "--token", "t")
    assert result.code == 1
    assert "over plain http" in result.err and "cannot reach the DNALens server" in result.err


def _answering_server(answers: dict):
    """A Server whose routes answer as scripted (no HTTP): what a faulty or hostile server could send."""
    from dnalens.remote.server import Server, ServerLimits

    class Answering(Server):
        url = "http://127.0.0.1:1"

        def __init__(self):
            self.limits = ServerLimits(max_sequences=8, max_length=1000, max_body_bytes=100_000, max_sites=100)
            self.model = {"max_bp": 1000}

        def post(self, route: str, body: dict) -> dict:
            return answers[route]

    return Answering()


def _row(**changes) -> dict:
    return {"id": "s", "position": 2, "ref": "C", "A": 0.1, "C": 0.7, "G": 0.1, "T": 0.1, **changes}


@pytest.mark.parametrize("row", [_row(), _row(id="other"), _row(position=3), _row(ref="C\tx"), _row(A="high"),
                                 {"id": "s", "position": 2}])
def test_remote_predict_takes_only_the_rows_it_asked_for(row):
    from dnalens.errors import RemoteError
    from dnalens.io.fasta import SequenceRecord
    from dnalens.positions import parse_positions
    from dnalens.remote.predict import RemotePredict

    server = _answering_server({"/dnalens/describe": {"method": "m"}, "/dnalens/predict": {"predictions": [row]}})
    operation = RemotePredict(server, parse_positions("2"))
    records = operation.records([SequenceRecord("s", "ACGT")])
    if row == _row():
        (only,) = list(records)
        assert (only.id, only.position, only.ref, only.probabilities["C"]) == ("s", 2, "C", 0.7)
    else:
        with pytest.raises(RemoteError, match=r"malformed row for record 's' position 2$"):
            list(records)


@pytest.mark.parametrize(("vector", "status"), [([1.0, 2.0], "ok"), ([1.0], "ok"), (["x", 2.0], "ok"),
                                                ([1.0, 2.0], "ok\tinjected")])
def test_remote_embed_and_variants_check_what_they_write(vector, status):
    from dnalens.compute.embedder import EmbeddingOptions
    from dnalens.errors import RemoteError
    from dnalens.io.fasta import SequenceRecord
    from dnalens.ops.variant_inputs import VariantCase
    from dnalens.ops.variant_status import OK
    from dnalens.remote.embed import RemoteEmbed
    from dnalens.remote.variants import RemoteVariants

    good = (vector, status) == ([1.0, 2.0], "ok")
    described = {"method": "m", "dimension": 2, "window": 100, "stride": 100, "parameters": {}}
    embed = RemoteEmbed(_answering_server({"/dnalens/describe": described,
                                          "/dnalens/embed": {"embeddings": [{"vector": vector}]}}),
                        EmbeddingOptions())
    variants_server = _answering_server({
        "/dnalens/describe": {"scores": ["l2"], "llr_method": None, "method_lines": [], "parameters": {}},
        "/dnalens/variants": {"variants": [{"l2": 0.5, "status": status}]}})
    variants = RemoteVariants(variants_server, scores="l2")
    case = VariantCase({"id": "v"}, "ACGT", "AGGT", 1, OK)
    if good:
        assert next(iter(embed.records([SequenceRecord("s", "ACGT")]))).vector.tolist() == [1.0, 2.0]
        assert next(iter(variants.records(_Source([case])))).scores == {"l2": 0.5}
    elif status == "ok":
        with pytest.raises(RemoteError, match=r"malformed row for record 's'$"):
            list(embed.records([SequenceRecord("s", "ACGT")]))
    else:
        with pytest.raises(RemoteError, match=r"malformed row for variant 'v'$"):
            list(variants.records(_Source([case])))


class _Source:
    def __init__(self, cases):
        self.cases = cases


@pytest.mark.parametrize("info", [_info("m\n1\t2\t3"), _info(torch="2\nx"), _info(transformers=None),
                                  {**_info(), "versions": None}])
def test_what_the_headers_will_name_must_be_one_line(scripted, info):
    """The model id, weights hash and versions go into every output's header: a line break there would add rows."""
    from dnalens.errors import RemoteError
    from dnalens.remote import connect

    url, handler = scripted
    handler.script = [(200, {}, info)]
    with pytest.raises(RemoteError, match="in one line each"):
        connect(url)
    handler.script = [(200, {}, _info())]
    assert connect(url).versions == {"dnalens": "1", "torch": "2", "transformers": "4"}


def test_a_described_text_with_a_line_break_is_refused():
    """The described method goes into every output's header: it may not add lines there."""
    from dnalens.errors import RemoteError
    from dnalens.remote.predict import RemotePredict

    server = _answering_server({"/dnalens/describe": {"method": "m\nid\tposition"}})
    with pytest.raises(RemoteError, match="described predict with a text that is not one line"):
        RemotePredict(server, None)


def test_a_port_that_does_not_speak_http_is_one_line():
    """Another service's port (here one that greets like SSH and hangs up) is a RemoteError, not a bug report."""
    import socket

    from dnalens.errors import RemoteError
    from dnalens.remote import connect

    listener = socket.create_server(("127.0.0.1", 0))

    def greet() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(4096)
            connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

    thread = threading.Thread(target=greet, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    with listener, pytest.raises(RemoteError, match=f"^{url}/info did not answer in HTTP"):
        connect(url)
    thread.join(timeout=10)


def test_an_answer_larger_than_any_limit_is_not_read(scripted, monkeypatch):
    from dnalens.errors import RemoteError
    from dnalens.remote import connect, http

    monkeypatch.setattr(http, "MAX_ANSWER_BYTES", 100)
    url, handler = scripted
    handler.script = [(200, {}, _info())]  # about 250 bytes of JSON
    with pytest.raises(RemoteError, match=f"^{url}/info answered more than 100 bytes"):
        connect(url)


def test_mutagenesis_of_fasta_ranges_equals_local(remote, run_cli, server, write_fasta, tmp_path):
    from conftest import random_dna

    sequence = random_dna(90, seed=7)  # 'b' has an N: unscored, and never sent
    fasta = write_fasta({"a": sequence, "b": sequence[:20] + "N" + sequence[21:]})
    options = ("--range", "1-70", "--window", "41")  # windows shifted inwards at the records' starts
    assert run_cli("mutagenesis", fasta, "-o", tmp_path / "l.tsv", "--bedgraph", tmp_path / "l.bg", *options,
                   *LOCAL).code == 0
    result = remote("mutagenesis", fasta, "-o", tmp_path / "r.tsv", "--bedgraph", tmp_path / "r.bg", *options)
    assert result.code == 0, result.err
    _same_table(tmp_path / "l.tsv", tmp_path / "r.tsv", server)
    _same_table(tmp_path / "l.bg", tmp_path / "r.bg", server)
    assert len(_lines(tmp_path / "r.tsv")[1]) == 1 + 3 * 139  # the column names, and 70 + 69 positions


def test_mutagenesis_of_a_region_at_a_chromosome_end_equals_local(remote, run_cli, server, tmp_path):
    """531 positions: two requests, each a stretch of the chromosome whose windows clamp where the chromosome's do
    (its last 20 bp), so every window is the local one."""
    options = ("--reference", TEST_DATA / "chr20_excerpt.fa", "--region", "20:5470-6000", "--window", "41")
    assert run_cli("mutagenesis", "-o", tmp_path / "l.tsv", "--bedgraph", tmp_path / "l.bg", *options,
                   *LOCAL).code == 0
    result = remote("mutagenesis", "-o", tmp_path / "r.tsv", "--bedgraph", tmp_path / "r.bg", *options)
    assert result.code == 0, result.err
    _same_table(tmp_path / "l.tsv", tmp_path / "r.tsv", server)
    _same_table(tmp_path / "l.bg", tmp_path / "r.bg", server)


def test_predict_sends_at_most_512_sites_per_request():
    """Half a local batch per request, however many the server would take: progress moves, and a client that
    stops leaves the server at most one request's work (all 3,933 sites of sequences.fa once went as one)."""
    from dnalens.io.fasta import SequenceRecord
    from dnalens.positions import parse_positions
    from dnalens.remote.predict import RemotePredict
    from dnalens.remote.server import Server, ServerLimits

    sent: list[int] = []

    class Recording(Server):
        url = "http://127.0.0.1:1"

        def __init__(self):
            self.limits = ServerLimits(max_sequences=64, max_length=100_000, max_body_bytes=1 << 20, max_sites=10_000)
            self.model = {"max_bp": 1000}

        def post(self, route: str, body: dict) -> dict:
            if route == "/dnalens/describe":
                return {"method": "m"}
            asked = [(name, site) for name, sequence, text in zip(body["ids"], body["sequences"],
                                                                  body["positions_each"])
                     for site in parse_positions(text)]
            sent.append(len(asked))
            return {"predictions": [_row(id=name, position=site, ref="A") for name, site in asked]}

    records = [SequenceRecord("a", "A" * 900), SequenceRecord("b", "A" * 400)]
    rows = list(RemotePredict(Recording(), None).records(records))
    assert len(rows) == 1300 and [(r.id, r.position) for r in rows[899:901]] == [("a", 900), ("b", 1)]
    assert sent == [512, 512, 276]


def test_a_mutagenesis_window_over_the_servers_length_limit_is_one_line_naming_window():
    from dnalens.errors import RemoteError
    from dnalens.ops.mutagenesis import Target
    from dnalens.remote.mutagenesis import RemoteMutagenesis

    server = _answering_server({"/dnalens/describe": {"window": 1001, "method": "m", "scoring": "s"}})
    mutagenesis = RemoteMutagenesis(server, 1001)  # the server takes 1,000 bp per sequence
    sequence = random_dna(5000, seed=9)
    with pytest.raises(RemoteError, match=r"^--window 1001: longer than the 1000 bp per sequence the server"):
        next(mutagenesis.records(Target("chr", 5000, 1, 10, lambda start, end: sequence[start:end])))
