"""torchrun: several processes of one run on one node, found from torchrun's environment, kept in step.

`torchrun --nproc-per-node N -m dnalens variants …` starts N copies of the command with WORLD_SIZE=N, RANK and
LOCAL_RANK set. Each rank runs shard RANK+1/N (jobs/distributed.py); this module is the torch.distributed side:
the process group (nccl when every rank has a GPU of its own, cuda:LOCAL_RANK; gloo otherwise, with the CPU
cores split between the ranks), and `step`, the one collective the ranks ever make: each rank's outcome (None or
its one-line error) is gathered after each step, so a rank that fails never leaves the others waiting, and every
rank learns the same first error and stops together.

The environment is read without importing torch: a command that is refused never loads it.
"""

from __future__ import annotations

import contextlib
import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from .errors import DNALensError, InputError
from .messages import error_line, error_report
from .shards import refuse_merged_parts

# torchrun starts the ranks together and the group forms before the model loads: minutes are plenty.
INIT_TIMEOUT = timedelta(minutes=5)
# A step waits for the slowest rank's shard, which is the run itself: hours on a large input.
STEP_TIMEOUT = timedelta(days=7)
# The commands a rank can run as a shard (the ones with --shard).
COMMANDS = ("embed", "predict", "variants", "mutagenesis")

T = TypeVar("T")


@dataclass(frozen=True)
class World:
    rank: int
    size: int
    local_rank: int
    local_size: int

    @property
    def is_root(self) -> bool:
        return self.rank == 0


def world_from_environment(environ=os.environ) -> World | None:
    """The torchrun world of this process (None: a plain run, or torchrun with one process)."""
    try:
        size = int(environ.get("WORLD_SIZE") or 1)
        if size <= 1:
            return None
        return World(int(environ["RANK"]), size, int(environ.get("LOCAL_RANK", 0)),
                     int(environ.get("LOCAL_WORLD_SIZE", size)))
    except (KeyError, ValueError):
        raise InputError("WORLD_SIZE, RANK or LOCAL_RANK is missing or not a number; start several processes "
                         "with torchrun --nproc-per-node N -m dnalens …") from None


def is_quiet_rank(environ=os.environ) -> bool:
    """A rank other than 0 of a torchrun world: the errors every rank meets alike are printed by rank 0 alone."""
    return (environ.get("WORLD_SIZE") or "1") not in ("0", "1") and environ.get("RANK", "0") != "0"


def refuse_unsupported(world: World, command: str, shard, resume: bool, vcf_out: str | None = None,
                       **whole_outputs) -> None:
    """Before torch loads: what a run spread over ranks cannot do, one line each."""
    if command not in COMMANDS:
        raise InputError(f"{command} runs in one process; start it without torchrun (torchrun spreads "
                         f"{', '.join(COMMANDS)})")
    if world.local_size != world.size:
        raise InputError(f"torchrun over {world.size // max(world.local_size, 1)} nodes: DNALens spreads a run over "
                         "the processes of one node (rank 0 merges the parts from a local folder); on several "
                         "machines run --shard K/N jobs and join them with 'dnalens merge'")
    if shard is not None:
        raise InputError("--shard under torchrun: each rank already runs its own shard (RANK+1 of WORLD_SIZE); "
                         "leave out --shard, or run --shard jobs without torchrun")
    if resume:
        raise InputError("--resume under torchrun: a resumable run keeps its parts in one process; run --resume "
                         "without torchrun, or torchrun without --resume")
    refuse_merged_parts("in one process, and under torchrun each rank has only its shard; leave it out, or run "
                        "without torchrun", "a torchrun run", vcf_out, **whole_outputs)


class RanksFailed(DNALensError):
    """A rank failed: every rank raises this with the first failing rank's line, already a whole message."""

    def __init__(self, line: str, rank: int) -> None:
        super().__init__(line)
        self.line, self.rank = line, rank


