"""The `dnalens` command line. Galaxy calls only this; the GUI calls the same operation functions.

Only argparse is imported at start-up, so `dnalens --help` answers at once; torch loads when a command runs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable

from . import __version__
from .choices import (
    CLASSIFIERS,
    DEFAULT_MAX_DIFFERENCES,
    DEFAULT_MODEL,
    DEFAULT_PAIR_BY,
    DEFAULT_POOLING,
    DEFAULT_PROJECTION,
    DEFAULT_WINDOW,
    PAIR_BY,
    POOLINGS,
    PROJECTIONS,
    REGRESSORS,
    SCORES,
)

EXIT_ERROR = 1
EXIT_USAGE = 2


def _at_least(minimum: int, maximum: int | None = None):
    """An argparse type: a whole number in [minimum, maximum], refused with one line otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"from {minimum} to {maximum}" if maximum is not None else f"{minimum} or more"
            raise argparse.ArgumentTypeError(f"{value}: must be {bound}")
        return value

    return parse


def _add_shard_option(parser: argparse.ArgumentParser) -> None:
    """Parsed into a Shard by main (shards.py), so a bad value is a one-line error like any other input."""
    parser.add_argument("--shard", metavar="K/N",
                        help="only the K-th of N contiguous parts of the input (records, pairs, VCF ALT alleles, "
                             "sites or positions, cut on the operation's chunk grid so the numbers equal the "
                             "unsharded run's); 'dnalens merge' joins the N outputs into the unsharded output")
    parser.add_argument("--resume", action="store_true",
                        help="make the run resumable, or continue an interrupted one: it runs as shards whose parts "
                             "are kept in .OUT.dnalens-resume beside the output until all are done and merged, so "
                             "after a kill the same command with --resume continues where it stopped (refused if "
                             "an option, input file or the model changed); opt-in: a run without --resume neither "
                             "uses nor creates that folder")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not the usage block, like every other error
        from .distributed import is_quiet_rank

        # Under torchrun every rank parses the same command: rank 0 alone says what is wrong with it.
        self.exit(EXIT_USAGE, None if is_quiet_rank() else f"{self.prog}: error: {message}\n")


class _Unset(str):
    """A default that argparse hands back as is, so that an option left out is told from one given with the
    default's value (--endpoint refuses `--model default` as it refuses any --model)."""


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model and hardware")
    group.add_argument("--model", default=_Unset(DEFAULT_MODEL),
                       help="'default' (the built-in DNALens model), a local model folder, or a hub id")
    group.add_argument("--device", default=_Unset("auto"),
                       help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps")
    group.add_argument("--dtype", default=_Unset("auto"), help="auto (bf16 on capable GPUs, fp32 on CPU), float32, "
                                                       "bfloat16 or float16; bfloat16 on a CPU with AVX512-BF16 or "
                                                       "AMX is about 2x faster, with slightly different numbers")
    group.add_argument("--threads", type=_at_least(1), help="CPU threads for torch (default: torch's choice)")
    group.add_argument("--batch-tokens", type=_at_least(0), default=0,
                       help="tokens per forward pass (default: 4096 on CPU, 262144 on CUDA)")
    group.add_argument("--trust-remote-code", action="store_true",
                       help="allow a model's own Python code to run (only for sources you trust)")
    group.add_argument("--trust-installed-code", action="store_true",
                       help="run a model's own code only if an administrator trusted it when installing the model "
                            "with register-model --trust-remote-code, and it is unchanged since (Galaxy)")
    group.add_argument("--allow-pickle", action="store_true",
                       help="allow pickled .bin weights, which can run code when loaded (safetensors only otherwise)")


def _add_endpoint_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("a DNALens server (docs/SERVE.md)")
    group.add_argument("--endpoint", default=os.environ.get("DNALENS_ENDPOINT") or None, metavar="URL",
                       help="send the model work to a `dnalens serve` server at URL (http://host:8000, or https "
                            "behind a proxy) and write the same files; inputs are still read here (default: "
                            "$DNALENS_ENDPOINT; --endpoint '' runs locally)")
    group.add_argument("--token", default=os.environ.get("DNALENS_TOKEN") or None,
                       help="the server's bearer token (default: $DNALENS_TOKEN, preferred: unlike this option, "
                            "other users cannot see it in the process list)")


def _add_embedding_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pooling", choices=POOLINGS, default=DEFAULT_POOLING,
                        help=f"how token states become one vector; padding never enters (default: {DEFAULT_POOLING})")
    parser.add_argument("--layer", default="-1",
                        help="-1 (last), N (0 = token embeddings), A:B (mean of layers A..B) or all-mean")


