"""OCR benchmark: exact fields, silent errors, reliability, latency and RSS per engine.

Each engine runs in its own fresh worker process (as in the OCR pool), which decodes
each sample photo and reads it with ``read_document``; wall and CPU seconds are both
shown because the wall figure also counts whatever else the machine is doing.

A *silent error* is a wrong value returned with confidence >= 0.9: the kind a driver
confirms without reading. Seeds are split in two: the DEV seeds (0, 1, 4, 5) the
confidence threshold was calibrated on, and the HELD-OUT seeds (2, 3, 6, 7) that check
it; both are reported. The reliability table gives, per confidence band, the share of
returned values that are exact.

    .venv/bin/python bench/ocr.py [--samples DIR] [--engine NAME ...] [--threads N]
        [--level phone --level dim] [--seed 4 ...] [--cache FILE]

``--cache FILE`` keeps the engine's text lines per photo in FILE (pickle), so a second
run measures parser and confidence changes without reading the photos again (its
latency figures are then meaningless).

It needs the sample photos and their truth.json: ``--samples DIR``, else
``$BORDERPASS_OCR_SAMPLES``, else ``../shared/ocr-samples`` beside the clone.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
UPRIGHT = ("clean", "mild", "hard", "lowres")
ROTATED = ("rot90", "rot180")
TARGETS = {"upright": 0.98, "rotated": 0.95, "median": 0.6, "p95": 1.0, "rss_mb": 800.0,
           "silent": 0.001, "phone": 0.99, "dim": 0.98, "lowres": 0.98}
DEV_SEEDS = frozenset({0, 1, 4, 5})  # calibration; the others are held out
SURE = 0.9  # a value this confident is shown as certain
BANDS = ((0.9, 1.01), (0.7, 0.9), (0.5, 0.7), (0.0, 0.5))


class _Cached:
    """An engine whose answers per photo are kept in a pickle file (``--cache``)."""

    def __init__(self, engine: Any, path: Path) -> None:
        import pickle

        self.name = engine.name
        self._engine, self._path = engine, path
        self._store: dict[tuple[str, str, bool], Any] = (
            pickle.loads(path.read_bytes()) if path.is_file() else {})
        self.dirty = False

    def _key(self, how: str, image: Any, upright: bool = False) -> tuple[str, str, bool]:
        import hashlib

        digest = hashlib.sha1(image.tobytes() + str(image.shape).encode()).hexdigest()
        return (how, digest, upright)

    def read(self, image: Any, upright: bool = False) -> Any:
        key = self._key("read", image, upright)
        if key not in self._store:
            self._store[key] = self._engine.read(image, upright=upright)
            self.dirty = True
        return self._store[key]

    def read_upright(self, image: Any) -> Any:
        key = self._key("upright", image)
        if key not in self._store:
            self._store[key] = self._engine.read_upright(image)
            self.dirty = True
        return self._store[key]

    def save(self) -> None:
        import pickle

        if self.dirty:
            self._path.write_bytes(pickle.dumps(self._store))


def _worker(engine: str, opts: dict[str, Any], samples: str, items: list[dict[str, Any]],
            cache: str | None = None) -> dict[str, Any]:
    """Run in a fresh process: build the engine, warm up, read every sample."""
    sys.path.insert(0, str(REPO))
    from borderpass.adapters.images import decode_rgb
    from borderpass.ocr.engines import make_engine
    from borderpass.ocr.pool import warm_up
    from borderpass.ocr.reader import read_document

    started = time.perf_counter()
    ocr: Any = make_engine(engine, **opts)
    warm_up(ocr)
    if cache:
        ocr = _Cached(ocr, Path(cache))
    ready = time.perf_counter() - started
    rows = []
    for item in items:
        data = (Path(samples) / item["file"]).read_bytes()
        wall, cpu = time.perf_counter(), time.process_time()
        reading = read_document(item["kind"], decode_rgb(data), ocr)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        got = {name: field.value for name, field in reading.fields.items()}
        conf = {name: field.confidence for name, field in reading.fields.items()}
        warn = {name: field.warnings for name, field in reading.fields.items()}
        height = {name: round(field.height, 1) for name, field in reading.fields.items()}
        rows.append({**item, "got": got, "conf": conf, "warn": warn, "height": height,
                     "wall": wall, "cpu": cpu})
    if cache:
        ocr.save()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": rows, "rss_mb": rss_mb, "ready": ready}


def _run_engine(engine: str, opts: dict[str, Any], samples: Path, items: list[dict[str, Any]],
                cache: Path | None = None) -> dict[str, Any]:
    """One engine in one spawned process, like an OCR pool worker."""
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(_worker, (engine, opts, str(samples), items,
                                    str(cache) if cache else None))


def _pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _fields(rows: list[dict[str, Any]]) -> list[tuple[Any, Any, float, list[str]]]:
    """Every field of every row: (truth, value read, confidence, warnings)."""
    return [(value, row["got"].get(name), row["conf"].get(name, 0.0), row["warn"].get(name, []))
            for row in rows for name, value in row["fields"].items()]


def _score(rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Fields read exactly as the truth says, and fields in all."""
    fields = _fields(rows)
    return sum(want == got for want, got, _, _ in fields), len(fields)


