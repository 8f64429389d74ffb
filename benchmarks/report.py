"""Turn the benchmarks' JSON results into target rows, and render docs/performance.md from the summary.

``rows_for(name, result)`` reads one benchmark's JSON (what its module writes, under
benchmarks/output/ and, recorded, benchmarks/results/) and returns its table rows: what was measured, the measured value, the
reference it is compared with (in the same process), the ratio, the target and whether it is met
(``None`` where there is no target). ``render(summary)`` is a pure function of the summary JSON
that ``python -m benchmarks`` writes (benchmarks/output/summary.json; with ``--record`` also
benchmarks/results/summary.json, rendered as docs/performance.md): the hand-written
explanations live here (``ABOUT``, ``PROFILE_NOTES``), so regenerating the document keeps them.
"""

from __future__ import annotations

from typing import Any, Callable

from .recipe_notes import RECIPE_NOTES

Row = dict[str, Any]


def row(what: str, measured: str, reference: str = "—", ratio: str = "—", target: str = "—",
        met: bool | None = None) -> Row:
    return {"what": what, "measured": measured, "reference": reference, "ratio": ratio, "target": target, "met": met}


def _x(v: float) -> str:
    return f"{v:.2f}x" if v < 10 else f"{v:.0f}x"


def _pipeline(r: dict) -> list[Row]:
    out = []
    a = r.get("attribution")
    if a:
        s = a["seconds"]
        fwd = (s["forward"] + s["forward_again"]) / 2 if "forward_again" in s else s["forward"]  # older: two blocks
        out += [
            row(f"CAM throughput ({a['arch']}, batch {a['batch']}, {a['size']} px)", f"{s['cam']:.2f} s/batch",
                f"plain forward {fwd:.2f} s/batch", _x(a["cam_vs_forward"]), ">= 0.9x", a["cam_vs_forward"] >= 0.9),
            row("Grad-CAM throughput (ours: gradient from the logits to layer4 only)", f"{s['gradcam']:.2f} s/batch",
                f"plain forward {fwd:.2f} s/batch", _x(a["gradcam_vs_forward"]), ">= 0.8x",
                a["gradcam_vs_forward"] >= 0.8),
            row("Grad-CAM maps vs pytorch-grad-cam GradCAM", f"max abs diff {a['gradcam_max_abs_diff']:.1e}",
                "pytorch-grad-cam on the same batch", "—", "<= 1e-5", a["gradcam_max_abs_diff"] <= 1e-5),
            row("pytorch-grad-cam GradCAM throughput (back-propagates through the whole network)",
                f"{s['pytorch_grad_cam']:.2f} s/batch", f"plain forward {fwd:.2f} s/batch",
                _x(a["pytorch_grad_cam_vs_forward"])),
        ]
    b = r.get("band_deletion")
    if b:
        out += [row(f"band deletion, {b['batch']} samples: all perturbed copies in batched forwards",
                    f"{b['batched_s']:.1f} s", f"per-sample loop {b['loop_s']:.1f} s", _x(b["ratio"])),
                row("band deletion: batched values vs per-sample loop", f"max abs diff {b['max_abs_diff']:.1e}",
                    "per-sample loop", "—", "<= 1e-6", b["max_abs_diff"] <= 1e-6)]
    s = r.get("spectrograms")
    if s:
        out.append(row(f"spectrogram images ({s['images']} segments, 4 kHz band, 224x224)",
                       f"{s['ours_images_per_s']:.0f} images/s",
                       f"per-file librosa loop {s['librosa_loop_images_per_s']:.0f} images/s", _x(s["ratio"])))
    syn = r.get("synthesis_scaling")
    if syn:
        first = next(iter(syn.values()))
        rate = first["segments_per_minute"]
        out.append(row(f"synthesis, one core ({first['segments']} segments)", f"{rate:,.0f} segments/min", "—", "—",
                       ">= 1,000 segments/min/core", rate >= 1000))
    return out