def _add_mutagenesis(commands, common: argparse.ArgumentParser) -> None:
    mutagenesis = commands.add_parser("mutagenesis", parents=[common],
                                      help="in-silico saturation mutagenesis: the llr of every substitution of a "
                                           "region (TSV, heatmap, bedGraph)")
    mutagenesis.add_argument("input", nargs="?", help="FASTA file: every sequence (or --range of each) is mutated")
    mutagenesis.add_argument("--reference", help="reference genome FASTA (.gz, bgzip with .fai), with --region")
    mutagenesis.add_argument("--region", help="CHROM:START-END of --reference, 1-based and inclusive")
    mutagenesis.add_argument("--range", dest="span", help="with FASTA input: START-END of each sequence (1-based, "
                                                          "inclusive; default: all of it)")
    mutagenesis.add_argument("--window", type=_at_least(3),
                             help=f"bp the model sees around each position (default: {DEFAULT_WINDOW}, or the "
                                  "model's limit); the same window variants gives an SNV")
    mutagenesis.add_argument("-o", "--output", required=True,
                             help="TSV: id, position, ref, alt, llr, p_ref (three rows per position)")
    mutagenesis.add_argument("--heatmap", help="llr of each base at each position (PNG, SVG or PDF; the first "
                                               "1,000 positions, in rows of 100)")
    mutagenesis.add_argument("--bedgraph", help="log P(reference base) per position, a genome-browser track "
                                                "(0-based coordinates)")
    _add_shard_option(mutagenesis)
    _add_model_options(mutagenesis)
    _add_endpoint_options(mutagenesis)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dnalens", description="Answers from DNA language models: embeddings, nucleotide "
                     "probabilities, zero-shot variant effects and the statistics to compare them.")
    parser.add_argument("--version", action="version", version=f"dnalens {__version__}")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or warnings on stderr")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks on errors")
    # Also accepted after the subcommand; SUPPRESS keeps a top-level --quiet from being reset.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    embed = commands.add_parser("embed", parents=[common], help="one embedding vector per sequence (TSV, NPZ, plots)")
    embed.add_argument("input", help="FASTA file (.gz allowed)")
    embed.add_argument("-o", "--output", required=True, help="TSV: id, e0 … e{d-1}")
    _add_embedding_options(embed)
    embed.add_argument("--window", type=_at_least(1), help="bases per window for long sequences (default: model limit)")
    embed.add_argument("--stride", type=_at_least(1), help="bases between window starts (default: the window)")
    embed.add_argument("--rc-average", action="store_true", help="average with the reverse-complement strand")
    embed.add_argument("--npz", help="also write ids and the embedding matrix as NumPy .npz")
    embed.add_argument("--heatmap", help="heatmap of the embeddings (PNG, SVG or PDF)")
    embed.add_argument("--projection", help="2-D PCA/UMAP scatter of the embeddings (PNG, SVG or PDF)")
    embed.add_argument("--labels", help="TSV of id<TAB>label to colour the projection")
    embed.add_argument("--method", choices=PROJECTIONS, default=DEFAULT_PROJECTION, help="projection method")
    _add_shard_option(embed)
    _add_model_options(embed)
    _add_endpoint_options(embed)

    predict = commands.add_parser("predict", parents=[common], help="probability of A, C, G, T at chosen positions")
    predict.add_argument("input", help="FASTA file (.gz allowed)")
    predict.add_argument("-o", "--output", required=True, help="TSV: id, position, ref, A, C, G, T, method")
    where = predict.add_mutually_exclusive_group(required=True)
    where.add_argument("--positions", help="1-based positions, e.g. 5,17,101 or 90-110")
    where.add_argument("--all-positions", action="store_true", help="every position of every sequence")
    predict.add_argument("--plot", help="PNG, SVG or PDF: a bar chart per position (up to 24), else the "
                         "probabilities along each sequence (the first 8)")
    _add_shard_option(predict)
    _add_model_options(predict)
    _add_endpoint_options(predict)

    variants = commands.add_parser("variants", parents=[common],
                                   help=f"zero-shot effect scores of variants ({', '.join(SCORES)})")
    variants.add_argument("--ref-fasta", help="WT windows (paired mode)")
    variants.add_argument("--alt-fasta", help="mutant windows, paired with --ref-fasta")
    variants.add_argument("--pair-by", choices=PAIR_BY, default=DEFAULT_PAIR_BY,
                          help="pair records by their order in the files or by identical ids "
                               f"(default: {DEFAULT_PAIR_BY})")
    variants.add_argument("--vcf", help="VCF file (.gz allowed), VCF mode")
    variants.add_argument("--reference", help="reference genome FASTA for --vcf (.gz, bgzip with .fai)")
    variants.add_argument("--window", type=_at_least(1),
                          help=f"window in bp centred on each VCF variant (default: {DEFAULT_WINDOW}, or the "
                               "model's limit)")
    variants.add_argument("-o", "--output", required=True, help="TSV of scores, one row per variant allele")
    variants.add_argument("--vcf-out", help="annotated VCF with DNALENS_* INFO fields (VCF mode)")
    variants.add_argument("--scores", help=f"comma-separated from {','.join(SCORES)} (default: all the model "
                          "supports). "
                          "llr with masked models: SNVs one forward pass each; indels and multi-base changes "
                          "(one-nucleotide tokens) by pseudo-log-likelihood, one pass per base of both windows "
                          "(about 400 passes for a 201-bp window)")
    variants.add_argument("--rc-average", action="store_true",
                          help="every score from both strands: llr averaged with the llr of the reverse-complement "
                               "windows (alleles complemented); l2/cosine between strand-averaged embeddings as in "
                               "embed --rc-average (twice the cost)")
    variants.add_argument("--max-differences", type=int,
                          help="paired mode: a pair differing in more places is not a variant pair and is not "
                               "scored (status mismatched_pair); when most pairs are, the run stops "
                               f"(default: {DEFAULT_MAX_DIFFERENCES})")
    _add_embedding_options(variants)
    _add_shard_option(variants)
    _add_model_options(variants)
    _add_endpoint_options(variants)

    compare = commands.add_parser("compare", parents=[common],
                                  help="statistics and a plot comparing a score between groups")
    compare.add_argument("tables", nargs="+", help="score TSV(s); with several, each file is a group unless it "
                                                    "has the --group column")
    compare.add_argument("--value", required=True, help="column with the numbers, e.g. llr or l2")
    compare.add_argument("--group", default="group", help="column naming each row's group (default: group)")
    compare.add_argument("--group-names", help="comma-separated names for the input files, when each is a group")
    compare.add_argument("--paired-by", help="column that pairs rows between two groups (Wilcoxon signed-rank)")
    compare.add_argument("-o", "--output", required=True, help="TSV of tests with group summaries")
    compare.add_argument("--plot", help="box/violin plot with points (PNG, SVG or PDF)")

    _add_mutagenesis(commands, common)

    merge = commands.add_parser("merge", parents=[common],
                                help="join the outputs of --shard K/N runs into the unsharded run's output")
    merge.add_argument("shards", nargs="+", help="the N shard outputs (TSV, bedGraph or plain VCF), in any order")
    merge.add_argument("-o", "--output", required=True, help="the merged file (plain text: .tsv, .bedgraph or .vcf)")
    _add_split(commands, common)

    tokenize = commands.add_parser("tokenize", parents=[common], help="tokens, ids and attention mask per sequence")
    tokenize.add_argument("input", help="FASTA file (.gz allowed)")
    tokenize.add_argument("-o", "--output", required=True, help="TSV of tokens per sequence")
    tokenize.add_argument("--one-hot", help="also write a one-hot (A, C, G, T) encoding as .npz")
    _add_model_options(tokenize)

    for task, choices in (("classify", CLASSIFIERS), ("regress", REGRESSORS)):
        learner = commands.add_parser(task, parents=[common], help=f"{task} sequences from their embeddings "
                                      "(train with cross-validation, or predict)")
        actions = learner.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser, required=True)
        train = actions.add_parser("train", parents=[common], help="fit on labelled sequences, with cross-validation")
        train.add_argument("input", help="TSV with 'sequence' and 'label' columns, or FASTA with --labels")
        train.add_argument("-o", "--output", required=True, help="the fitted model (JSON)")
        train.add_argument("--labels", help="id<TAB>label table, when the input is FASTA")
        train.add_argument("--estimator", "--classifier" if task == "classify" else "--regressor", choices=choices,
                           default=choices[0], dest="estimator")
        train.add_argument("--cv", type=_at_least(2), default=5, help="cross-validation folds (default: 5)")
        train.add_argument("--seed", type=_at_least(0, 2**32 - 1), default=0)
        train.add_argument("--report", help="TSV of the cross-validated metrics with 95 %% intervals")
        train.add_argument("--plot", help="ROC and confusion matrix, or predicted vs observed (PNG, SVG or PDF)")
        _add_embedding_options(train)
        _add_model_options(train)
        use = actions.add_parser("predict", parents=[common], help="apply a fitted model to new sequences")
        use.add_argument("learner", help="model JSON from 'train'")
        use.add_argument("input", help="FASTA file")
        use.add_argument("-o", "--output", required=True, help="TSV of predictions")
        _add_model_options(use)

    register = commands.add_parser("register-model", parents=[common],
                                   help="copy a model and describe it for Galaxy's huggingface data table")
    register.add_argument("--model", required=True, help="a local model folder or a hub id")
    register.add_argument("--target-dir", required=True, help="folder the model is copied into")
    register.add_argument("--output-json", required=True, help="Galaxy data manager JSON to write")
    register.add_argument("--value", help="stable id for the data table (default: from the model name)")
    register.add_argument("--name", help="display name (default: model id, family and tokenizer)")
    register.add_argument("--free-tag", default="", help="free-text tag column")
    register.add_argument("--allow-pickle", action="store_true", help="allow pickled .bin weights")
    register.add_argument("--trust-remote-code", action="store_true",
                          help="trust the model's own Python code: it is installed with the model, and the DNALens "
                               "tools run it (and only it: any later change to it is refused)")

    info = commands.add_parser("info", parents=[common],
                               help="JSON description of a model and of this machine's devices")
    _add_model_options(info)
    _add_endpoint_options(info)
    _add_serve(commands, common)
    return parser


