"""``make bench-check``: each part of BENCHMARKS.md names the commit it measured, and is
reported once the code it measured changes — checked against a throw-away git history, since
the project's own history moves on."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from benchmarks import freshness
from benchmarks.__main__ import available
from benchmarks.common import Report, parse_blocks, render_file

PATHS = {"sweep": ("notifications/", "benchmarks/bench_sweep.py")}


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def commit_file(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    git(root, "add", relative)
    git(root, "commit", "-q", "-m", f"change {relative}")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    commit_file(tmp_path, "notifications/sweep.py", "one = 1\n")
    commit_file(tmp_path, "flows/status.py", "one = 1\n")
    return tmp_path


def block(root: Path) -> str:
    report = Report()
    report.section("Reminder sweep").text("1.9 ms")
    commit = freshness.measured_commit("sweep", root, PATHS)
    return report.block("sweep", command="make bench", when="today", minutes=1, commit=commit)


def state(root: Path, text: str) -> str | None:
    (result,) = freshness.check(text, root, paths=PATHS)
    return result.problem


def test_a_block_is_up_to_date_until_its_code_changes(repo: Path) -> None:
    text = render_file([block(repo)])
    head = git(repo, "rev-parse", "--short=12", "HEAD")
    assert f"on commit `{head}` by `make bench`" in text
    assert state(repo, text) is None

    commit_file(repo, "flows/status.py", "two = 2\n")  # not on the sweep's paths
    assert state(repo, text) is None

    commit_file(repo, "notifications/sweep.py", "two = 2\n")
    problem = state(repo, text)
    assert problem is not None and problem.startswith("OUT OF DATE: 1 later commit")
    assert "change notifications/sweep.py" in problem


def test_a_run_on_uncommitted_code_says_so_and_is_never_up_to_date(repo: Path) -> None:
    (repo / "notifications/sweep.py").write_text("changed = True\n", encoding="utf-8")
    text = block(repo)
    assert "` with uncommitted changes by `make bench`" in text
    assert state(repo, text) == "OUT OF DATE: it measured uncommitted changes"


def test_a_block_without_a_commit_or_with_an_unknown_one_is_reported(repo: Path) -> None:
    report = Report()
    report.section("Reminder sweep").text("1.9 ms")
    old = report.block("sweep", command="make bench", when="today", minutes=1)
    assert state(repo, old) == "run it again to record the commit it measures"
    assert state(repo, old.replace("today", "today on commit `0123456789ab`")) == (
        "that commit is not in this clone (a shallow one?)"
    )


def test_strict_fails_only_when_something_is_out_of_date(repo: Path) -> None:
    file = repo / "BENCHMARKS.md"
    file.write_text(render_file([block(repo)]), encoding="utf-8")
    arguments = ["--file", str(file), "--root", str(repo)]
    assert freshness.main([*arguments, "--strict"]) == 0
    commit_file(repo, "notifications/sweep.py", "two = 2\n")  # on the real sweep's paths too
    assert freshness.main([*arguments, "--strict"]) == 1
    assert freshness.main(arguments) == 0


def test_every_benchmark_has_paths_that_exist() -> None:
    assert sorted(freshness.PATHS) == available()
    for name, paths in freshness.PATHS.items():
        for path in paths:
            assert (freshness.ROOT / path).exists(), f"{name}: {path}"


def test_every_block_of_benchmarks_md_names_the_commit_it_measured() -> None:
    blocks = parse_blocks(freshness.OUTPUT.read_text(encoding="utf-8"))
    assert sorted(blocks) == available()
    for name, text in blocks.items():
        assert freshness.COMMIT.search(text), name