def _metrics(r: dict) -> list[Row]:
    out = [row(f"formant mask from the tracks ({r['batch']} maps of {r['size']}x{r['size']}), timed apart",
               f"{r['mask_ms']:.1f} ms"),
           row("formant_band_mass.score with its mask", f"{r['formant_band_mass_with_mask_ms']:.1f} ms")]
    speed_target = {"RelevanceMassAccuracy": 250, "PointingGame": 250}
    for label, p in r["pairs"].items():
        ref = label.split(" vs ")[-1]
        t = speed_target.get(ref)
        out.append(row(f"{label}: speed", f"{p['ours_ms']:.2f} ms", f"Quantus {ref} {p['quantus_ms']:.0f} ms",
                       f"{_x(p['ratio'])} (CPU seconds {_x(p['cpu_ratio'])})", f">= {t}x" if t else "—",
                       None if t is None else p["ratio"] >= t))
        out.append(row(f"{label}: values", f"max abs diff {p['max_abs_diff']:.1e}", f"Quantus {ref}", "—",
                       "<= 1e-6", p["max_abs_diff"] <= 1e-6))
    return out


def _methods(r: dict) -> list[Row]:
    return [row(f"{m['method']} (batch {m.get('batch', r['batch'])})", f"{m['seconds_per_sample']:.3f} s/sample")
            for m in r["methods"]]


def _scaling(r: dict) -> list[Row]:
    out = []
    tol = r["tolerance"]
    for stage, g in r["growth"].items():
        for key, v in g["ratios"].items():
            if v["size_ratio"] == 1 and v["cost_ratio"] == 1:
                s = r["scales"][key]["stages"][stage]
                out.append(row(f"{stage} at {key} ({r['scales'][key]['speakers_per_group']} speakers/group)",
                               f"{s['seconds']:.2f} s for {s['items']} items", "1x (itself)", "1.00x"))
                continue
            s = r["scales"][key]["stages"][stage]
            ok = abs(v["cost_per_size"] - 1) <= tol
            out.append(row(f"{stage} at {key} ({r['scales'][key]['speakers_per_group']} speakers/group)",
                           f"{s['seconds']:.2f} s for {s['items']} items",
                           f"1x; size {v['size_ratio']:.2f}x", f"cost {v['cost_ratio']:.2f}x",
                           f"linear: cost/size within {tol:.0%} of 1 (is {v['cost_per_size']:.2f})", ok))
        out.append(row(f"{stage}: growth", "linear" if g["linear"] else "not linear", "—", "—",
                       "linear", g["linear"]))
    e = r.get("train_epoch")
    if e:
        out.append(row(f"one training epoch at {e['scale']} (batch {e['batch']})",
                       f"{e['seconds']:.1f} s for {e['images']} images ({e['images_per_s']:.1f} images/s)",
                       "—", "—", "linear in images by construction"))
    return out


def _end_to_end(r: dict) -> list[Row]:
    f, s = r["first_run"], r["second_run"]
    load = r.get("load_average")
    threads = f", OMP_NUM_THREADS={r['omp_num_threads']}" if r.get("omp_num_threads") else ""
    when = f" (load average {load['before']:.1f} before, {load['after']:.1f} after{threads})" if load else ""
    out = [row(f"first run (data, three models, attributions, tables){when}", f"{f['wall_seconds']:.0f} s", "—", "—",
               "<= 480 s (8 min; stretch 300 s)", f["wall_seconds"] <= 480),
           row("second run (cached models and rows)", f"{s['wall_seconds']:.0f} s", "first run",
               _x(f["wall_seconds"] / s["wall_seconds"]), "<= 20 s", s["wall_seconds"] <= 20),
           row("peak resident memory", f"{r['peak_rss_mb'] / 1024:.1f} GB", "—", "—", "<= 8 GB",
               r["peak_rss_mb"] <= 8 * 1024)]
    for stage, sec in f["stage_seconds"].items():
        out.append(row(f"stage {stage}", f"{sec:.1f} s first run", f"{s['stage_seconds'].get(stage, 0):.1f} s second run"))
    for task, m in f.get("models", {}).items():
        best = f", best epoch {m['best_epoch']}" if m.get("best_epoch") else ""
        out.append(row(f"test accuracy {task} (n = {m['n_test']}{best})", f"{m['test_accuracy']:.3f}", "—", "—",
                       ">= 0.95", m["test_accuracy"] >= 0.95))
    return out


