"""Words per second of HashEmbedCNN forward+backward over the EWT training sentences.

    .venv/bin/python benchmarks/tok2vec.py [--device cpu|cuda] [--batch-words 1000]
        [--epochs 1] [--threads N] [--profile]

Standard small encoder: width 96, depth 4, embed_size 2000, window 1, maxout 3,
subword features. Docs are built before timing; the timed part is the whole
model call on list[Doc] (feature extraction included), the backward pass with a
random output gradient, and (``--update``) an Adam step. Prints words/s for
prediction (no graph) and for training, and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import torch

from treadle.config import registry
from treadle.ml import Adam, fix_random_seed
from treadle.tokens import Doc, Vocab

EWT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "ud_en_ewt" / "en_ewt-ud-train.conllu"


def read_sentences(path: Path) -> list[list[str]]:
    sents, words = [], []
    with open(path, encoding="utf8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                if words:
                    sents.append(words)
                    words = []
                continue
            if line.startswith("#"):
                continue
            cols = line.split("\t")
            if "-" in cols[0] or "." in cols[0]:
                continue  # multiword-token ranges and empty nodes
            words.append(cols[1])
    if words:
        sents.append(words)
    return sents


def batches_by_words(docs: list[Doc], size: int) -> list[list[Doc]]:
    out, cur, n = [], [], 0
    for doc in docs:
        cur.append(doc)
        n += len(doc)
        if n >= size:
            out.append(cur)
            cur, n = [], 0
    if cur:
        out.append(cur)
    return out


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch-words", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N sentences")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--update", action="store_true", help="also time an Adam step per batch")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--data", default=str(EWT))
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    fix_random_seed(0)

    sents = read_sentences(Path(args.data))
    if args.limit:
        sents = sents[: args.limit]
    vocab = Vocab()
    docs = [Doc(vocab, words=w) for w in sents]
    n_words = sum(len(d) for d in docs)
    batches = batches_by_words(docs, args.batch_words)
    module = registry.architectures.get("treadle.HashEmbedCNN.v1")(
        width=96, depth=4, embed_size=2000, window_size=1, maxout_pieces=3,
        subword_features=True, pretrained_vectors=None,
    )
    module.to(device)
    opt = Adam(0.001)
    grads = [torch.randn(len(d), 96, device=device) for d in docs]
    grad_batches, i = [], 0
    for b in batches:
        grad_batches.append(grads[i : i + len(b)])
        i += len(b)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()

    # warm-up on a few batches (allocator, first-call caches)
    for b, g in list(zip(batches, grad_batches, strict=True))[:3]:
        torch.autograd.backward(module(b), g)
    module.zero_grad(set_to_none=True)

    sync(device)
    t0, c0 = time.perf_counter(), time.process_time()
    with torch.no_grad():
        module.eval()
        for b in batches:
            module(b)
    sync(device)
    predict_s, predict_cpu = time.perf_counter() - t0, time.process_time() - c0
    module.train()

    def train_epoch() -> None:
        for b, g in zip(batches, grad_batches, strict=True):
            torch.autograd.backward(module(b), g)
            if args.update:
                opt.step(module)
            module.zero_grad(set_to_none=True)

    if args.profile:
        from torch.profiler import ProfilerActivity, profile

        acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
        with profile(activities=acts) as prof:
            train_epoch()
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))

    sync(device)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.epochs):
        train_epoch()
    sync(device)
    train_s, train_cpu = time.perf_counter() - t0, time.process_time() - c0

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"device={device} threads={torch.get_num_threads()} sentences={len(docs)} words={n_words} "
          f"batches={len(batches)} (~{args.batch_words} words)")
    # words per CPU-second is printed too: on a shared machine it varies far less than wall time
    print(f"predict (no graph):  {n_words / predict_s:10.0f} words/s  "
          f"({n_words / predict_cpu:.0f} words per CPU-second)")
    label = "forward+backward+Adam" if args.update else "forward+backward"
    n_train = n_words * args.epochs
    print(f"train ({label}): {n_train / train_s:10.0f} words/s  "
          f"({n_train / train_cpu:.0f} words per CPU-second)")
    print(f"peak RSS: {rss_mb:.0f} MB")
    if device.type == "cuda":
        print(f"peak CUDA memory allocated: {torch.cuda.max_memory_allocated() / 2**20:.0f} MB")


if __name__ == "__main__":
    main()
