"""``python -m synth weights list | download NAME... | verify [NAME...]``."""

from __future__ import annotations

import argparse
import sys

from ..weights import WeightsUnavailable, default_store


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("weights", help="list, download and verify checkpoints")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every checkpoint of the manifest and whether it is cached")
    listing.set_defaults(run=_list)
    download = actions.add_parser("download", help="fetch checkpoints ahead of time (e.g. before a lecture)")
    download.add_argument("names", nargs="*", metavar="NAME")
    download.add_argument("--all", action="store_true", help="every checkpoint of the manifest")
    download.set_defaults(run=_download)
    verify = actions.add_parser("verify", help="re-hash cached files against their sha256")
    verify.add_argument("names", nargs="*", metavar="NAME", help="default: every cached checkpoint")
    verify.set_defaults(run=_verify)


def _list(args: argparse.Namespace) -> int:
    store = default_store()
    print(f"weights cache: {store.root}{'  (offline)' if store.offline else ''}")
    print(f"{'name':32} {'status':8} {'size':>9}  {'licence':14} source")
    for name, entry in store.entries.items():
        path = _cached(store, name)
        size = path.stat().st_size if path else (entry.sources[0].size or entry.size)
        shown = f"{size / 2**20:7.1f}MB" if size else "        ?"
        kinds = "+".join(dict.fromkeys(source.kind for source in entry.sources))
        licence = entry.license.split(" (")[0]  # the details are in the manifest
        print(f"{name:32} {'cached' if path else 'missing':8} {shown:>9}  {licence:14} {kinds}")
    return 0


def _cached(store, name):
    try:
        return store.cached_path(name)
    except WeightsUnavailable:
        return None


def _download(args: argparse.Namespace) -> int:
    store = default_store()
    names = list(store.entries) if args.all else args.names
    if not names:
        raise ValueError("name one or more checkpoints (see `python -m synth weights list`) or pass --all")
    for name in names:
        store.entry(name)  # unknown names fail before anything is downloaded
    failed = 0
    for name in names:
        try:
            print(f"{name}: {store.fetch(name)}")
        except WeightsUnavailable as err:
            print(f"{name}: FAILED {err.reason}", file=sys.stderr)
            failed += 1
    return 3 if failed else 0


def _verify(args: argparse.Namespace) -> int:
    store = default_store()
    names = args.names or list(store.entries)
    bad = 0
    for name in names:
        store.entry(name)
        path, status = store.verify(name)
        if status == "missing" and not args.names:
            continue
        print(f"{name}: {status}{f' ({path})' if path else ''}")
        bad += status != "ok"
    return 3 if bad else 0
