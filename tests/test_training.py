import pytest
import torch

from specxai_bench.model.training import augment


def test_augmentation_never_moves_the_frequency_axis():
    x = torch.rand(4, 1, 16, 12)
    out = augment(x, torch.Generator().manual_seed(0), max_shift=3)
    for b in range(4):
        # every output column is an input column (a time shift) plus faint noise: rows stay rows
        dist = (out[b, 0][:, :, None] - x[b, 0][:, None, :]).abs().max(0).values  # [W_out, W_in]
        assert (dist.min(1).values < 0.06).all()


def _tiny_setup(small_corpus, tmp_path):
    from dataclasses import replace

    from specxai_bench.data.datasets import build_task_data
    from specxai_bench.data.tasks import TASKS
    from specxai_bench.model.profiles import PROFILES

    profile = replace(PROFILES["smoke"], image_size=32, epochs=3)
    task = TASKS["voicing"]
    splits = build_task_data(task, small_corpus, profile.image_size, seed=0, progress=False)
    return task, splits, profile


def test_training_resumes_after_a_crash_with_identical_weights(small_corpus, tmp_path, monkeypatch):
    import pytest

    from specxai_bench.model import training

    task, splits, profile = _tiny_setup(small_corpus, tmp_path)
    kw = dict(corpus_fingerprint="fp", seed=0, device="cpu", progress=False)
    ref, ref_meta = training.train_or_load(task, splits, profile, checkpoint_dir=tmp_path / "a", **kw)

    real_epoch, calls = training._train_epoch, []

    def crash_on_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # stands in for a kill after two completed epochs
        return real_epoch(*args, **kwargs)

    monkeypatch.setattr(training, "_train_epoch", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        training.train_or_load(task, splits, profile, checkpoint_dir=tmp_path / "b", **kw)
    files = [p.name for p in (tmp_path / "b").iterdir()]
    assert len(files) == 1 and files[0].endswith(".resume.pt")  # no final checkpoint yet
    monkeypatch.setattr(training, "_train_epoch", real_epoch)
    resumed, meta = training.train_or_load(task, splits, profile, checkpoint_dir=tmp_path / "b", **kw)
    assert len(meta["history"]) == 3 and meta["test_accuracy"] == ref_meta["test_accuracy"]
    for a, b in zip(ref.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(a, b)
    assert not list((tmp_path / "b").glob("*.resume.pt"))  # removed once the checkpoint is written


def test_train_seed_moves_the_weights_not_the_data_and_keeps_old_names(small_corpus, tmp_path):
    from dataclasses import replace

    import torch

    from specxai_bench.io import config_hash
    from specxai_bench.model import training

    task, splits, profile = _tiny_setup(small_corpus, tmp_path)
    profile = replace(profile, epochs=1)
    old = training.model_config(task, profile, "fp", seed=0)
    assert "train_seed" not in old  # checkpoints named before --train-seed keep their names
    assert training.model_config(task, profile, "fp", seed=0, train_seed=0) == old
    assert config_hash(training.model_config(task, profile, "fp", seed=0, train_seed=1)) != config_hash(old)
    kw = dict(corpus_fingerprint="fp", seed=0, device="cpu", progress=False)
    a, meta_a = training.train_or_load(task, splits, profile, checkpoint_dir=tmp_path / "a", train_seed=1, **kw)
    b, meta_b = training.train_or_load(task, splits, profile, checkpoint_dir=tmp_path / "b", train_seed=1, **kw)
    c, _ = training.train_or_load(task, splits, profile, checkpoint_dir=tmp_path / "c", **kw)
    same = all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    differ = any(not torch.equal(x, y) for x, y in zip(a.state_dict().values(), c.state_dict().values()))
    assert same and differ and meta_a["config"]["train_seed"] == 1 and meta_a["config"]["seed"] == 0


def test_progressive_resizing_trains_early_epochs_small_and_the_last_at_full_size(small_corpus, tmp_path,
                                                                                   monkeypatch):
    from dataclasses import replace

    from specxai_bench.model import training

    task, splits, profile = _tiny_setup(small_corpus, tmp_path)
    profile = replace(profile, image_size=64, epochs=3, epoch_scales=(0.5, 0.5, 0.5))
    from specxai_bench.data.datasets import build_task_data

    splits = build_task_data(task, small_corpus, 64, seed=0, progress=False)
    seen: list[tuple[bool, int]] = []
    real_forward = training.SpectrogramClassifier.forward

    def spy(self, x):
        seen.append((self.training, x.shape[-1]))
        return real_forward(self, x)

    monkeypatch.setattr(training.SpectrogramClassifier, "forward", spy)
    _, meta = training.train_or_load(task, splits, profile, corpus_fingerprint="fp", seed=0, device="cpu",
                                     progress=False, checkpoint_dir=tmp_path)
    assert [h["image_size"] for h in meta["history"]] == [32, 32, 64]  # the last epoch always at full size
    assert {size for train, size in seen if not train} == {64}  # validation and test at full size
    assert {size for train, size in seen if train} == {32, 64}


def test_epoch_sizes_follow_the_scales_and_end_at_full_size():
    from dataclasses import replace

    from specxai_bench.model.profiles import PROFILES

    p = replace(PROFILES["cpu"], image_size=224, epochs=4, epoch_scales=(0.5, 0.75))
    assert [p.epoch_size(e) for e in range(4)] == [112, 168, 224, 224]
    assert replace(p, epochs=2).epoch_size(1) == 224  # the last epoch always at full size
    assert replace(p, epochs=1).epoch_size(0) == 224
    assert replace(p, image_size=40).epoch_size(0) == 32  # never below the stride


def test_bf16_autocast_on_a_cpu_only_where_asked_and_supported(monkeypatch):
    from specxai_bench.runtime import gpu

    monkeypatch.setattr(gpu, "cpu_bf16_supported", lambda: True)
    assert gpu.training_precision("cpu", cpu_bf16=True) == "bf16"
    assert gpu.training_precision("cpu", cpu_bf16=False) == "fp32"
    model = torch.nn.Linear(4, 2)
    with gpu.autocast("cpu", cpu_bf16=True):
        assert model(torch.rand(1, 4)).dtype == torch.bfloat16
    with gpu.autocast("cpu"):
        assert model(torch.rand(1, 4)).dtype == torch.float32
    monkeypatch.setattr(gpu, "cpu_bf16_supported", lambda: False)  # emulated bf16 would be slower: float32
    assert gpu.training_precision("cpu", cpu_bf16=True) == "fp32"
    with gpu.autocast("cpu", cpu_bf16=True):
        assert model(torch.rand(1, 4)).dtype == torch.float32


def test_the_recipe_is_part_of_the_model_config_and_old_configs_keep_their_hash():
    from dataclasses import replace

    from specxai_bench.data.tasks import TASKS
    from specxai_bench.io import config_hash
    from specxai_bench.model.profiles import PROFILES
    from specxai_bench.model.training import model_config

    plain = replace(PROFILES["smoke"], cpu_bf16=False, epoch_scales=(), max_train_per_class=0)
    base = model_config(TASKS["vowel5"], plain, "fp", 0)
    assert not {"cpu_bf16", "epoch_scales", "max_train_per_class"} & set(base)  # unchanged for a plain recipe
    hashes = {config_hash(model_config(TASKS["vowel5"], replace(plain, **kw), "fp", 0))
              for kw in ({}, {"cpu_bf16": True}, {"epoch_scales": (0.5,)}, {"max_train_per_class": 100})}
    assert len(hashes) == 4


def test_validation_runs_in_the_training_precision_and_the_test_accuracy_in_float32(small_corpus, tmp_path,
                                                                                       monkeypatch):
    from dataclasses import replace

    from specxai_bench.model import predict, training

    task, splits, profile = _tiny_setup(small_corpus, tmp_path)
    seen: list[bool] = []  # cpu_bf16 of every accuracy measurement, in order
    real = predict.predict

    def spy(*args, cpu_bf16=False, **kwargs):
        seen.append(cpu_bf16)
        return real(*args, cpu_bf16=cpu_bf16, **kwargs)

    monkeypatch.setattr(predict, "predict", spy)
    bf16 = replace(profile, cpu_bf16=True)
    _, meta = training.train_or_load(task, splits, bf16, corpus_fingerprint="fp", seed=0, device="cpu",
                                     progress=False, checkpoint_dir=tmp_path / "bf16")
    assert seen == [True] * bf16.epochs + [False]  # every validation in bf16; the test accuracy in float32
    assert "bf16_validation" in meta["config"] and "bf16_validation" not in training.model_config(
        task, profile, "fp", 0)  # the checkpoint choice is part of the model's name


@pytest.mark.parametrize("curve, improving", [
    ([0.5, 0.8, 0.9], True),    # best at the last epoch and still rising
    ([0.5, 0.9, 0.9], False),   # flat at the end
    ([0.5, 0.95, 0.9], False),  # the best epoch was earlier
    ([0.9], False),
])
def test_still_improving_flags_a_model_stopped_while_it_was_getting_better(curve, improving):
    from specxai_bench.model.training import still_improving

    assert still_improving([{"val_accuracy": v} for v in curve]) is improving