class Session:
    """The process group of one run; `step` keeps the ranks in step."""

    def __init__(self, world: World, device: str, debug: bool = False) -> None:
        self.world, self.device, self.debug = world, device, debug
        self.failure: RanksFailed | None = None
        self._group = None

    def start(self) -> None:
        import torch
        import torch.distributed as dist

        if not dist.is_available():
            raise DNALensError("this torch has no torch.distributed; run without torchrun, or with --shard K/N jobs")
        backend = "nccl" if self.device.startswith("cuda") else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(self.device)
        dist.init_process_group(backend, timeout=INIT_TIMEOUT, rank=self.world.rank, world_size=self.world.size)
        # The steps' own group: its collectives may wait as long as a shard runs (gloo applies the timeout to each).
        self._group = dist.new_group(backend="gloo", timeout=STEP_TIMEOUT)

    def step(self, work: Callable[[], T]) -> T:
        """Run `work` on this rank, then gather every rank's outcome; every rank raises RanksFailed if any
        failed (the lowest rank's line), else this rank's result is returned."""
        if self.failure is not None:
            raise self.failure
        try:
            result, line = work(), None
        except Exception as error:  # one line, as main would print it; the traceback only with --debug
            if self.debug:
                traceback.print_exc()
            result, line = None, error.line if isinstance(error, RanksFailed) else error_report(error)
        self._agree(line)
        return result

    def fail(self, error: BaseException) -> RanksFailed:
        """This rank failed outside a step (before its shard, e.g. loading the model): the others learn it at
        their next step. Returns the run's failure, the same on every rank."""
        if self.failure is None:
            with contextlib.suppress(RanksFailed):
                self._agree(error_report(error))
        assert self.failure is not None
        return self.failure

    def _agree(self, line: str | None) -> None:
        import torch.distributed as dist

        outcomes: list[str | None] = [None] * self.world.size
        try:
            dist.all_gather_object(outcomes, line, group=self._group)
        except Exception as error:  # a rank died (killed, out of memory): no step can be agreed any more
            cause = str(error).split(". ")[0]  # gloo's first sentence names the lost peer; the rest is advice
            self.failure = RanksFailed(error_line(f"lost contact with the other processes of this torchrun run "
                                                  f"({cause}); no output was written"), -1)
            raise self.failure from error
        failed = [(rank, text) for rank, text in enumerate(outcomes) if text]
        if failed:
            self.failure = RanksFailed(failed[0][1], failed[0][0])
            raise self.failure

    def close(self) -> None:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()


def start_session(world: World, device: str, threads: int | None, debug: bool) -> Session:
    """The run's process group, this rank's device (returned in session.device) and CPU threads."""
    session = Session(world, rank_device(world, device), debug)
    if not session.device.startswith("cuda"):
        _split_cores(world, threads)
    session.start()
    return session


def rank_device(world: World, device: str) -> str:
    """cuda:LOCAL_RANK when the node has a GPU for every rank (and --device is auto or cuda); the CPU (or MPS)
    when it has none; refused when it has some but fewer than ranks (each rank would load the model onto a GPU
    another rank uses, and nccl needs one GPU per rank)."""
    if device.startswith("cuda:"):
        raise InputError(f"--device {device} under torchrun: each rank takes its own GPU, cuda:LOCAL_RANK; give "
                         "--device cuda (or auto)")
    if device not in ("auto", "cuda"):
        return device
    import torch

    from .device import galaxy_forbids_gpu

    usable = torch.cuda.is_available() and (device == "cuda" or not galaxy_forbids_gpu())
    gpus = torch.cuda.device_count() if usable else 0
    if gpus >= world.local_size:
        return f"cuda:{world.local_rank}"
    if device == "cuda" and not gpus:
        raise InputError("--device cuda under torchrun: no CUDA GPU is available here; give --device cpu or auto")
    if gpus:
        raise InputError(f"torchrun with {world.local_size} processes on this node but {gpus} CUDA device(s): each "
                         f"process takes a GPU of its own; start at most {gpus} (--nproc-per-node), or give "
                         "--device cpu")
    return device


def _split_cores(world: World, threads: int | None) -> None:
    """CPU ranks share the node's cores (torchrun sets OMP_NUM_THREADS=1 otherwise); --threads wins."""
    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    torch.set_num_threads(threads or max(1, cores // world.local_size))
