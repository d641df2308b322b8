"""The ``ganlab`` command.

    ganlab train --distribution ring --iterations 5000 --seed 0 --out runs/ring

trains headless with a progress bar and writes ``metrics.json``, ``config.json``
and ``checkpoint.npz`` to the output folder. Every ExperimentConfig setting has an
option (``--d-lr 0.03``, ``--g-optimizer adam``, ...). Settings apply in this
order, each overriding the one before: ``--config FILE`` (a config JSON),
``--preset NAME`` (a named recipe, see ``ganlab presets``), then the options
given on the command line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import param

from ganlab_panel.engine.config import ExperimentConfig, setting_from_text
from ganlab_panel.engine.data import parse_points_csv
from ganlab_panel.engine.errors import GANLabError
from ganlab_panel.engine.presets import PRESETS, preset_settings
from ganlab_panel.engine.recording import train_in_moments

EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3
#: iterations `ganlab train` runs when neither --iterations nor the preset says
DEFAULT_ITERATIONS = 5000

#: ``--export`` kinds: (file name, what it is); config.json and checkpoint.npz are always written
CLI_EXPORTS = {
    "gif": ("training.gif", "a film of the run's layered view, ~100 frames"),
    "mp4": ("training.mp4", "the same film as H.264 video (MP4), at the picture's size"),
    "png": ("final.png", "the layered view at the end"),
    "screen": ("screen.png", "the overview graph, the layered view and the run's charts, at the end"),
    "ganlab": ("ganlab_model.json", "the model in GAN Lab's format, with ganlab_model.weights.bin"),
    "pt2": ("model.pt2", "the networks for PyTorch alone (torch.export): model_generator.pt2, "
                         "model_discriminator.pt2"),
}


#: the ``--export`` kinds that show the whole run, not only its end
RECORD_EXPORTS = ("gif", "mp4", "screen")


def _option_type(name: str):
    """argparse's converter for a setting: its type from the text; bounds are
    checked with the whole config (a ConfigError naming the field)."""
    def convert(text: str):
        try:
            return setting_from_text(name, text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    convert.__name__ = name  # argparse names the converter in its messages
    return convert


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("experiment settings (defaults are GAN Lab's)")
    for name in ExperimentConfig.field_names():
        if name == "drawn_points":
            continue
        p = ExperimentConfig.param[name]
        kwargs = {"dest": name, "default": None, "help": f"{p.doc} [default: {p.default}]"}
        if hasattr(p, "objects") and p.objects:
            kwargs["choices"] = list(p.objects)
        else:
            kwargs["type"] = _option_type(name)
            if isinstance(p, param.Boolean):
                kwargs["metavar"] = "{true,false}"
        group.add_argument(_option(name), **kwargs)
    group.add_argument("--points", type=Path, default=None,
                       help="CSV of x,y points in the unit square to train on (sets --distribution drawing)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ganlab", description="GAN Lab on PyTorch: train, inspect, serve.")
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train headless and write metrics, config and a checkpoint")
    train.add_argument("--iterations", "-n", type=int, default=None,
                       help=f"iterations to train [default: the preset's length, if it has one, else "
                            f"{DEFAULT_ITERATIONS}]")
    train.add_argument("--config", type=Path, default=None, help="config JSON to start from")
    train.add_argument("--preset", choices=list(PRESETS), default=None,
                       help="a named recipe of settings (after --config, before the other options); "
                            "'ganlab presets' lists them")
    train.add_argument("--resume", type=Path, default=None,
                       help="continue from a checkpoint.npz (ours; a .pt of an older version too) or a GAN Lab model .json")
    train.add_argument("--out", type=Path, default=Path("ganlab-run"), help="output folder [default: ganlab-run]")
    train.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    train.add_argument("--export", action="append", default=[], choices=list(CLI_EXPORTS),
                       help="also write: " + "; ".join(f"{k} ({v[1]})" for k, v in CLI_EXPORTS.items())
                            + " [repeat for several]")
    _add_config_options(train)
    train.set_defaults(func=cmd_train)

    sweep = sub.add_parser("sweep", help="train many runs, one per combination of settings and seed (Dask)")
    sweep.add_argument("--set", dest="axes", action="append", default=[], metavar="NAME=V1,V2,...",
                       help="an axis: a setting and its values [repeat for several]")
    sweep.add_argument("--seeds", type=int, default=1, help="runs per combination, seeds 0, 1, ... [default: 1]")
    sweep.add_argument("--iterations", "-n", type=int, default=DEFAULT_ITERATIONS,
                       help=f"iterations per run [default: {DEFAULT_ITERATIONS}]")
    sweep.add_argument("--every", type=int, default=0, help="iterations between recorded moments [default: 1/20]")
    sweep.add_argument("--out", type=Path, default=Path("ganlab-sweep"), help="output folder [default: ganlab-sweep]")
    sweep.add_argument("--resume", action="store_true", help="train only the runs --out does not hold yet")
    where = sweep.add_mutually_exclusive_group()
    where.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                       help="a Dask scheduler to run on [default: this process, every core]")
    where.add_argument("--workers", type=int, default=None, help="start this many local worker processes")
    sweep.add_argument("--config", type=Path, default=None, help="config JSON to start from")
    sweep.add_argument("--preset", choices=list(PRESETS), default=None, help="a named recipe of settings")
    sweep.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    _add_config_options(sweep)
    sweep.set_defaults(func=cmd_sweep)

    nginx = sub.add_parser("nginx", help="print nginx's configuration for several ganlab serve processes "
                                          "(see docs/deployment.md)")
    nginx.add_argument("--backend", action="append", required=True, metavar="HOST:PORT",
                       help="a ganlab serve process (give one per process)")
    nginx.add_argument("--listen", default="80", help="where nginx listens [default: 80]")
    nginx.add_argument("--server-name", default="_", help="the site's host name [default: any]")
    nginx.add_argument("--prefix", default=None, metavar="DIR",
                       help="write a whole nginx.conf whose pid and logs go in DIR (to run nginx -c on it)")
    nginx.set_defaults(func=cmd_nginx)

    presets = sub.add_parser("presets", help="list the named presets of settings")
    presets.set_defaults(func=cmd_presets)

    serve = sub.add_parser("serve", help="serve the interactive app (GAN Lab in the browser)")
    serve.add_argument("--port", type=int, default=5006, help="port [default: 5006]")
    serve.add_argument("--address", default="localhost",
                       help="address to bind [default: localhost; 0.0.0.0 serves the whole network]")
    serve.add_argument("--allow-websocket-origin", action="append", default=None, metavar="HOST[:PORT]",
                       help="extra origins allowed to connect (Bokeh's check is kept for everything else)")
    serve.add_argument("--num-procs", type=int, default=1, metavar="N",
                       help="server processes sharing the port, each with its own sessions, forked warm "
                            "from the first (0: one per core) [default: 1]")
    serve.add_argument("--no-show", dest="show", action="store_false",
                       help="do not open a browser (never opened with several processes)")
    serve.set_defaults(func=cmd_serve)
    return parser


def cmd_sweep(args) -> int:
    from tqdm import tqdm

    from ganlab_panel.sweeps import Sweep
    from ganlab_panel.sweeps.store import Store

    sweep = Sweep(_config_from_args(args), args.axes, args.seeds, args.iterations, args.every)
    store = Store(args.out, sweep.spec, resume=args.resume)
    cells = sweep.cells
    left = len(sweep.pending(store))
    client = _sweep_client(args)
    bar = tqdm(total=len(cells), initial=len(cells) - left, disable=args.quiet, unit="run", file=sys.stderr)
    diverged = []

    def finished(cell, result) -> None:
        bar.update(1)
        if result["row"]["diverged"]:
            diverged.append(cell.key)

    try:
        sweep.run(client=client, out=args.out, resume=True, on_cell=finished)
    except KeyboardInterrupt:
        bar.close()
        print(f"interrupted: {len(store.finished())} of {len(cells)} runs kept in {args.out}; "
              "--resume trains the rest", file=sys.stderr)
        return 130
    finally:
        bar.close()
        if client is not None:
            client.close()
    print(f"{len(cells)} runs in {args.out}: results.csv, curves.csv, results.nc, cells/"
          + (f"; {len(diverged)} diverged" if diverged else ""))
    return 0


def _sweep_client(args):
    """The Dask client ``--scheduler`` or ``--workers`` asks for (None: in-process)."""
    if args.scheduler is None and args.workers is None:
        return None
    from distributed import Client, LocalCluster

    if args.scheduler is not None:
        try:
            return Client(args.scheduler, timeout=10)
        except (OSError, TimeoutError) as exc:
            raise GANLabError(f"cannot reach the Dask scheduler at {args.scheduler}: {exc}") from None
    if args.workers < 1:
        raise GANLabError(f"--workers must be 1 or more, not {args.workers}")
    return Client(LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address="127.0.0.1:0"))


def cmd_serve(args) -> int:
    import errno
    import os

    from ganlab_panel.sweeps.page import SweepPage
    from ganlab_panel.ui.compare import CompareLab
    from ganlab_panel.ui.lab import GANLab
    from ganlab_panel.ui.serving import serve

    if args.num_procs < 0:
        raise GANLabError(f"--num-procs must be 0 (one per core) or more, not {args.num_procs}")
    host = f"http://{'localhost' if args.address in ('localhost', '127.0.0.1') else args.address}:{args.port}"
    procs = args.num_procs if args.num_procs != 1 else None
    print(f"GAN Lab: {host}/ganlab  (two runs side by side: {host}/compare; many at once: {host}/sweep; "
          f"Ctrl+C stops it){f'; {procs or os.cpu_count()} processes' if procs is not None else ''}", flush=True)
    pages = {"ganlab": GANLab.from_url, "compare": CompareLab.from_url, "sweep": SweepPage.from_url}
    try:
        serve(pages, port=args.port, address=args.address, num_procs=args.num_procs, show=args.show,
              origins=args.allow_websocket_origin or [])
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise GANLabError(f"cannot listen on {args.address}:{args.port}: {exc.strerror} "
                              "(another server there? --port chooses another port)") from None
        raise
    return 0


def cmd_nginx(args) -> int:
    from ganlab_panel.deployment import nginx_config

    print(nginx_config(args.backend, args.listen, args.server_name, prefix=args.prefix), end="")
    return 0


def cmd_presets(args) -> int:
    for name, preset in PRESETS.items():
        print(f"{name}: {preset.title}\n    {preset.description}")
        settings = ", ".join(f"{k}={v}" for k, v in preset.settings.items()) or "(all GAN Lab's defaults)"
        print(f"    {settings}")
        if preset.iterations:
            print(f"    trains {preset.iterations:,} iterations unless --iterations is given")
    return 0


def _config_from_args(args) -> ExperimentConfig:
    values: dict = {}
    if args.config is not None:
        try:
            text = args.config.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise GANLabError(f"cannot read config {args.config}: {exc}") from None
        values = ExperimentConfig.from_json(text).to_dict()
    if args.preset is not None:
        values.update(preset_settings(args.preset))
    for name in ExperimentConfig.field_names():
        given = getattr(args, name, None)
        if given is not None:
            values[name] = given
    if args.points is not None:
        try:
            values["drawn_points"] = parse_points_csv(args.points.read_bytes())
        except OSError as exc:
            raise GANLabError(f"cannot read points {args.points}: {exc}") from None
        values.setdefault("distribution", "drawing")
        if args.distribution is None:
            values["distribution"] = "drawing"
    return ExperimentConfig.from_dict(values)


def _make_trainer(args):
    from ganlab_panel.engine.trainer import Trainer
    from ganlab_panel.files.ganlab_format import load_ganlab_model

    if args.resume is None:
        return Trainer(_config_from_args(args))
    if args.resume.suffix == ".json":
        trainer = load_ganlab_model(args.resume)
    else:
        trainer = Trainer.load(args.resume)
    if args.preset is not None:
        raise GANLabError("--resume keeps the saved model's settings, so --preset cannot apply")
    overrides = {n: getattr(args, n) for n in ExperimentConfig.field_names() if getattr(args, n, None) is not None}
    structural = [n for n in overrides if ExperimentConfig.is_structural(n)]
    if structural:
        raise GANLabError(f"--resume keeps the saved model, so {', '.join(_option(n) for n in structural)} "
                          "cannot change; only learning rates, optimizers, loss, k and batch size can")
    trainer.config.param.update(overrides)
    return trainer


def _metrics(frame) -> dict:
    out = {"iteration": frame.iteration, "d_loss": frame.d_loss, "g_loss": frame.g_loss,
           "kl": frame.kl, "js": frame.js}
    if frame.modes_total is not None:
        out.update(modes=frame.modes, modes_total=frame.modes_total, high_quality=frame.high_quality,
                   mode_balance=frame.mode_balance)
    return out


def _iterations(args) -> int:
    """``--iterations``, else the preset's own length, else the default."""
    if args.iterations is not None:
        if args.iterations < 0:
            raise GANLabError(f"--iterations must be >= 0, not {args.iterations}")
        return args.iterations
    length = PRESETS[args.preset].iterations if args.preset else None
    if length:
        print(f"training {length:,} iterations, the length of preset {args.preset!r} "
              "(--iterations changes it)", file=sys.stderr)
        return length
    return DEFAULT_ITERATIONS


