"""Experiment 1.4: parameter transitions (m1-spec §4.4, §6.4), and a schedule that reacts to training.

1. Easings: one transition 0 -> 1 over 100 steps with minimum jerk, linear and step-end easing
   (value, velocity, acceleration), and minimum jerk from five starting states (value, velocity)
   = (0, 0), (2, 0), (0, 3), (2, -2), (1, 5) to 1 at step 100 (velocities per transition, as
   the notebook's normalised time; per step they are a hundredth of that).
2. Retargeting: a `DynamicProp` starting at 0.1 (transition length 50) is sent to 0.5 at step
   0, 0.75 at 40, 0.0 at 60 and 1.0 at 120. With minimum jerk the velocity carries over each
   change of target; linear easing jumps to a new constant rate.
3. Reactive transition, in a real training run (`configs/ex_1_4.yaml`, 1500 steps): the
   dopesheet ramps the unitarity weight reg-norm slowly from 0.001 to 0.01; `ReactiveTransition`
   takes it to 0.1 over 300 steps as soon as val/recon_mse falls below 0.0015, starting from the
   ramp's value and velocity.

Reported in results.json: the easings' end states, the velocity jumps at the retargets, and the
reactive run (the step it fired at, the weight and its velocity there, and val/norm_deviation,
the mean | |z| - 1 | of the named colors, before and after). For the same run without the
reaction: `colorlatent fit -c experiments/configs/ex_1_4.yaml --trainer.callbacks.init_args.threshold=0`.

Run:
    python experiments/ex_1_4.py [--seed N] [--out DIR] [--fast]
Same training through the CLI (without the figures of parts 1 and 2):
    colorlatent fit -c experiments/configs/ex_1_4.yaml
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from colorlatent.callbacks import ReactiveTransition
from colorlatent.experiment import evaluate, figures, logged_scalars, parse_args, report, train, write_results
from colorlatent.plots.transitions import plot_easings, plot_reactive_run, plot_retargeting
from colorlatent.schedule import DynamicProp, ScheduleCallback, Timeline
from colorlatent.schedule.easing import INTERPOLATORS

CONFIG = Path(__file__).parent / "configs" / "ex_1_4.yaml"
# The reactive callback is the last one in the config, so `callbacks.init_args` reaches it: in the
# smoke run it fires at the first validation and moves over 20 steps.
FAST = ["--trainer.max_steps=60", "--trainer.val_check_interval=10", "--trainer.log_every_n_steps=10",
        "--trainer.callbacks.init_args.threshold=1.0", "--trainer.callbacks.init_args.duration=20"]
EASINGS = ("minjerk", "linear", "step-end")
STARTS = [(0.0, 0.0), (2.0, 0.0), (0.0, 3.0), (2.0, -2.0), (1.0, 5.0)]  # (value, velocity per transition)
RETARGETS = [(0, 0.5), (40, 0.75), (60, 0.0), (120, 1.0)]


def easing_curves(duration: int = 100, steps: int = 121) -> dict[str, tuple[np.ndarray, ...]]:
    """(value, velocity, acceleration) per step of 0 -> 1 over `duration` steps, per easing."""
    t = np.arange(steps)
    return {name: INTERPOLATORS[name](0.0, 1.0, duration)(t) for name in EASINGS}


def minjerk_starts(duration: int = 100) -> list[tuple[str, np.ndarray, float, float]]:
    """Minimum jerk to 1 from each start: (label, values, end value, end velocity)."""
    out = []
    for value, velocity in STARTS:
        curve = INTERPOLATORS["minjerk"](value, 1.0, duration, velocity / duration)
        values, velocities, _ = curve(np.arange(duration + 1))
        out.append((f"({value:g}, {velocity:g})", values, float(values[-1]), float(velocities[-1])))
    return out


def retarget(interpolator: str, steps: int = 200) -> tuple[np.ndarray, np.ndarray, float]:
    """The demo-2 DynamicProp: values and velocities per step, and the largest velocity jump at a retarget."""
    prop = DynamicProp(0.1, duration=50, interpolator=interpolator)
    targets = dict(RETARGETS)
    values, velocities, jumps = [], [], []
    for step in range(steps):
        if step in targets:
            before = prop.velocity
            prop.set(targets[step])
            if step > 0:
                jumps.append(abs(prop.velocity - before))
        values.append(prop.value)
        velocities.append(prop.velocity)
        prop.step()
    return np.array(values), np.array(velocities), max(jumps)


def save(figure_fn, run_dir: Path, name: str, *args) -> None:
    for dark in (False, True):
        figure = figure_fn(*args, dark=dark)
        figure.savefig(run_dir / (f"{name}-dark.png" if dark else f"{name}.png"), dpi=100,
                       facecolor=figure.get_facecolor())


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__, argv)
    run = train(CONFIG, seed=args.seed, out=args.out, resume=args.resume, overrides=FAST if args.fast else [])
    metrics: dict[str, float | int | None] = {}

    curves = easing_curves()
    starts = minjerk_starts()
    for name, (value, velocity, _) in curves.items():
        metrics[f"{name}_value_at_100"] = float(value[100])
        metrics[f"{name}_max_velocity"] = float(np.abs(velocity).max())
    metrics["minjerk_starts_max_end_error"] = max(abs(end - 1.0) for _, _, end, _ in starts)
    metrics["minjerk_starts_max_end_velocity"] = max(abs(v) for _, _, _, v in starts)
    retargeted = {}
    for name in EASINGS:
        values, velocities, jump = retarget(name)
        retargeted[name] = (values, velocities)
        metrics[f"{name}_retarget_velocity_jump"] = jump
    save(plot_easings, run.run_dir, "easings", curves, [(label, values) for label, values, _, _ in starts])
    save(plot_retargeting, run.run_dir, "retargeting", retargeted, RETARGETS)

    reactive = next(cb for cb in run.trainer.callbacks if isinstance(cb, ReactiveTransition))
    schedule = next(cb for cb in run.trainer.callbacks if isinstance(cb, ScheduleCallback))
    column = schedule.names.index(reactive.value)
    planned = Timeline(schedule.sheet).table()[1][: run.steps, column]
    played = schedule.table[: run.steps, column]
    logged = logged_scalars(run.run_dir, reactive.monitor, "val/norm_deviation")
    monitor, effect = logged[reactive.monitor], logged["val/norm_deviation"]
    fired = reactive.fired_at
    metrics.update({
        "reactive_fired_at": fired,
        "reactive_metric_at_fire": reactive.metric_at_fire,
        "reactive_threshold": reactive.threshold,
        "reactive_target": reactive.target,
    })
    if fired is not None and 0 < fired < len(played) - 1:
        metrics.update({
            f"{reactive.value}_at_fire": float(played[fired]),
            # The ramp's velocity where the reaction took over (the new transition starts with it).
            f"{reactive.value}_velocity_at_fire": float((planned[fired + 1] - planned[fired - 1]) / 2),
            "played_minus_planned_before_fire_max": float(np.abs(played[:fired] - planned[:fired]).max()),
            f"{reactive.value}_final": float(played[-1]),
            f"{reactive.value}_final_planned": float(planned[-1]),
        })
        before = effect[1][effect[0] < fired]
        metrics["val_norm_deviation_at_fire"] = float(before[-1]) if len(before) else None
    if len(effect[1]):
        metrics["val_norm_deviation_final"] = float(effect[1][-1])
    save(plot_reactive_run, run.run_dir, "reactive", (reactive.monitor, *monitor), reactive.threshold,
         reactive.value, planned, played, ("val/norm_deviation", *effect) if len(effect[0]) else None, fired)

    final = evaluate(run, probe="rgb-8")
    metrics.update({"recon_mse": final["recon_mse"], "probe_norm_deviation": final["probe_norm_deviation"]})
    write_results(run, "ex_1_4", {**metrics, "fast": args.fast, "figures": figures(run)})
    fired_text = (f"step {fired} ({reactive.monitor} = {reactive.metric_at_fire:.4g} < {reactive.threshold:g})"
                  if fired is not None else "never")
    lines = [
        f"ex 1.4 ({run.steps} training steps, {run.train_seconds:.1f} s)",
        f"  easings 0 -> 1 in 100 steps: peak velocity minjerk {metrics['minjerk_max_velocity']:.4f}/step "
        f"(15/8 of linear's {metrics['linear_max_velocity']:.4f})",
        f"  minimum jerk from 5 starting states: max |end - 1| {metrics['minjerk_starts_max_end_error']:.2g}, "
        f"max |end velocity| {metrics['minjerk_starts_max_end_velocity']:.2g}",
        f"  retargeting: velocity jump minjerk {metrics['minjerk_retarget_velocity_jump']:.2g}, "
        f"linear {metrics['linear_retarget_velocity_jump']:.4f} per step",
        f"  reactive: {reactive.value} -> {reactive.target:g} fired at {fired_text}",
    ]
    if f"{reactive.value}_at_fire" in metrics:
        value = reactive.value
        lines.append(f"    {value} there {metrics[f'{value}_at_fire']:.5f} moving at "
                     f"{metrics[f'{value}_velocity_at_fire']:.3g}/step (kept); final {metrics[f'{value}_final']:.4g} "
                     f"(planned {metrics[f'{value}_final_planned']:.4g})")
        at_fire = metrics["val_norm_deviation_at_fire"]
        lines.append(f"    val/norm_deviation (named colors) {'n/a' if at_fire is None else f'{at_fire:.4f}'} "
                     f"before it fired -> {metrics['val_norm_deviation_final']:.4f} at the end; "
                     f"recon_mse {final['recon_mse']:.5f}")
    report(run, lines)


if __name__ == "__main__":
    main()