def _add_split(commands, common: argparse.ArgumentParser) -> None:
    split = commands.add_parser("split", parents=[common],
                                help="plan a run in N parts: part_01_of_N.txt … each holding one --shard K/N "
                                     "(for a workflow engine to run one job per part, then merge)")
    split.add_argument("--parts", type=_at_least(1), required=True, help="number of parts N (at most 1000)")
    split.add_argument("--out-dir", required=True, help="new or empty folder for the part files")
    split.add_argument("--vcf", help="the VCF of the variants run: N is capped at its chunks (128 ALT alleles "
                                     "each), so that no part is empty")


def _add_serve(commands, common: argparse.ArgumentParser) -> None:
    serve = commands.add_parser("serve", parents=[common], help="an HTTP server for one model, loaded once "
                                                                "(needs dnalens[serve]; docs/SERVE.md)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (anything but loopback needs a "
                                                           "token)")
    serve.add_argument("--port", type=_at_least(0, 65535), default=8000, help="port (default: 8000)")
    serve.add_argument("--token", default=os.environ.get("DNALENS_TOKEN") or None,
                       help="bearer token every request must send (default: $DNALENS_TOKEN, which, unlike this "
                            "option, other users cannot see in the process list)")
    serve.add_argument("--max-batch-wait-ms", type=float, default=5.0,
                       help="how long a request waits for others to batch with (default: 5)")
    serve.add_argument("--queue", type=_at_least(1), default=256,
                       help="requests that may wait for the model; more get 503 with Retry-After (default: 256)")
    serve.add_argument("--max-sequences", type=_at_least(1), default=64, help="sequences per request (default: 64)")
    serve.add_argument("--max-length", type=_at_least(1), default=100_000, help="bp per sequence (default: 100000)")
    serve.add_argument("--max-body-bytes", type=_at_least(1), default=1 << 20,
                       help="request body size (default: 1048576)")
    serve.add_argument("--max-mutagenesis-positions", type=_at_least(1), default=10_000,
                       help="positions one /dnalens/mutagenesis request may mutate, all its sequences together "
                            "(default: 10000)")
    _add_model_options(serve)


