"""Command line: python3 -m lossyscale_worker [serve|hello|run-bundle] ..."""

import argparse
import json
import sys

from .protocol import JobError, capabilities


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m lossyscale_worker", description="lossyscale PyTorch worker (protocol v1, see worker/README.md)")
    sub = ap.add_subparsers(dest="cmd")
    s = sub.add_parser("serve", help="speak the NDJSON protocol on stdin/stdout (default)")
    s.add_argument("--device", default="auto", help="auto (cuda if present), cpu, cuda, cuda:N")
    s.add_argument("--group", type=int, default=1, help="train up to K queued compatible jobs together")
    s.add_argument("--threads", type=int, default=0, help="CPU threads for torch (0 = torch default)")
    s.add_argument("--group-wait", type=float, default=0.2, help="seconds to wait for more jobs to group with the first (with --group > 1)")
    h = sub.add_parser("hello", help="print the capabilities line and exit")
    h.add_argument("--device", default="auto")
    r = sub.add_parser("run-bundle", help="run a planned bundle standalone (resumable)")
    r.add_argument("bundle")
    r.add_argument("--results", default=None, help="results JSONL (default BUNDLE/results.jsonl)")
    r.add_argument("--device", default="auto")
    r.add_argument("--group", type=int, default=1, help="train up to K compatible jobs together as one stacked network")
    r.add_argument("--shard", default="0/1", help="I/N: run jobs i with i %% N == I (several processes or GPUs)")
    r.add_argument("--threads", type=int, default=0)
    args = ap.parse_args(argv)
    cmd = args.cmd or "serve"
    if getattr(args, "threads", 0):
        import torch

        torch.set_num_threads(args.threads)
    group = getattr(args, "group", 1)
    if group < 1:
        print(f"lossyscale-worker: invalid --group: {group} (valid: an integer >= 1)", file=sys.stderr)
        return 2
    try:
        if cmd == "serve":
            from .serve import serve

            return serve(args.device if args.cmd else "auto", group, group_wait_s=args.group_wait if args.cmd else 0.2)
        if cmd == "hello":
            from .serve import pick_device

            print(json.dumps({"type": "hello", **capabilities(pick_device(args.device))}))
            return 0
        from .bundle import run_bundle

        try:
            i, n = (int(x) for x in args.shard.split("/"))
            assert 0 <= i < n
        except (ValueError, AssertionError):
            print(f"lossyscale-worker: invalid --shard: {args.shard!r} (valid: I/N with 0 <= I < N)", file=sys.stderr)
            return 2
        return run_bundle(args.bundle, args.results, args.device, group, (i, n))
    except JobError as e:
        print(f"lossyscale-worker: {e.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lossyscale-worker: interrupted; finished jobs are saved, run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
