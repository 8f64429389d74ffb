import pytest

from specxai_bench.runtime.lock import OutputLock, OutputLockedError


def test_second_holder_is_refused_with_the_pid(tmp_path):
    import os

    with OutputLock(tmp_path):
        with pytest.raises(OutputLockedError, match=f"pid {os.getpid()}.*another --output"):
            with OutputLock(tmp_path):
                pass
    with OutputLock(tmp_path):  # released on exit
        pass


def test_unwritable_output_folder(tmp_path):
    from specxai_bench.errors import SpecXAIError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SpecXAIError, match="not writable"):
        with OutputLock(blocker / "out"):
            pass