def _load(args):
    from .model import load_model

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    return load_model(args.model, device=args.device, dtype=args.dtype,
                      trust_remote_code=args.trust_remote_code, allow_pickle=args.allow_pickle,
                      trust_installed_code=args.trust_installed_code)


def _context(args):
    from .context import RunContext
    from .messages import warn_on_stderr

    # Under torchrun only rank 0 draws a progress bar (of its shard); every rank gives its warnings.
    session = getattr(args, "session", None)
    quiet_bar = args.quiet or (session is not None and not session.world.is_root)
    return RunContext(quiet=quiet_bar, warn=_ignore if args.quiet else warn_on_stderr)


def _ignore(message: str) -> None:
    """--quiet: no warnings on stderr."""


def _context_and_runner(args, model):
    """A served model (--endpoint) has no runner here: the server batches its work."""
    from .runner import Runner

    context = _context(args)
    if getattr(args, "endpoint", None):
        return context, None
    return context, Runner.for_model(model, context.warn, args.batch_tokens)


# Options a server cannot honour: its own model, device and batching do the work.
LOCAL_ONLY = ("model", "device", "dtype", "threads", "batch_tokens", "trust_remote_code", "trust_installed_code",
              "allow_pickle")


def _given(value: object) -> bool:
    """Whether a model option was given (its _Unset default, None, False and 0 mean left out)."""
    return not (isinstance(value, _Unset) or value is None or value is False or value == 0)


