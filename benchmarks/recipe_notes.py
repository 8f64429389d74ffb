"""The hand-written section of docs/performance.md on the CPU training recipe: each candidate measured,
and whether it was kept (rendered by ``report.render``; the numbers come from the runs named there)."""

RECIPE_NOTES = """\
## The CPU training recipe: each candidate, measured

The `cpu` profile's recipe (`model/profiles.py`, `model/training.py`): ResNet-18 at 224 px, Adam
with a one-cycle learning rate (peak 2e-3), **bfloat16 autocast** (where oneDNN runs bf16 natively),
**batch 16**, **8 epochs** (12 on the hard synthetic corpus), time-shift and noise augmentation, the checkpoint chosen on the
validation speakers, test accuracy measured once on the test speakers, at most 500 training
segments per class. Speed was measured side by side in one process (the same batches and threads,
steps alternating, medians), accuracy with full cpu-profile trainings one at a time
(`training._train` with the profile's fields overridden; 1 thread, since the machine was shared:
see *threads*). Each row says what was kept.

| candidate | speed (same process) | accuracy | kept? |
|---|---|---|---|
| bfloat16 autocast on the CPU (oneDNN `brg_conv_fwd/bwd:avx512_core_bf16` kernels, checked with `ONEDNN_VERBOSE=1`) | one training step of 32 images at 224 px: 65.9 vs 33.0 images/s in float32, **2.00x** (2 threads, load 1.4) | hard corpus (first setting), vowel5, 4 epochs, batch 32: test 0.900 (val 0.939) vs 0.878 (val 0.917) in float32 | **yes**; batch norm and the loss stay float32; the test accuracy and every attribution run in float32 (validation: next row) |
| validation passes in bfloat16 too (the checkpoint choice; the test accuracy stays float32) | a no-grad forward of 32 images at 224 px: 194 vs 90 images/s in float32, **2.15x** (2 threads, load 0.6); 8 passes over 180-192 validation images per model: ~1 s saved per epoch, ~25 s of a first default run (`training_throughput` measures both side by side) | hard corpus (`run --corpus synthetic:hard`, 2026-12-02): the same best epochs (7 / 7 / 6) and test accuracies (vowel5 0.944, vowel5-4k 0.961, voicing 0.932) as with float32 validation; of the 24 validation accuracies three differed by one sample | **yes** (`bf16_validation` in the model's config: it can move the chosen epoch) |
| batch 16 instead of 32 | 14.6 vs 13.9 images/s (1 thread, load 5.9): the same cost per image, twice the updates per epoch (45 instead of 23 on 720 images) | see the epochs row: vowel5 on the hard corpus 0.933 at 4 epochs | **yes** |
| 8 epochs instead of 4 (one-cycle over all of them) | 2x the epochs | hard corpus, bf16, batch 16: voicing 0.901 (4) / 0.922 (6) / 0.938 (8), best epoch 4 / 6 / 8: still improving at 4 and 6; vowel5 0.933 / 0.939 / 0.922 (val 0.967 / 0.972 / 0.978) | **yes** (8) |
| Adam `fused=True` / `foreach=True` instead of the per-tensor loop | one Adam step of ResNet-18: 11 / 17 ms vs 17 ms (45 steps per epoch: 0.27 s of a ~15 s epoch, 2 %) | foreach: bit-identical weights; fused: 4e-4 apart after four steps | **no**: 2 % is not worth every model's weights changing |
| 12 epochs on the hard corpus (`synthetic.EPOCH_FACTOR`: the hard variant trains 1.5x the profile's epochs) | 1.5x the training time of a hard-corpus model (~200 s instead of ~140 s for vowel5 at 50 images/s) | hard corpus, bf16, batch 16, one model per task with `training._train` (2026-12-02): vowel5 0.956 (best epoch 10 of 12; 8 epochs: 0.944), voicing 0.984 (11 of 12; 8 epochs: 0.932) | **yes**, for the hard corpus (`--corpus synthetic:hard`; `--epochs` overrides); the easy default stays at 8 (best epochs 4-6 there, and the 8-minute first run) |
| label smoothing 0.1 | free | hard corpus, 8 epochs: vowel5 0.939 (best epoch 7) vs 0.944, voicing 0.896 (6) vs 0.932 | **no**: worse on both tasks |
| progressive resizing (early epochs at 112 or 128 px, the last ones at 224 px) | a 112 px step 5.48x a float32 224 px step, 2.74x a bf16 224 px one | hard corpus, vowel5: 2 epochs at 128 px + 2 at 224 px: 0.856; 4 at 112 + 4 at 224 (8 epochs): 0.878, no better than 4 epochs at 224 (0.900). Validation at 224 px after the small epochs was 0.16-0.39: a spectrogram CNN's features are not scale-invariant (a formant band at half size is half as many rows high) | **no** (`Profile.epoch_scales` stays, default off) |
| `torch.compile` (inductor) | compiling took 82 s for the first step and 11 s for the second; afterwards a compiled step ran at 0.92x an eager one (bf16, 224 px, batch 32, load 4.3) | — | **no**: three models would spend ~5 minutes compiling to lose speed |
| threads | on a 2-core machine busy with one other CPU job, 2 threads ran a bf16 step of 32 images at 0.26x the speed of 1 thread (5.06 vs 1.34 s, load 3.3; 0.33x at load 10, 0.47x with `OMP_WAIT_POLICY=PASSIVE`): each parallel region waits for the thread the scheduler has parked | — | torch's default (one thread per core) is kept for a quiet machine. On a shared one, `OMP_NUM_THREADS=1` trains 2-4x faster; it changes the weights (float reductions in another order: 5e-3 after three steps), so the thread count is stored with each model (`threads`) |
| images decoded once into a cached uint8 / fp16 tensor file | the spectrograms of a `cpu` run take ~8 s of a first run, computed once per run (they were computed twice when a model was trained; now once) | — | **no** file format change: 1-2 % of a first run; the existing float32 cache (`data/cache.py`) serves `paper`, CUDA and multi-process runs |

The recipe's ratios against a plain PyTorch loop (float32, NCHW, Adam) are in the
`training_throughput` and `time_to_accuracy` tables above.
"""