def _training(r: dict) -> list[Row]:
    out = []
    for t in r["throughput"]:
        if "plain_train_images_per_s" not in t:  # a result from before the recipe comparison
            out.append(row(f"{t['arch']} {t['size']} px batch {t['batch']} on {t['device']}",
                           f"train {t['train_images_per_s']:.1f} images/s, eval {t['eval_images_per_s']:.1f} images/s"))
            continue
        what = f"{t['arch']} {t['size']} px batch {t['batch']} on {t['device']}"
        out.append(row(f"{what}: recipe step at full size ({t['amp']}, channels_last) vs plain loop (fp32, NCHW)",
                       f"{t['train_images_per_s']:.1f} images/s", f"plain {t['plain_train_images_per_s']:.1f} images/s",
                       _x(t["full_size_ratio"])))
        out.append(row(f"{what}: recipe over the {t.get('profile', '')} profile's epochs (sizes "
                       f"{', '.join(map(str, t['epoch_sizes']))} px) vs plain loop",
                       f"{t['schedule_images_per_s']:.1f} images/s", f"plain {t['plain_train_images_per_s']:.1f} images/s",
                       _x(t["schedule_ratio"]), ">= 2x" if t["device"] == "cpu" and t["arch"] == "resnet18" else "—",
                       t["schedule_ratio"] >= 2 if t["device"] == "cpu" and t["arch"] == "resnet18" else None))
        out.append(row(f"{what}: evaluation (no-grad forward, float32 on a CPU: the test accuracy)",
                       f"{t['eval_images_per_s']:.1f} images/s"))
        if "validation_images_per_s" in t:
            out.append(row(f"{what}: validation passes (no-grad forward in the training's precision, {t['amp']})",
                           f"{t['validation_images_per_s']:.1f} images/s", f"float32 {t['eval_images_per_s']:.1f} images/s",
                           _x(t["validation_images_per_s"] / t["eval_images_per_s"])))
    gpu = [t for t in r["throughput"] if t["device"].startswith("cuda") and t["arch"] == "resnet101"]
    if gpu:
        best = max(t["train_images_per_s"] for t in gpu)
        out.append(row(f"GPU training throughput, ResNet-101, AMP, channels_last ({r.get('device_name', 'GPU')})",
                       f"{best:.0f} images/s", "—", "—", ">= 2,000 images/s on one H100", best >= 2000))
    else:
        out.append(row("GPU training throughput, ResNet-101, AMP, channels_last", "not measured (no GPU)",
                       "—", "—", ">= 2,000 images/s on one H100", None))
        out.append(row("GPU attribution throughput", "not measured (no GPU)"))
    st = r.get("stages")
    if st:
        out.append(row(f"staged run `{st['command']}`", f"{st['wall_seconds']:.1f} s wall"))
    return out


def _time_to_accuracy(r: dict) -> list[Row]:
    rec, pl, target = r["recipe"], r["plain"], r["target"]
    what = f"{r['arch']} {r['image_size']} px, {r['task']} ({r['corpus']}, {r['n_train']} training images)"

    def reached(side: dict) -> str:
        if side["seconds"] is None:
            return f"not reached in {side['epochs_run']} epochs ({side['seconds_spent']:.0f} s)"
        return f"{side['seconds']:.0f} s ({side['epochs']} epochs)"

    ratio = _x(r["speedup"]) if r.get("speedup") else (f"> {_x(r['speedup_at_least'])}" if r.get("speedup_at_least")
                                                      else "—")
    fast = r.get("speedup") or r.get("speedup_at_least")
    return [row(f"time to {target:.2f} validation accuracy, {what}; load {r['load_before']:.1f}", reached(rec),
                f"plain loop {reached(pl)}", ratio, ">= 2x", None if fast is None else fast >= 2),
            row("test accuracy of the best-validation weights", f"recipe {rec['test_accuracy']:.3f} (epoch "
                f"{rec['best_epoch']})", f"plain loop {pl['test_accuracy']:.3f} (epoch {pl['best_epoch']})", "—",
                "recipe >= plain - 0.01", rec["test_accuracy"] >= pl["test_accuracy"] - 0.01)]


def _praat(r: dict) -> list[Row]:
    share = r["share_within_10pct"]
    return [row("vowel tokens whose Praat F1 and F2 lie within 10 % of the synthesizer's values", f"{share:.1%}",
                "the synthesizer's true formants", "—", ">= 90 %", share >= 0.9)]


def _test_suite(r: dict) -> list[Row]:
    load = r["load_average"]
    counts = ", ".join(f"{n} {kind}" for kind, n in r["counts"].items())
    out = [row(f"`{r['command']}` ({counts}; load average {load['before']:.1f} before, {load['after']:.1f} after, "
               f"{r['cores']} cores)", f"{r['wall_seconds']:.0f} s", "—", "—", "<= 300 s (5 min) on a quiet machine",
               r["wall_seconds"] <= 300 and r["returncode"] == 0)]
    for s in r["slowest"]:
        out.append(row(f"slowest: `{s['test']}` ({s['phase']})", f"{s['seconds']:.1f} s"))
    return out