def _model(args):
    """The loaded model, or with --endpoint a checked connection to the server (remote.connect)."""
    if not getattr(args, "endpoint", None):
        return _load(args)
    from .errors import InputError
    from .remote import connect

    if getattr(args, "resume", False):
        raise InputError("--resume cannot be used with --endpoint (a server run is not resumable; --shard K/N and "
                         "dnalens merge split it instead)")
    for name in LOCAL_ONLY:
        if _given(getattr(args, name, None)):
            flag = "--" + name.replace("_", "-")
            raise InputError(f"{flag} cannot be used with --endpoint: the server's own model, device and batching "
                             "do the work (`dnalens info --endpoint URL` shows them)")
    return connect(args.endpoint, args.token, warn=_context(args).warn)


def _embedding_options(args, **extra):
    from .compute.embedder import EmbeddingOptions

    return EmbeddingOptions(pooling=args.pooling, layer=args.layer, **extra)


def run_embed(args) -> str:
    from .jobs.embed import embed_chunks, embed_fasta

    model = _model(args)
    context, runner = _context_and_runner(args, model)
    options = _embedding_options(args, window=args.window, stride=args.stride, rc_average=args.rc_average)

    def run(shard, paths):
        return embed_fasta(model, args.input, paths["output"], options=options, npz=args.npz, heatmap=args.heatmap,
                           projection=args.projection, labels=args.labels, projection_method=args.method,
                           context=context, runner=runner, shard=shard)

    return _run_job(args, model, run, lambda: embed_chunks(args.input), lambda result: (
        f"embedded {result.sequences} sequence(s) into {result.dimension} dimensions → {args.output}"))


def run_predict(args) -> str:
    from .jobs.predict import predict_chunks, predict_fasta
    from .positions import parse_positions

    positions = None if args.all_positions else parse_positions(args.positions)
    model = _model(args)
    context, runner = _context_and_runner(args, model)

    def run(shard, paths):
        return predict_fasta(model, args.input, paths["output"], positions=positions, plot=args.plot,
                             context=context, runner=runner, shard=shard)

    return _run_job(args, model, run, lambda: predict_chunks(args.input, positions), lambda result: (
        f"predicted {result.rows} position(s) with method '{result.method}' → {args.output}"))


