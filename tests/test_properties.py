"""R2: property-based tests of the parsers, windowing, reverse complement, k-mer tokens and pairing.

2,500 generated cases per property × 5 properties = 12,500 cases per run.
"""

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dnalens.compute.embedder import windows_of
from dnalens.errors import InputError
from dnalens.io.fasta import read_fasta
from dnalens.model.tokens import token_spans
from dnalens.ops.variant_inputs import minimal_difference
from dnalens.sequence import reverse_complement
from model_zoo import kmer_tokenizer

EXAMPLES = settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
dna = st.text(alphabet="ACGTN", min_size=1, max_size=300)
ids = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=">"), min_size=1,
              max_size=20)
KMER_TOKENIZER = kmer_tokenizer()


@EXAMPLES
@given(st.lists(st.tuples(ids, dna, st.sampled_from([0, 7, 60, 1000]), st.booleans()), min_size=1, max_size=6,
                unique_by=lambda record: record[0]))
def test_fasta_round_trip_whatever_the_wrapping_case_and_line_endings(records):
    text = ""
    for record_id, sequence, width, lower in records:
        body = sequence.lower() if lower else sequence
        lines = [body[i : i + width] for i in range(0, len(body), width)] if width else [body]
        text += f">{record_id}\r\n" + "\r\n".join(lines) + "\n"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.fa"
        path.write_text(text)
        parsed = [(r.id, r.sequence) for r in read_fasta(path)]
    assert parsed == [(record_id, sequence) for record_id, sequence, _, _ in records]


@EXAMPLES
@given(dna, st.text(alphabet="EFIJLOPQUXZ*-.0123456789", min_size=1, max_size=3), st.integers(min_value=0))
def test_any_foreign_letter_is_refused_naming_the_record(sequence, foreign, where):
    where %= len(sequence) + 1
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bad.fa"
        path.write_text(f">rec\n{sequence[:where]}{foreign}{sequence[where:]}\n")
        try:
            list(read_fasta(path))
        except InputError as error:
            assert "record 'rec'" in str(error) and f"position {where + 1}" in str(error)
        else:
            raise AssertionError("accepted a non-DNA letter")


@EXAMPLES
@given(dna, st.integers(min_value=1, max_value=80), st.integers(min_value=1, max_value=80))
def test_windows_cover_every_base_and_never_exceed_the_window(sequence, window, stride):
    stride = min(stride, window)
    pieces = windows_of(sequence, window, stride)
    assert all(len(piece) <= window for piece in pieces)
    covered = set()
    position = 0
    for piece in pieces[:-1]:
        covered.update(range(position, position + len(piece)))
        position += stride
    last_start = len(sequence) - len(pieces[-1])
    covered.update(range(last_start, len(sequence)))
    assert covered == set(range(len(sequence)))
    assert pieces[-1] == sequence[last_start:]


@EXAMPLES
@given(dna, st.text(alphabet="ACGT", min_size=1, max_size=300))
def test_reverse_complement_is_an_involution_and_k_mer_tokens_spell_the_sequence(any_dna, acgt):
    assert reverse_complement(reverse_complement(any_dna)) == any_dna
    assert reverse_complement(any_dna).count("A") == any_dna.count("T")
    ids = KMER_TOKENIZER(acgt)["input_ids"]
    spans = token_spans(KMER_TOKENIZER, ids, acgt)
    pieces = [acgt[start:end] for start, end in spans if end > start]
    assert "".join(pieces) == acgt
    assert all(len(piece) == 6 for piece in pieces[: len(acgt) // 6])


@EXAMPLES
@given(dna, dna)
def test_pairing_difference_rebuilds_the_mutant(ref, alt):
    start, ref_part, alt_part = minimal_difference(ref, alt)
    assert ref[:start] + ref_part + ref[start + len(ref_part) :] == ref
    assert ref[:start] + alt_part + ref[start + len(ref_part) :] == alt
    if ref == alt:
        assert ref_part == alt_part == ""