ROWS: dict[str, Callable[[dict], list[Row]]] = {
    "pipeline_speed": _pipeline, "metric_speed": _metrics, "method_speed": _methods, "scaling": _scaling,
    "training_throughput": _training, "praat_vs_truth": _praat, "end_to_end": _end_to_end,
    "time_to_accuracy": _time_to_accuracy, "time_to_accuracy_resnet101": _time_to_accuracy,
    "test_suite_time": _test_suite,
}

TITLES = {
    "pipeline_speed": "Pipeline hot stages vs references (attribution, band deletion, spectrograms, synthesis)",
    "metric_speed": "Linguistic metrics vs Quantus",
    "method_speed": "Seconds per sample of each attribution method (default budget)",
    "scaling": "Scaling with corpus size (1x, 2x, 4x speakers per group)",
    "training_throughput": "Training throughput: the recipe against a plain PyTorch loop; GPU figures",
    "time_to_accuracy": "Time to accuracy: the recipe against a plain PyTorch loop",
    "time_to_accuracy_resnet101": "Time to accuracy on ResNet-101 (the study's architecture)",
    "praat_vs_truth": "Praat formants vs the synthesizer's truth",
    "end_to_end": "End to end: the default run twice",
    "test_suite_time": "The test suite's wall time",
}

ABOUT = {
    "pipeline_speed": (
        "One process, same model and batch, the calls interleaved within every repeat (medians). CAM "
        "needs only the forward pass (the "
        "feature map and the classifier weights); our Grad-CAM back-propagates from the logits to "
        "layer4 only, while pytorch-grad-cam back-propagates through the whole network (hence its "
        "~0.4x). Band deletion puts all perturbed copies of a batch through batched forwards instead "
        "of looping over samples; ResNet-18 at 224 px on 2 cores is compute-bound, so batching gains "
        "little here (on a GPU the batched form is what keeps the device busy). Spectrograms: one STFT "
        "per segment and exact bin-overlap resampling with one BLAS thread (with BLAS threads left free "
        "beside torch's the same code once ran at 0.1x of the librosa loop: tiny matmuls with spinning "
        "BLAS threads on a loaded 2-core machine; `data.build_task_data` now limits BLAS to one thread). "
        "Synthesis: segments per minute of `synthesize` on one core."),
    "metric_speed": (
        "64 signed maps of 224x224 with formant tracks on a full-band axis. The formant mask is built "
        "once and timed apart; then, given the same float32 maps and boolean mask, each of our "
        "vectorised metrics and its Quantus counterpart (through `metrics/quantus_adapters.py`, flags "
        "that make them comparable) are timed interleaved, so both see the same load; the ratio is the "
        "median of the paired wall-clock ratios (the CPU-seconds ratio, which leaves out waiting for a "
        "core, is shown beside it). Both sides are warmed up first: Quantus' first call is about 4x slower "
        "than its later ones (4.2 s vs 1.0-2.0 s here), which an unwarmed measurement would have "
        "credited to us. Our side is memory-bound (four passes over 12.8 MB: A+, its sum, A+ x mask, "
        "its sum: ~4 ms for the batch, ~62 us per map), so other jobs' memory "
        "traffic slows it more than Quantus' per-sample Python: the RelevanceMassAccuracy ratio sits at "
        "250-270x when both sides run undisturbed and has been seen at 168x under heavy load; fusing "
        "its passes gains nothing in numpy (profile below), so the margin over 250x stays thin."),
    "method_speed": (
        "One untrained ResNet-18 (speed does not depend on the weights) at 224 px, seeded noise images, "
        "each method called once after a warm-up forward, one torch thread. Score-CAM, Ablation-CAM and "
        "occlusion loop over samples inside their libraries (hundreds of forwards per sample), so they "
        "are timed on one image; they are the bottleneck of `--methods all` on a CPU (`--max-samples` "
        "limits them)."),
    "scaling": (
        "Synthesis, spectrograms (all splits of vowel5-4k) and attribution (CAM, Grad-CAM) + the formant "
        "metrics on every image, with one fixed untrained ResNet-18, at 1x, 2x and 4x speakers per group. "
        "Growth is called linear when cost ratio / size ratio lies within 20 % of 1 (size = items the "
        "stage handles). Sub-second stages (spectrograms at 1x) are the noisiest on a shared machine."),
    "training_throughput": (
        "One process, the same initial weights and seeded batch on both sides, the same threads, steps "
        "alternating (medians): the plain loop (float32, NCHW, Adam) against the recipe's step as "
        "`training._train_epoch` takes it (channels_last; bfloat16 autocast where the profile asks and the "
        "device runs bf16 natively: AVX512-BF16 or AMX on a CPU, always on CUDA), at full size and at each "
        "progressive size the profile uses; the schedule rate weighs the sizes by the profile's epochs. "
        "Then a staged `--profile smoke` run's seconds per stage. Without a GPU the GPU rows are not "
        "measured (never estimated)."),
    "time_to_accuracy": (
        "The recipe (`training._train` with the cpu profile) against the textbook loop (float32, NCHW, Adam "
        "1e-3 constant, no augmentation) from the same initial weights on the same task data, epochs "
        "alternating so both see the same load; seconds of training (validation passes excluded) until "
        "validation accuracy first reaches the target, and each side's test accuracy at its best "
        "validation epoch. ResNet-18, the cpu profile's architecture; ResNet-101 below."),
    "time_to_accuracy_resnet101": (
        "The same comparison with the study's ResNet-101 (`--arch resnet101`, otherwise the cpu profile): "
        "equal accuracy for the architecture whose images/s ratio `training_throughput` measures. Slow on "
        "two cores (~30 minutes: the plain loop's float32 epochs take ~2.5 minutes each)."),
    "praat_vs_truth": (
        "Checks the synthesizer and the Praat path against each other: median Praat F1/F2 over each "
        "vowel token's middle half vs the synthesizer's true values (per group and vowel in the JSON). "
        "High vowels /i/ and /u/ of children and women (high F0, sparse harmonics) pull the share down."),
    "end_to_end": (
        "`specxai-bench run --methods cam,gradcam` (cpu profile: ResNet-18, 224 px) twice on a fresh "
        "output folder, each in a subprocess; the second run reuses the cached models and stored rows. "
        "Training dominates the first run (~95 %). Slow (10-20 minutes): run it with "
        "`python -m benchmarks --with-end-to-end` or `--only end_to_end`."),
    "test_suite_time": (
        "The README's test command, `python -m pytest -q` (what `.ci/run` runs after installing), in a "
        "subprocess on this checkout, with its slowest tests. The end-to-end tests share one smoke run "
        "through the console script (tests/conftest.py `smoke_run`); other CLI runs go through "
        "`cli.main` in the test process, so no test pays an interpreter's start-up and imports (~4 s) "
        "for a run. The smoke profile trains one epoch (tests that need a resume state ask for two); a "
        "process synthesises each corpus config once (`synthetic.synthesize` keeps the last two); the "
        "model guard compares the weights once per batch instead of after every plugin call; the method "
        "tests copy one seeded model instead of initialising 125. "
        "Slow (~4 minutes): `--with-end-to-end` or `--only test_suite_time`."),
}