def run_variants(args) -> str:
    from .jobs.variants import score_variants, variant_chunks

    model = _model(args)
    context, runner = _context_and_runner(args, model)

    def run(shard, paths):
        return score_variants(model, paths["output"], ref_fasta=args.ref_fasta, alt_fasta=args.alt_fasta,
                              pair_by=args.pair_by, vcf=args.vcf, reference=args.reference, window=args.window,
                              vcf_out=paths.get("vcf_out"), scores=args.scores, embedding=_embedding_options(args),
                              rc_average=args.rc_average, max_differences=args.max_differences,
                              context=context, runner=runner, shard=shard)

    return _run_job(args, model, run, lambda: variant_chunks(args.ref_fasta, args.vcf), lambda result: (
        f"scored {result.scored} of {result.cases} variant(s) ({', '.join(result.scores)}) → {args.output}"))


def run_compare(args) -> str:
    from .jobs.compare import compare_tables

    names = args.group_names.split(",") if args.group_names else None
    result = compare_tables(args.tables, args.output, value=args.value, group=args.group, paired_by=args.paired_by,
                            group_names=names, plot=args.plot, context=_context(args))
    lines = [f"{s.group}: n={s.n} mean={s.mean:.4g} median={s.median:.4g} sd={s.sd:.4g}" for s in result.summaries]
    lines += [f"{t.test} {t.group_a} vs {t.group_b}: p={t.p_value:.3g} {t.effect_size_name}={t.effect_size:.3g}"
              for t in result.tests]
    return "\n".join(lines)


def run_mutagenesis(args) -> str:
    from .jobs.mutagenesis import mutagenesis, mutagenesis_chunks

    model = _model(args)
    context, runner = _context_and_runner(args, model)

    def run(shard, paths):
        return mutagenesis(model, paths["output"], reference=args.reference, region=args.region, fasta=args.input,
                           span=args.span, window=args.window, heatmap=args.heatmap, bedgraph=paths.get("bedgraph"),
                           context=context, runner=runner, shard=shard)

    return _run_job(args, model, run, lambda: mutagenesis_chunks(args.reference, args.region, args.input, args.span,
                                                                 args.bedgraph),
                    lambda result: (f"scored {result.substitutions} substitution(s) at {result.positions} "
                                    f"position(s) with method '{result.method}' → {args.output}"))


def _run_job(args, model, run: Callable, chunks: Callable[[], int], summary: Callable[[object], str]) -> str:
    """A sharded job run one of three ways: resumable (--resume; chunks() counts its parts), as this torchrun
    rank's shard, or plainly (all of it, or its --shard); run(shard, part paths) runs it, summary(result) says
    what a plain run did."""
    if args.resume:
        return _resumable(args, model, run, chunks)
    if args.session:
        return _distributed(args, run)
    return summary(run(args.shard, _output_paths(args)))


# The outputs a shard job writes as parts (merge joins them), and the inputs a resumable run checks by content.
PART_ARGUMENTS = ("output", "vcf_out", "bedgraph")
RESUME_INPUTS = ("input", "ref_fasta", "alt_fasta", "vcf", "reference")
# Options that do not change a result: a resumed run may give them differently.
NOT_RESULT_OPTIONS = ("command", "quiet", "debug", "shard", "resume", "trust_remote_code",
                      "trust_installed_code", "allow_pickle", "session")


def _output_paths(args) -> dict:
    return {name: getattr(args, name) for name in PART_ARGUMENTS if getattr(args, name, None)}


def _resumable(args, model, run, chunks) -> str:
    """A run as shards whose parts survive a kill (jobs/resume.py); run(shard, part paths) runs one."""
    from .jobs.resume import run_resumable

    inputs = {name: getattr(args, name) for name in RESUME_INPUTS if getattr(args, name, None)}
    skipped = set(NOT_RESULT_OPTIONS) | set(RESUME_INPUTS) | set(OUTPUT_ARGUMENTS)
    parameters = {name: value for name, value in sorted(vars(args).items()) if name not in skipped}
    result = run_resumable(args.command, _output_paths(args), parameters, inputs, model.weights_sha256, run, chunks)
    earlier = f", {result.resumed} done by the interrupted run" if result.resumed else ""
    return f"{args.command}: {result.segments} part(s){earlier}, {result.lines} data line(s) → {args.output}"