def _silent(rows: list[dict[str, Any]], sure: float = SURE) -> int:
    """Wrong values (not missing ones) returned with confidence >= ``sure``."""
    return sum(got is not None and got != want and conf >= sure
               for want, got, conf, _ in _fields(rows))


def _line(label: str, rows: list[dict[str, Any]], rss: str = "") -> list[str]:
    """One table row: accuracy, silent errors, latency figures."""
    exact, total = _score(rows)
    silent = _silent(rows)
    walls, cpus = [r["wall"] for r in rows], [r["cpu"] for r in rows]
    return [label, str(len(rows)), f"{exact}/{total}", f"{100 * exact / max(total, 1):.1f}%",
            f"{silent}", f"{100 * silent / max(total, 1):.2f}%",
            f"{statistics.median(walls):.3f}", f"{_pct(walls, 0.95):.3f}",
            f"{statistics.median(cpus):.3f}", rss]


def _reliability(rows: list[dict[str, Any]]) -> None:
    """Per confidence band: values returned, and the share of them that is exact."""
    fields = [(want, got, conf) for want, got, conf, _ in _fields(rows) if got is not None]
    cells = []
    for low, high in BANDS:
        band = [want == got for want, got, conf in fields if low <= conf < high]
        share = f"{100 * sum(band) / len(band):.1f}%" if band else "-"
        cells.append(f"[{low:.1f},{min(high, 1.0):.1f}{']' if high > 1 else ')'}: "
                     f"{share} of {len(band)}")
    print("  reliability (exact share per confidence band): " + "; ".join(cells))


def _calibration(rows: list[dict[str, Any]]) -> float:
    """Per candidate prefill threshold: wrong and exact values at or above it, on the DEV
    seeds and on the held-out ones; the lowest threshold leaving no wrong value on the
    DEV seeds is the one to use (it is then judged on the held-out seeds)."""
    dev = [f for f in _fields([r for r in rows if r["seed"] in DEV_SEEDS]) if f[1] is not None]
    held = [f for f in _fields([r for r in rows if r["seed"] not in DEV_SEEDS])
            if f[1] is not None]
    table = [["threshold", "dev wrong", "dev filled", "held-out wrong", "held-out filled"]]
    chosen = 1.0
    for step in range(50, 100, 5):
        cut = step / 100
        cells = []
        for part in (dev, held):
            above = [(want, got) for want, got, conf, warn in part if conf >= cut and not warn]
            wrong = sum(want != got for want, got in above)
            cells += [str(wrong), f"{len(above) - wrong}/{len(part)}"]
        if cells[0] == "0" and chosen == 1.0:
            chosen = cut
        table.append([f"{cut:.2f}", *cells])
    print("\n  prefill threshold (values without warnings at or above it):")
    _print_table(table)
    print(f"  lowest threshold with no wrong value on the DEV seeds: {chosen:.2f}")
    return chosen