PROFILE_NOTES = """\
## Where the metric time goes (pyinstrument)

`pyinstrument` on 40 calls each of `FormantBandMass().score(batch)` and
`FormantPointingGame().score(batch)` (64 maps of 224x224, before the fix):

```
2.66 s total
|- 1.39 FormantBandMass.score
|  |- 1.18 formant_mask          (masks.py: |centre - F_k| <= w_k as a [B, H, W, 3] float64 comparison)
|  `- 0.19 positive_mass_share   (A+, sum, A+ x mask, sum)
`- 1.27 FormantPointingGame.score
   |- 1.17 formant_mask
   `- 0.09 pointing_hit
```

So ~85-93 % of a formant metric's time was building its mask, not the metric. The benchmark
already timed the mask apart and handed both sides the same float32 maps and boolean mask, so the
ratio had no conversion in it; the metric itself (`positive_mass_share`) is four memory-bound passes
with no numpy round-trip (`.cpu().numpy()` on a CPU tensor is a view), and fusing them (einsum,
matmul, batch chunks that fit the cache) gained nothing on this CPU (einsum also accumulates in
float32: 3e-8 from float64 instead of 1e-9). The fix went where the time was: `formant_mask` now
finds, per sample, column and formant, the run of rows with |centre - F| <= w (a binary search on
F -+ w, then a one-row correction with the exact test, so the mask is bit-identical to the direct
definition, which `tests/metrics/test_formant_mask_runs.py` checks on random and band-edge tracks,
NaN / inf and float32 tracks) and fills the [B, H, W] mask from the runs: 26 ms -> 11 ms for the batch (2.3x), and `formant_band_mass` with its
mask from ~30 ms to ~15 ms. Each formant metric still builds its own mask (mass, lift, pointing game
and the per-formant variants on the same batch): caching the mask per batch is the next step.
"""

