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
