"""Side-by-side speed of the pipeline's hot stages, each against a reference in the same process.

- CAM and Grad-CAM vs a plain forward pass of the same model and batch (targets >= 0.9x and
  >= 0.8x), and pytorch-grad-cam's Grad-CAM on the same batch, with the max |difference| of maps.
- Band-deletion faithfulness: all perturbed copies in batched forwards vs a per-sample loop.
- Spectrogram images: our batch path (one STFT per segment, cached overlap weights) vs a per-file
  librosa loop (wav read from disk, STFT, dB, skimage resize) on the same segments.
- Synthesis: segments per minute on one core (target >= 1,000).
- Scaling: synthesis + spectrograms at 1x, 2x and 4x corpus size.

    python -m benchmarks.pipeline_speed [--arch resnet18] [--batch 16] [--size 224] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from specxai_bench.io import atomic_write_text


def interleaved_medians(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each function, called in turn within every repeat (after one warm-up each), so all
    see the same load and clock: timed one block after another, two blocks of the same plain forward on
    this VM once differed by 26 %, more than the margin a ratio target leaves."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {name: float(np.median(v)) for name, v in times.items()}


def attribution_vs_forward(arch: str, batch: int, size: int, repeats: int) -> dict:
    from pytorch_grad_cam import GradCAM as PGCGradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    from specxai_bench.methods import METHODS
    from specxai_bench.model.classifier import SpectrogramClassifier

    torch.manual_seed(0)
    model = SpectrogramClassifier(arch, 5).eval()
    x = torch.rand(batch, 1, size, size)
    y = torch.randint(0, 5, (batch,))
    cam, gradcam = METHODS.get("cam")(model), METHODS.get("gradcam")(model)

    def forward() -> None:
        with torch.no_grad():
            model(x)

    def pgc() -> np.ndarray:
        with PGCGradCAM(model=model, target_layers=[model.feature_layer]) as g:
            return g(input_tensor=x, targets=[ClassifierOutputTarget(int(t)) for t in y])

    t = interleaved_medians({"forward": forward, "cam": lambda: cam.attribute(x, y),
                             "gradcam": lambda: gradcam.attribute(x, y), "pytorch_grad_cam": pgc}, repeats)
    fwd = t["forward"]
    diff = float((gradcam.attribute(x, y) - torch.from_numpy(pgc())).abs().max())
    return {"arch": arch, "batch": batch, "size": size, "seconds": t,
            "cam_vs_forward": fwd / t["cam"], "gradcam_vs_forward": fwd / t["gradcam"],
            "pytorch_grad_cam_vs_forward": fwd / t["pytorch_grad_cam"], "gradcam_max_abs_diff": diff}


def band_deletion_batched_vs_loop(arch: str, batch: int, size: int) -> dict:
    from specxai_bench.data.spectrogram import FrequencyAxis
    from specxai_bench.metrics import METRICS, ScoringBatch
    from specxai_bench.model.classifier import SpectrogramClassifier

    torch.manual_seed(0)
    model = SpectrogramClassifier(arch, 5).eval()
    x, y = torch.rand(batch, 1, size, size), torch.randint(0, 5, (batch,))
    maps = torch.rand(batch, size, size)
    nan = np.full((batch, size), np.nan)
    metric = METRICS.get("band_deletion")()

    def scored(idx: slice) -> np.ndarray:
        b = len(range(*idx.indices(batch)))
        return metric.score(ScoringBatch(maps[idx], x[idx], y[idx], nan[:b], np.full((b, size, 3), np.nan),
                                         FrequencyAxis(0, 4000, size), model))

    t = time.perf_counter()
    batched = scored(slice(None))
    t_batched = time.perf_counter() - t
    t = time.perf_counter()
    looped = np.concatenate([scored(slice(i, i + 1)) for i in range(batch)])
    t_loop = time.perf_counter() - t
    return {"batch": batch, "batched_s": t_batched, "loop_s": t_loop, "ratio": t_loop / t_batched,
            "max_abs_diff": float(np.nanmax(np.abs(batched - looped)))}


def spectrograms_vs_librosa_loop(n: int) -> dict:
    import librosa
    import soundfile as sf
    from skimage.transform import resize

    from specxai_bench.data.corpora.synthetic import SyntheticConfig, synthesize
    from specxai_bench.data.spectrogram import SpectrogramConfig, spectrogram_image

    segments = synthesize(SyntheticConfig(speakers_per_group=4)).segments[:n]
    cfg = SpectrogramConfig(fmax=4000)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, s in enumerate(segments):
            paths.append(Path(tmp) / f"{i}.wav")
            sf.write(paths[-1], s.audio, s.sample_rate)
        from threadpoolctl import threadpool_limits

        spectrogram_image(segments[0], cfg)  # warm-up: first calls build caches in both paths
        librosa.stft(segments[0].audio, n_fft=1024, hop_length=64, win_length=512)
        t = time.perf_counter()
        with threadpool_limits(limits=1, user_api="blas"):  # as data.build_task_data does
            for s in segments:
                spectrogram_image(s, cfg)
        ours = time.perf_counter() - t
        t = time.perf_counter()
        for p in paths:  # the usual per-file script: load, STFT, dB, crop the band, resize the image
            y, sr = librosa.load(p, sr=None)
            db = librosa.amplitude_to_db(np.abs(librosa.stft(y, n_fft=1024, hop_length=64, win_length=512)),
                                         ref=np.max)
            resize(db[: int(4000 / (sr / 1024))], (224, 224), anti_aliasing=True)
        loop = time.perf_counter() - t
    return {"images": n, "ours_images_per_s": n / ours, "librosa_loop_images_per_s": n / loop, "ratio": loop / ours}


def synthesis_rate() -> dict:
    from specxai_bench.data.corpora.synthetic import SyntheticConfig, synthesize

    torch.set_num_threads(1)
    out = {}
    for scale in (1, 2, 4):
        cfg = SyntheticConfig(speakers_per_group=3 * scale)
        t = time.perf_counter()
        corpus = synthesize(cfg)
        t_syn = time.perf_counter() - t
        from threadpoolctl import threadpool_limits

        from specxai_bench.data.spectrogram import SpectrogramConfig, spectrogram_image

        t = time.perf_counter()
        with threadpool_limits(limits=1, user_api="blas"):
            for s in corpus.segments:
                spectrogram_image(s, SpectrogramConfig(fmax=4000))
        t_spec = time.perf_counter() - t
        out[f"{scale}x"] = {"segments": len(corpus), "synthesis_s": t_syn, "segments_per_minute": len(corpus) / t_syn * 60,
                            "spectrogram_s": t_spec}
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", default="resnet18")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--json", type=Path, default=Path("benchmarks/results/pipeline_speed.json"))
    args = p.parse_args()
    report = {"machine": {"python": platform.python_version(), "torch": torch.__version__,
                          "threads": torch.get_num_threads(), "processor": platform.processor()}}
    report["attribution"] = attribution_vs_forward(args.arch, args.batch, args.size, args.repeats)
    report["band_deletion"] = band_deletion_batched_vs_loop(args.arch, 8, args.size)
    report["spectrograms"] = spectrograms_vs_librosa_loop(200)
    report["synthesis_scaling"] = synthesis_rate()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.json, json.dumps(report, indent=2) + "\n")
    a = report["attribution"]
    print(f"{args.arch}, batch {args.batch}, {args.size} px, {report['machine']['threads']} threads")
    print(f"CAM {a['cam_vs_forward']:.2f}x forward (target >= 0.9); Grad-CAM {a['gradcam_vs_forward']:.2f}x "
          f"(target >= 0.8); pytorch-grad-cam Grad-CAM {a['pytorch_grad_cam_vs_forward']:.2f}x; "
          f"max |ours - pytorch-grad-cam| = {a['gradcam_max_abs_diff']:.1e}")
    b = report["band_deletion"]
    print(f"band deletion, batch {b['batch']}: batched {b['batched_s']:.2f} s vs per-sample loop {b['loop_s']:.2f} s "
          f"= {b['ratio']:.2f}x; max |diff| {b['max_abs_diff']:.1e}")
    s = report["spectrograms"]
    print(f"spectrograms: {s['ours_images_per_s']:.0f} img/s vs per-file librosa loop "
          f"{s['librosa_loop_images_per_s']:.0f} img/s = {s['ratio']:.1f}x")
    for k, v in report["synthesis_scaling"].items():
        print(f"corpus {k}: {v['segments']} segments, synthesis {v['synthesis_s']:.1f} s "
              f"({v['segments_per_minute']:.0f} seg/min, 1 core), spectrograms {v['spectrogram_s']:.1f} s")


if __name__ == "__main__":
    main()