def _check_resume(args) -> None:
    """--resume's refusals, before the model loads or any file is read."""
    if not getattr(args, "resume", False):
        return
    from .jobs.resume import refuse_unresumable

    plots = {name: getattr(args, name, None) for name in ("npz", "heatmap", "projection", "plot")}
    refuse_unresumable(args.shard, getattr(args, "vcf_out", None), **plots)


def _distributed(args, run) -> str:
    """This rank's shard of a torchrun run; rank 0 merges the parts (jobs/distributed.py)."""
    from .jobs.distributed import run_distributed

    inputs = {name: getattr(args, name) for name in RESUME_INPUTS if getattr(args, name, None)}
    result = run_distributed(args.session, _output_paths(args), inputs, run)
    return f"{args.command}: {result.ranks} ranks, {result.lines} data line(s) → {args.output}"


def _torchrun_session(args):
    """Under torchrun (WORLD_SIZE > 1): its refusals, then the process group, this rank's device and threads;
    None for a plain run (torch.distributed is not imported then)."""
    from .distributed import refuse_unsupported, start_session, world_from_environment

    world = world_from_environment()
    if world is None:
        return None
    plots = {name: getattr(args, name, None) for name in ("npz", "heatmap", "projection", "plot")}
    refuse_unsupported(world, args.command, getattr(args, "shard", None), getattr(args, "resume", False),
                       getattr(args, "vcf_out", None), **plots)
    _check_outputs(args)
    if getattr(args, "endpoint", None):  # the server's device does the work; the ranks only send it their shards
        return start_session(world, "cpu", args.threads, args.debug)
    session = start_session(world, args.device, args.threads, args.debug)
    args.device = session.device
    return session


def run_merge(args) -> str:
    from .jobs.merge import merge_shards

    result = merge_shards(args.shards, args.output)
    return f"merged {result.shards} shard(s), {result.lines} data line(s) → {args.output}"


def run_split(args) -> str:
    from .jobs.split import write_plan

    result = write_plan(args.parts, args.out_dir, vcf=args.vcf, context=_context(args))
    return f"planned {result.parts} part(s) → {args.out_dir}"


def run_tokenize(args) -> str:
    from .jobs.tokenize import tokenize_fasta

    model = _load(args)
    context, _ = _context_and_runner(args, model)
    result = tokenize_fasta(model, args.input, args.output, one_hot_npz=args.one_hot, context=context)
    return f"tokenized {result.sequences} sequence(s) → {args.output}"


def run_info(args) -> str:
    if getattr(args, "endpoint", None):
        from .remote.server import summary

        return json.dumps(summary(_model(args)), indent=2)
    from .ops.info import describe

    return json.dumps(describe(_load(args)), indent=2)


def run_serve(args) -> str:
    from .serve.limits import Limits
    from .serve.server import serve

    limits = Limits(max_body_bytes=args.max_body_bytes, max_sequences=args.max_sequences,
                    max_length=args.max_length, queue=args.queue, max_batch_wait_ms=args.max_batch_wait_ms,
                    max_positions=args.max_mutagenesis_positions)
    serve(lambda: _load(args), args.host, args.port, args.token, limits, _context(args).warn)
    return ""


def run_learner(args) -> str:
    from .jobs.learn import predict_to_files, train_to_files
    from .learn.data import read_labelled
    from .learn.validation import DIFFERENCE

    model = _load(args)
    # One runner for the whole run: --batch-tokens reaches the embeddings, and its warnings are given once.
    context, runner = _context_and_runner(args, model)
    task = "classification" if args.command == "classify" else "regression"
    if args.action == "predict":
        predict_to_files(model, args.learner, args.input, args.output, context=context, runner=runner)
        return f"predictions → {args.output}"
    result = train_to_files(model, read_labelled(args.input, args.labels), args.output, task=task,
                            kind=args.estimator, cv=args.cv, seed=args.seed, embedding=_embedding_options(args),
                            report=args.report, plot=args.plot, context=context, runner=runner)
    lines = []
    for features, values in result.report.items():
        sign = "+" if features == DIFFERENCE else ""
        shown = ", ".join(f"{metric} {entry['value']:{sign}.3f} [{entry['ci95'][0]:{sign}.3f}, "
                          f"{entry['ci95'][1]:{sign}.3f}]" for metric, entry in values.items())
        lines.append(f"{features}: {shown}")
    return "\n".join(lines)


