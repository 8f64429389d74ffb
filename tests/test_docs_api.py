"""docs/api.md runs: every Python block (one namespace, in order, as a notebook) and every shell block,
in one folder holding the corpus the page describes (eight synthetic speakers' vowels written as an
MFA-aligned, LibriTTS-nested corpus with stress digits)."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path


from specxai_bench.data.corpora.base import Corpus
from specxai_bench.data.corpora.export import export_corpus

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"
BLOCK = re.compile(r"^```(python|bash)\n(.*?)^```", re.M | re.S)


def blocks() -> list[tuple[str, str]]:
    return [(kind, body) for kind, body in BLOCK.findall(DOC.read_text())]


def run_shell(body: str, run_cli) -> None:
    """Each command of a shell block, ``specxai-bench`` run in this process (the page's folder is the cwd)."""
    for command in body.replace("\\\n", " ").strip().splitlines():
        args = shlex.split(command)
        assert args[0] == "specxai-bench", command
        res = run_cli(*args[1:])
        assert res.returncode == 0, f"{command}\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}"
        print(res.stdout)
        print(res.stderr[-3000:], file=sys.stderr)


def test_every_block_of_docs_api_md_runs(small_corpus, run_cli, tmp_path, monkeypatch, capsys):
    keep = [spk for spk in dict.fromkeys(s.speaker for s in small_corpus.segments)][:8]
    vowels = {"iy", "ae", "ah", "aa", "uw"}
    corpus = Corpus("mine", tuple(s for s in small_corpus.segments if s.speaker in keep and s.label in vowels))
    export_corpus(corpus, tmp_path / "corpus", style="mfa")
    monkeypatch.chdir(tmp_path)
    found = blocks()
    assert [k for k, _ in found].count("bash") >= 1 and [k for k, _ in found].count("python") >= 3
    namespace: dict[str, object] = {"__name__": "docs_api"}
    for kind, body in found:
        if kind == "python":
            exec(compile(body, f"{DOC}:{kind}", "exec"), namespace)
        else:
            run_shell(body, run_cli)
    out = capsys.readouterr()
    assert "torch.Size([5, 224, 224]) (7, 7)" in out.out  # the page's printed comment is what happens
    assert "['vowel5-4k'] 1" in out.out
    assert "split: every speaker in test (a finished model is evaluated, not trained)" in out.err
    assert "8 speakers (children 2, men 3, women 3), 22050 Hz" in out.err