def _fmt_met(met: bool | None) -> str:
    return "—" if met is None else ("yes" if met else "**no**")


def render(summary: dict) -> str:
    """docs/performance.md from the summary JSON (pure: no clock, no files)."""
    m, v = summary["machine"], summary["versions"]
    lines = [
        "# Performance",
        "",
        "<!-- Generated by `python -m benchmarks --record` from benchmarks/results/summary.json "
        "(benchmarks/report.py); edit the text there, not here. -->",
        "",
        "Every ratio compares against a reference measured in the same process on the same data, so it",
        "holds on a noisy machine better than absolute times do. Reproduce everything (except the slow",
        "end-to-end run) with one command:",
        "",
        "```bash",
        "python -m benchmarks                       # all but end_to_end; --with-end-to-end adds it",
        "python -m benchmarks --only metric_speed   # one benchmark (names below)",
        "```",
        "",
        "Results go to `benchmarks/output/` (git-ignored); only `--record` replaces this page and",
        "`benchmarks/results/`. The command exits with 1 when a benchmark fails or misses its target.",
        "",
        "## This run",
        "",
        "| | |",
        "|---|---|",
        f"| command | `{summary['command']}` |",
        f"| date | {summary['date']} |",
        f"| git commit | {summary['git_commit']}{' (working tree modified)' if summary.get('git_dirty') else ''} |",
        f"| machine | {m['cpu']}, {m['cores']} cores, {m['ram_gb']:.0f} GB RAM, {m['os']} |",
        f"| load average | {m.get('load_before', float('nan')):.1f} before, "
        f"{m.get('load_after', float('nan')):.1f} after (cores: {m['cores']}) |",
        f"| GPU | {m.get('gpu') or 'none'} |",
        "| versions | " + ", ".join(f"{k} {val}" for k, val in v.items()) + " |",
        f"| wall time | {summary['wall_seconds']:.0f} s |",
        "",
    ]
    if summary.get("note"):
        lines += [summary["note"], ""]
    # one overview of every target
    lines += ["## Targets", "", "| benchmark | what | measured | ratio | target | met |", "|---|---|---|---|---|---|"]
    for name, b in summary["benchmarks"].items():
        when = "" if b.get("status", "ran") == "ran" else f" ({b.get('status')}, {b.get('date', '?')})"
        for r in b.get("rows", []):
            if r["target"] != "—":
                lines.append(f"| {name}{when} | {r['what']} | {r['measured']} | {r['ratio']} | {r['target']} | "
                             f"{_fmt_met(r['met'])} |")
    lines.append("")
    for name, b in summary["benchmarks"].items():
        lines += [f"## {TITLES.get(name, name)} (`{name}`)", ""]
        status = b.get("status", "ran")
        if status == "previous":
            lines += [f"**Not rerun by this command: the last result, from {b.get('date', 'an unknown date')}** "
                      f"(`{b.get('command', '')}`).", ""]
        elif status == "failed":
            lines += [f"**Failed in this run** (exit status {b.get('returncode')}): {b.get('error', '')}", ""]
        elif status == "missing":
            lines += ["**No result**: not run, and no earlier result was found.", ""]
        else:
            lines += [f"Command `{b.get('command', '')}`, {b.get('seconds', 0):.0f} s.", ""]
        if name in ABOUT:
            lines += [ABOUT[name], ""]
        rows = b.get("rows", [])
        if rows:
            lines += ["| what | measured | reference | ratio | target | met |", "|---|---|---|---|---|---|"]
            lines += [f"| {r['what']} | {r['measured']} | {r['reference']} | {r['ratio']} | {r['target']} | "
                      f"{_fmt_met(r['met'])} |" for r in rows]
            lines.append("")
    lines += [PROFILE_NOTES, RECIPE_NOTES, "## Not measured", "",
              "GPU training throughput (target >= 2,000 images/s for ResNet-101 with AMP and channels_last on",
              "one H100), GPU attribution throughput and the paper profile's three models, unless the",
              "training_throughput table above shows a CUDA device: on a GPU machine,",
              "`python -m benchmarks.training_throughput --device cuda --archs resnet18,resnet50,resnet101 "
              "--steps 50 --stages-profile paper` and `specxai-bench run --profile paper --methods cam,gradcam`.", ""]
    return "\n".join(lines)