def _print_table(rows: list[list[str]]) -> None:
    """Plain, aligned text columns."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                        enumerate(zip(row, widths, strict=True))).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _report(engine: str, result: dict[str, Any]) -> dict[str, float]:
    """Print the per kind/level table and the summary; return the summary figures."""
    rows = result["rows"]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["kind"], row["level"])].append(row)
    header = ["kind / level", "imgs", "exact", "acc", "silent", "silent%", "med s", "p95 s",
              "cpu s", "rss MB"]
    table = [header] + [_line(f"{k} / {lv}", g) for (k, lv), g in sorted(groups.items())]
    levels: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        levels[row["level"]].append(row)
    for level, part in sorted(levels.items()):
        for split, seeds in (("dev", True), ("held-out", False)):
            chosen = [r for r in part if (r["seed"] in DEV_SEEDS) is seeds]
            if chosen:
                table.append(_line(f"LEVEL {level} ({split})", chosen))
    upright = [r for r in rows if r["level"] in UPRIGHT]
    rotated = [r for r in rows if r["level"] in ROTATED]
    rss = f"{result['rss_mb']:.0f}"
    for label, part in (("UPRIGHT (clean/mild/hard/lowres)", upright),
                        ("ROTATED (rot90/rot180)", rotated),
                        ("ALL dev seeds", [r for r in rows if r["seed"] in DEV_SEEDS]),
                        ("ALL held-out seeds", [r for r in rows if r["seed"] not in DEV_SEEDS]),
                        ("ALL", rows)):
        if part:
            table.append(_line(label, part, rss))
    print(f"\n== {engine}  (ready in {result['ready']:.1f} s)")
    _print_table(table)
    for split, seeds in (("dev", True), ("held-out", False)):
        print(f" {split}:", end="")
        _reliability([r for r in rows if (r["seed"] in DEV_SEEDS) is seeds])
    _calibration(rows)
    walls = [r["wall"] for r in rows]
    _, total = _score(rows)
    summary = {
        "upright": _ratio(upright), "rotated": _ratio(rotated),
        "median": statistics.median(walls), "p95": _pct(walls, 0.95), "rss_mb": result["rss_mb"],
        "silent": _silent(rows) / max(total, 1),
        "silent_worst": max(_silent(part) / max(_score(part)[1], 1)
                            for part in levels.values()),
        **{level: _ratio([r for r in rows if r["level"] == level and r["seed"] in DEV_SEEDS])
           for level in ("phone", "dim", "lowres")},
    }
    _print_targets(summary)
    return summary


def _ratio(rows: list[dict[str, Any]]) -> float:
    exact, total = _score(rows)
    return exact / total if total else float("nan")


def _print_targets(summary: dict[str, float]) -> None:
    """Each figure against its target (issues #3 and #25; levels on the DEV seeds)."""
    levels = [(f"{level} exact (dev)", summary[level] >= TARGETS[level],
               f"{summary[level]:.1%}", f">= {TARGETS[level]:.0%}")
              for level in ("phone", "dim", "lowres") if summary[level] == summary[level]]
    checks = [*levels,
        ("silent errors", summary["silent"] <= TARGETS["silent"], f"{summary['silent']:.2%}",
         f"<= {TARGETS['silent']:.1%}"),
        ("silent, worst level", summary["silent_worst"] <= TARGETS["silent"],
         f"{summary['silent_worst']:.2%}", f"<= {TARGETS['silent']:.1%}"),
        ("upright exact", summary["upright"] >= TARGETS["upright"], f"{summary['upright']:.1%}",
         f">= {TARGETS['upright']:.0%}"),
        ("rotated exact", summary["rotated"] >= TARGETS["rotated"], f"{summary['rotated']:.1%}",
         f">= {TARGETS['rotated']:.0%}"),
        ("median latency", summary["median"] <= TARGETS["median"], f"{summary['median']:.3f} s",
         f"<= {TARGETS['median']} s"),
        ("p95 latency", summary["p95"] <= TARGETS["p95"], f"{summary['p95']:.3f} s",
         f"<= {TARGETS['p95']} s"),
        ("peak RSS/worker", summary["rss_mb"] <= TARGETS["rss_mb"], f"{summary['rss_mb']:.0f} MB",
         f"<= {TARGETS['rss_mb']:.0f} MB"),
    ]
    for name, ok, value, target in checks:
        if "nan" not in value:  # a level or group this run did not read
            print(f"  {name:<19} {value:>9}  target {target:<9} {'ok' if ok else 'MISSED'}")


def _misses(result: dict[str, Any], limit: int) -> None:
    """The first wrong fields, to see what to fix."""
    shown = 0
    for row in result["rows"]:
        for name, value in row["fields"].items():
            if row["got"].get(name) != value and shown < limit:
                print(f"  miss {row['file']} {name}: want {value!r} got {row['got'].get(name)!r}"
                      f" conf {row['conf'].get(name, 0):.2f} {row['warn'].get(name, [])}")
                shown += 1


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=Path(os.environ.get(
        "BORDERPASS_OCR_SAMPLES", REPO.parent / "shared" / "ocr-samples")),
                        help="folder of sample photos with truth.json (default: "
                             "$BORDERPASS_OCR_SAMPLES or %(default)s)")
    parser.add_argument("--engine", action="append", help="rapidocr / paddleocr (default: all)")
    parser.add_argument("--kind", action="append", help="only these kinds")
    parser.add_argument("--level", action="append", help="only these levels")
    parser.add_argument("--seed", action="append", type=int, help="only these seeds")
    parser.add_argument("--cache", type=Path, help="keep engine lines per photo in this file")
    parser.add_argument("--dump", type=Path, help="write every row (values, confidences) here")
    parser.add_argument("--threads", type=int, default=0,
                        help="threads per worker (default 0: every core, as the pool's "
                             "default BORDERPASS_OCR_THREADS)")
    parser.add_argument("--opt", action="append", default=[], metavar="KEY=JSON",
                        help="engine constructor option, e.g. --opt det_limit_side_len=640")
    parser.add_argument("--misses", type=int, default=0, help="list up to N wrong fields")
    parser.add_argument("--json", type=Path, help="also write the summaries to this file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for every installed engine (or those asked for)."""
    args = _args(argv)
    sys.path.insert(0, str(REPO))
    from borderpass.ocr.engines import installed_engines

    if not (args.samples / "truth.json").is_file():
        print(f"bench/ocr.py needs OCR sample photos: {args.samples / 'truth.json'} is missing."
              "\nName a folder of photos with their truth.json by --samples DIR or "
              "BORDERPASS_OCR_SAMPLES.", file=sys.stderr)
        return 2
    truth = json.loads((args.samples / "truth.json").read_text(encoding="utf-8"))
    items = [{k: img[k] for k in ("file", "kind", "level", "seed", "fields")}
             for img in truth["images"]
             if (not args.kind or img["kind"] in args.kind)
             and (not args.level or img["level"] in args.level)
             and (args.seed is None or img["seed"] in args.seed)]
    opts: dict[str, Any] = {k: json.loads(v) for k, v in (o.split("=", 1) for o in args.opt)}
    if args.threads:
        opts["threads"] = args.threads
    if "model_dir" in opts:
        opts["model_dir"] = Path(opts["model_dir"])
    from api import host_speed  # as in bench/api.py

    print(f"samples: {args.samples} ({len(items)} photos)  options: {opts or 'defaults'}  "
          f"host speed {host_speed():.2f} s per 10 M-step loop (about 0.3 when quiet)")
    summaries = {}
    for engine in args.engine or installed_engines():
        started = time.perf_counter()
        result = _run_engine(engine, opts, args.samples, items, args.cache)
        print(f"{engine}: {time.perf_counter() - started:.0f} s for the run; host speed "
              f"after it {host_speed():.2f} s")
        summaries[engine] = _report(engine, result)
        if args.dump:
            args.dump.write_text(json.dumps(result["rows"], ensure_ascii=False), "utf-8")
        _misses(result, args.misses)
    if args.json:
        args.json.write_text(json.dumps(summaries, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