def run_register_model(args) -> str:
    from .ops.register_model import register_model

    row = register_model(args.model, args.target_dir, args.output_json, value=args.value, name=args.name,
                         free_tag=args.free_tag, allow_pickle=args.allow_pickle,
                         trust_remote_code=args.trust_remote_code)
    return f"registered '{row['value']}' ({row['pipeline_tag']}) at {row['path']}"


HANDLERS = {"embed": run_embed, "predict": run_predict, "variants": run_variants, "compare": run_compare,
            "mutagenesis": run_mutagenesis, "merge": run_merge, "split": run_split,
            "tokenize": run_tokenize, "info": run_info,
            "register-model": run_register_model, "classify": run_learner, "regress": run_learner,
            "serve": run_serve}


# Argument names that are files read, and files written, by any command: no output may be an input.
INPUT_ARGUMENTS = ("input", "ref_fasta", "alt_fasta", "vcf", "reference", "labels", "learner", "tables", "shards")
OUTPUT_ARGUMENTS = ("output", "npz", "heatmap", "projection", "plot", "vcf_out", "report", "one_hot", "bedgraph",
                    "output_json")


def _paths(args, names: tuple[str, ...]) -> list[str]:
    found: list[str] = []
    for name in names:
        value = getattr(args, name, None)
        found.extend(value if isinstance(value, list) else [value] if value else [])
    return found


def _check_outputs(args) -> None:
    from .io.outputs import check_output_paths
    from .io.reference import reference_files

    inputs = _paths(args, INPUT_ARGUMENTS) + reference_files(getattr(args, "reference", None))
    model = getattr(args, "model", None)
    if model and os.path.isdir(model):
        inputs += [os.path.join(model, name) for name in os.listdir(model)]
    check_output_paths(inputs, _paths(args, OUTPUT_ARGUMENTS))


def _parse_shard(args) -> None:
    if getattr(args, "shard", None) is not None:
        from .shards import parse_shard

        args.shard = parse_shard(args.shard)


def _raise_on_signal(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through the output sets, which delete their temporary files


def _show_traceback(args, error: Exception) -> bool:
    from .errors import DNALensError
    from .messages import is_bug

    if isinstance(error, DNALensError):  # explained in its one line: never a traceback
        return False
    return bool(args.debug or (is_bug(error) and os.environ.get("DNALENS_DEBUG")))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    signal.signal(signal.SIGTERM, _raise_on_signal)
    if hasattr(signal, "SIGHUP"):  # a closed terminal or ssh session
        signal.signal(signal.SIGHUP, _raise_on_signal)
    from .distributed import is_quiet_rank
    from .messages import PROGRAM

    args.session = None  # a torchrun run's process group (distributed.Session)
    quiet_rank = is_quiet_rank()  # under torchrun, rank 0 alone prints the run's error and summary
    try:
        _parse_shard(args)
        _check_resume(args)
        _check_outputs(args)
        args.session = _torchrun_session(args)
        message = HANDLERS[args.command](args)
    except KeyboardInterrupt:
        if not quiet_rank:
            print(f"{PROGRAM}: interrupted; no output was written", file=sys.stderr)
        return 130
    except Exception as error:  # one line; --debug shows the traceback of anything but DNALens's own errors
        line = _error_line(args, error)
        if _show_traceback(args, error):
            raise
        if not quiet_rank:
            print(line, file=sys.stderr)
        return EXIT_ERROR
    finally:
        if args.session is not None:
            args.session.close()
    if message and not quiet_rank:
        stream = sys.stdout if args.command == "info" else sys.stderr
        if args.command == "info" or not args.quiet:
            print(message, file=stream)
    return 0


def _error_line(args, error: Exception) -> str:
    """The one line for a failed run; under torchrun, the first failing rank's, agreed with every rank (the
    others stop at their next step instead of waiting for this one)."""
    from .messages import error_report

    if args.session is not None:
        return args.session.fail(error).line
    return error_report(error)


if __name__ == "__main__":
    sys.exit(main())