def cmd_train(args) -> int:
    from tqdm import tqdm

    total = _iterations(args)
    trainer = _make_trainer(args)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    chunk = max(1, min(500, total // 100 or 1))
    first = trainer.snapshot()
    history = [_metrics(first)]
    # the record (one moment per chunk) that films and the screen's charts show
    frames = [first] if set(RECORD_EXPORTS) & set(args.export) else None
    start = time.perf_counter()
    run = {"at": trainer.iteration, "diverged": False}   # where the bar stands; whether training stopped
    with tqdm(total=total, disable=args.quiet, unit="it", file=sys.stderr, mininterval=0.5) as bar:
        def moment(trainer) -> bool:
            frame = trainer.snapshot()
            history.append(_metrics(frame))
            if frames is not None:
                frames.append(frame)
            bar.update(frame.iteration - run["at"])
            run["at"] = frame.iteration
            bar.set_postfix(d_loss=f"{frame.d_loss:.3f}", g_loss=f"{frame.g_loss:.3f}", js=f"{frame.js:.3f}")
            run["diverged"] = frame.diverged
            return frame.diverged
        done = train_in_moments(trainer, total, chunk, moment)
    diverged = run["diverged"]
    seconds = time.perf_counter() - start
    frame = trainer.snapshot()
    metrics = {
        **_metrics(frame),
        "diverged": diverged,
        "iterations_trained": done,
        "seconds": round(seconds, 3),
        "iterations_per_second": round(done / seconds, 1) if seconds > 0 else None,
        "device": str(trainer.device),
        "history": history,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1), encoding="utf-8")
    (out / "config.json").write_text(trainer.config.to_json(indent=1), encoding="utf-8")
    trainer.save(out / "checkpoint.npz")
    summary = (f"iteration {frame.iteration}: D loss {frame.d_loss:.4f}, G loss {frame.g_loss:.4f}, "
               f"KL {frame.kl:.4f}, JS {frame.js:.4f}")
    if frame.modes_total is not None:
        summary += (f", modes {frame.modes}/{frame.modes_total}, "
                    f"high-quality samples {100 * frame.high_quality:.1f} %, "
                    f"reverse KL from even {frame.mode_balance:.3f}")
        if trainer.config.jacobian_truncation:
            summary += f" (the {100 * trainer.config.jacobian_truncation:g} % of samples G stretches most left out)"
    summary += f" ({metrics['iterations_per_second']} it/s)"
    print(summary)
    print(f"wrote {out / 'metrics.json'}, {out / 'config.json'}, {out / 'checkpoint.npz'}")
    if args.export:
        from ganlab_panel.files.export import write_export

        for kind in dict.fromkeys(args.export):
            name = CLI_EXPORTS[kind][0]
            written = write_export(out / name, trainer, frames if kind in RECORD_EXPORTS else [frame], kind=kind)
            print("wrote " + ", ".join(str(p) for p in written))
    if diverged:
        print(f"training diverged (NaN or infinity) at iteration {frame.iteration} and was stopped; "
              "try a smaller learning rate", file=sys.stderr)
        return EXIT_DIVERGED
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except GANLabError as exc:
        print(f"ganlab: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
