"""The layer's history and review in git (nlq/semantic/review.py): real git
repositories and real files in a temporary folder, a copy of the demo layer.
What is checked is what the workbench relies on: nothing reaches the live files
before a second person approves it, the live files then equal main's tip byte for
byte, history says who did what and why, and nothing is ever lost or half-done."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from nlq.semantic.review import Change, LayerRepository, Proposal, ReviewError, default_git_dir

DEMO_LAYER = Path(__file__).resolve().parents[2] / "nlq" / "demo" / "semantic"
GMV_SYNONYMS = "synonyms: [GMV, 销售额,"  # line 8 of metrics.yaml
FUNNEL_SYNONYMS = "synonyms: [漏斗, 购买漏斗,"  # near the end of metrics.yaml


@pytest.fixture
def layer(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DEMO_LAYER, tmp_path / "layer"))


@pytest.fixture
def git_dir(tmp_path: Path) -> Path:
    return tmp_path / "history.git"


@pytest.fixture
def repo(layer: Path, git_dir: Path) -> Iterator[LayerRepository]:
    with LayerRepository.open(layer, git_dir) as repository:
        yield repository


def snapshot(layer: Path) -> dict[str, bytes]:
    """Every file of a layer folder, by its path in the folder."""
    return {p.relative_to(layer).as_posix(): p.read_bytes() for p in sorted(layer.rglob("*")) if p.is_file()}


_copies = 0


def edited(layer: Path, tmp_path: Path, old: str, new: str, file: str = "metrics.yaml") -> Path:
    """A copy of the layer with the first `old` in `file` replaced by `new`."""
    global _copies
    _copies += 1
    copy = Path(shutil.copytree(layer, tmp_path / f"copy-{_copies}"))
    text = (copy / file).read_text(encoding="utf-8")
    assert old in text
    (copy / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


def git(git_dir: Path, *args: str) -> str:
    """Real git, as an outsider would read the repository."""
    done = subprocess.run(
        ["git", "--git-dir", str(git_dir), *args], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def main_sha(git_dir: Path) -> str:
    return git(git_dir, "rev-parse", "refs/heads/main")


def test_first_open_commits_the_layer_as_found(layer: Path, git_dir: Path) -> None:
    before = snapshot(layer)
    repo = LayerRepository.open(layer, git_dir)

    assert git(git_dir, "rev-parse", "--is-bare-repository") == "true"
    assert git(git_dir, "symbolic-ref", "HEAD") == "refs/heads/main"
    assert not (layer / ".git").exists()
    assert snapshot(layer) == before  # opening never writes the live files
    [change] = repo.history()
    assert (change.author, change.approver, change.message) == ("nlq", None, "The layer as found")
    assert change.files == sorted(before)
    assert "+++ b/metrics.yaml" in change.diff and "--- /dev/null" in change.diff
    assert change.time.tzinfo is not None and change.time.utcoffset() == dt.timedelta(0)
    # The repository holds the files' exact bytes, under paths relative to the layer.
    assert git(git_dir, "ls-tree", "--name-only", "main").splitlines() == sorted(before)
    assert git(git_dir, "show", "main:metrics.yaml") == before["metrics.yaml"].decode().strip()
    assert git(git_dir, "log", "-1", "--format=%an <%ae>|%cn <%ce>", "main") == "nlq <nlq@nlq>|nlq <nlq@nlq>"

    # Opening again with the files unchanged adds nothing.
    assert len(LayerRepository.open(layer, git_dir).history()) == 1


def test_a_hand_edit_outside_the_workbench_is_committed_on_open(layer: Path, git_dir: Path) -> None:
    LayerRepository.open(layer, git_dir)
    metrics = layer / "metrics.yaml"
    metrics.write_text(
        metrics.read_text(encoding="utf-8").replace("GMV, 销售额", "GMV, 手改", 1), encoding="utf-8"
    )

    history = LayerRepository.open(layer, git_dir).history()

    assert [c.message for c in history] == ["Edited outside the workbench", "The layer as found"]
    assert history[0].author == "nlq" and history[0].files == ["metrics.yaml"]
    assert "-    synonyms: [GMV, 销售额," in history[0].diff
    assert "+    synonyms: [GMV, 手改," in history[0].diff
    assert git(git_dir, "show", "main:metrics.yaml") == metrics.read_text(encoding="utf-8").strip()


def test_a_proposal_is_a_branch_and_leaves_the_live_files_alone(
    repo: LayerRepository, layer: Path, git_dir: Path, tmp_path: Path
) -> None:
    before, base = snapshot(layer), main_sha(git_dir)
    copy = edited(layer, tmp_path, GMV_SYNONYMS, "synonyms: [GMV, 卖额, 销售额,")

    proposal = repo.propose(copy, author="chen.jie", reason="卖额 is how the east region says GMV")

    assert snapshot(layer) == before
    assert main_sha(git_dir) == base
    assert proposal.branch == "proposals/chen.jie/1"
    assert (proposal.author, proposal.reason, proposal.base) == (
        "chen.jie",
        "卖额 is how the east region says GMV",
        base,
    )
    assert proposal.files == ["metrics.yaml"]
    assert proposal.diff.startswith("--- a/metrics.yaml\n+++ b/metrics.yaml\n")
    assert "+    synonyms: [GMV, 卖额, 销售额," in proposal.diff
    assert proposal.time.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.UTC) - proposal.time) < dt.timedelta(minutes=1)
    assert git(git_dir, "rev-parse", f"refs/heads/{proposal.branch}") == proposal.commit
    assert git(git_dir, "rev-parse", f"{proposal.commit}^") == base
    assert (
        git(git_dir, "show", f"{proposal.branch}:metrics.yaml")
        == (copy / "metrics.yaml").read_text(encoding="utf-8").strip()
    )
    assert git(git_dir, "log", "-1", "--format=%an <%ae>|%cn|%s", proposal.branch) == (
        "chen.jie <chen.jie@nlq>|chen.jie|卖额 is how the east region says GMV"
    )
    assert repo.pending() == [proposal]


def test_pending_lists_newest_first_and_numbers_never_repeat(
    repo: LayerRepository, layer: Path, tmp_path: Path
) -> None:
    first = repo.propose(edited(layer, tmp_path, "GMV, 销售额", "GMV, 甲"), author="chen.jie", reason="one")
    second = repo.propose(edited(layer, tmp_path, "GMV, 销售额", "GMV, 乙"), author="sun.li", reason="two")
    third = repo.propose(edited(layer, tmp_path, "GMV, 销售额", "GMV, 丙"), author="chen.jie", reason="three")

    assert [p.branch for p in (first, second, third)] == [
        "proposals/chen.jie/1",
        "proposals/sun.li/2",
        "proposals/chen.jie/3",
    ]
    assert [p.reason for p in repo.pending()] == ["three", "two", "one"]
    repo.reject(third.branch, by="li.na", reason="duplicate")
    fourth = repo.propose(edited(layer, tmp_path, "GMV, 销售额", "GMV, 丁"), author="chen.jie", reason="four")
    assert fourth.branch == "proposals/chen.jie/4"  # a decided proposal's number is not reused


def test_the_author_cannot_approve_their_own_proposal(
    repo: LayerRepository, layer: Path, git_dir: Path, tmp_path: Path
) -> None:
    before, base = snapshot(layer), main_sha(git_dir)
    proposal = repo.propose(
        edited(layer, tmp_path, "GMV, 销售额", "GMV, 卖额"), author="chen.jie", reason="r"
    )

    with pytest.raises(ReviewError, match="someone else must approve"):
        repo.approve(proposal.branch, approver="chen.jie")
    with pytest.raises(ReviewError, match="someone else must approve"):
        repo.approve(proposal.branch, approver=" Chen.Jie ")

    assert snapshot(layer) == before and main_sha(git_dir) == base
    assert repo.pending() == [proposal]


def test_approval_by_another_writes_the_live_files_and_the_history(
    repo: LayerRepository, layer: Path, git_dir: Path, tmp_path: Path
) -> None:
    copy = edited(layer, tmp_path, GMV_SYNONYMS, "synonyms: [GMV, 卖额, 销售额,")
    proposal = repo.propose(copy, author="chen.jie", reason="卖额 means GMV")

    change = repo.approve(proposal.branch, approver="li.na")

    assert snapshot(layer) == snapshot(copy)  # byte-equal to the proposal's files
    assert main_sha(git_dir) == proposal.commit == change.sha  # fast-forward: main had not moved
    assert (change.author, change.approver, change.message) == ("chen.jie", "li.na", "卖额 means GMV")
    assert change.branch == proposal.branch
    assert change.diff == proposal.diff and change.files == ["metrics.yaml"]
    assert repo.history()[0] == change
    assert [c.message for c in repo.history()] == ["卖额 means GMV", "The layer as found"]
    assert repo.pending() == []
    assert git(git_dir, "for-each-ref", "--format=%(refname) %(taggername)", "refs/approved/") == (
        "refs/approved/chen.jie/1 li.na"
    )
    with pytest.raises(ReviewError, match="already been approved"):
        repo.approve(proposal.branch, approver="li.na")
    # A fresh open (the next request) sees the same history and no outside edit.
    assert LayerRepository.open(layer, git_dir).history() == repo.history()


def two_proposals(repo: LayerRepository, layer: Path, tmp_path: Path) -> tuple[Proposal, Proposal]:
    """Two analysts' proposals from the same main, on lines far apart."""
    top = repo.propose(
        edited(layer, tmp_path, GMV_SYNONYMS, "synonyms: [GMV, 卖额, 销售额,"),
        author="chen.jie",
        reason="top",
    )
    bottom = repo.propose(
        edited(layer, tmp_path, FUNNEL_SYNONYMS, "synonyms: [漏斗, 转化, 购买漏斗,"),
        author="sun.li",
        reason="bottom",
    )
    return top, bottom


def test_two_proposals_from_one_base_merge_three_way(
    repo: LayerRepository, layer: Path, git_dir: Path, tmp_path: Path
) -> None:
    top, bottom = two_proposals(repo, layer, tmp_path)
    assert top.base == bottom.base

    repo.approve(top.branch, approver="li.na")
    merged = repo.approve(bottom.branch, approver="li.na")

    text = (layer / "metrics.yaml").read_text(encoding="utf-8")
    assert "synonyms: [GMV, 卖额, 销售额," in text and "synonyms: [漏斗, 转化, 购买漏斗," in text
    expected = (DEMO_LAYER / "metrics.yaml").read_text(encoding="utf-8")
    expected = expected.replace(GMV_SYNONYMS, "synonyms: [GMV, 卖额, 销售额,", 1)
    expected = expected.replace(FUNNEL_SYNONYMS, "synonyms: [漏斗, 转化, 购买漏斗,", 1)
    assert text == expected
    # main took the second as a merge commit whose git author is the approver...
    assert git(git_dir, "rev-list", "--parents", "-1", "main").split() == [
        merged.sha,
        top.commit,
        bottom.commit,
    ]
    assert git(git_dir, "log", "-1", "--format=%an|%cn", "main") == "li.na|li.na"
    # ...while history names the analyst, the approver and the reason.
    assert (merged.author, merged.approver, merged.message, merged.branch) == (
        "sun.li",
        "li.na",
        "bottom",
        bottom.branch,
    )
    assert merged.files == ["metrics.yaml"]
    assert "+    synonyms: [漏斗, 转化, 购买漏斗," in merged.diff and "卖额" not in merged.diff
    assert [(c.author, c.approver, c.message) for c in repo.history()] == [
        ("sun.li", "li.na", "bottom"),
        ("chen.jie", "li.na", "top"),
        ("nlq", None, "The layer as found"),
    ]
    assert repo.pending() == []


def test_a_conflict_on_the_same_line_leaves_main_and_the_live_files_unchanged(
    repo: LayerRepository, layer: Path, git_dir: Path, tmp_path: Path
) -> None:
    first = repo.propose(edited(layer, tmp_path, "GMV, 销售额", "GMV, 卖额"), author="chen.jie", reason="one")
    second = repo.propose(
        edited(layer, tmp_path, "GMV, 销售额", "GMV, 流水额"), author="sun.li", reason="two"
    )
    repo.approve(first.branch, approver="li.na")
    before, base = snapshot(layer), main_sha(git_dir)

    with pytest.raises(ReviewError, match=r"metrics\.yaml changed in the same place") as raised:
        repo.approve(second.branch, approver="li.na")

    assert "proposals/sun.li/2" in str(raised.value)
    assert snapshot(layer) == before and main_sha(git_dir) == base
    assert repo.pending() == [second]  # still there, to be rejected or proposed again
    assert len(repo.history()) == 2


def test_rejection_drops_the_proposal_from_pending_and_keeps_it_findable(
    repo: LayerRepository, layer: Path, git_dir: Path, tmp_path: Path
) -> None:
    before = snapshot(layer)
    proposal = repo.propose(
        edited(layer, tmp_path, "GMV, 销售额", "GMV, 卖额"), author="chen.jie", reason="r"
    )

    with pytest.raises(ReviewError, match="needs a reason"):
        repo.reject(proposal.branch, by="li.na", reason="  ")
    repo.reject(proposal.branch, by="li.na", reason="卖额 is a typo")

    assert repo.pending() == []
    assert snapshot(layer) == before and len(repo.history()) == 1
    assert git(git_dir, "rev-parse", "refs/rejected/chen.jie/1^{commit}") == proposal.commit
    assert git(git_dir, "for-each-ref", "--format=%(taggername)|%(contents)", "refs/rejected/") == (
        "li.na|卖额 is a typo"
    )
    with pytest.raises(ReviewError, match="has been rejected"):
        repo.approve(proposal.branch, approver="li.na")
    with pytest.raises(ReviewError, match="no pending proposal"):
        repo.approve("proposals/nobody/99", approver="li.na")


def test_undo_restores_the_previous_bytes_and_is_in_the_history(
    repo: LayerRepository, layer: Path, git_dir: Path, tmp_path: Path
) -> None:
    before = snapshot(layer)
    added = edited(layer, tmp_path, "GMV, 销售额", "GMV, 卖额")
    (added / "extra.yaml").write_text("terms: []\n", encoding="utf-8")  # a new file, too
    proposal = repo.propose(added, author="chen.jie", reason="卖额")
    repo.approve(proposal.branch, approver="li.na")
    assert (layer / "extra.yaml").read_text(encoding="utf-8") == "terms: []\n"

    undone = repo.undo(by="li.na")

    assert snapshot(layer) == before  # extra.yaml is gone again
    assert (undone.author, undone.approver, undone.message) == ("li.na", None, "Undo: 卖额")
    assert undone.files == ["extra.yaml", "metrics.yaml"]
    assert "-    synonyms: [GMV, 卖额," in undone.diff and "+++ /dev/null" in undone.diff
    assert [c.message for c in repo.history()] == ["Undo: 卖额", "卖额", "The layer as found"]
    assert git(git_dir, "rev-parse", "main^{tree}") == git(git_dir, "rev-parse", "main~2^{tree}")


def test_undo_with_nothing_to_undo_is_refused(repo: LayerRepository, layer: Path, git_dir: Path) -> None:
    base = main_sha(git_dir)
    with pytest.raises(ReviewError, match="Nothing to undo"):
        repo.undo(by="li.na")
    assert main_sha(git_dir) == base


def test_a_proposal_needs_a_reason_and_a_change(
    repo: LayerRepository, layer: Path, git_dir: Path, tmp_path: Path
) -> None:
    copy = edited(layer, tmp_path, "GMV, 销售额", "GMV, 卖额")
    for reason in ("", "   \n"):
        with pytest.raises(ReviewError, match="needs a reason"):
            repo.propose(copy, author="chen.jie", reason=reason)
    with pytest.raises(ReviewError, match="identical to the layer"):
        repo.propose(Path(shutil.copytree(layer, tmp_path / "same")), author="chen.jie", reason="nothing")
    with pytest.raises(ReviewError, match="needs a name"):
        repo.propose(copy, author=" ", reason="r")
    assert repo.pending() == []
    assert git(git_dir, "for-each-ref", "--format=%(refname)") == "refs/heads/main"


def test_a_deleted_file_is_removed_from_the_live_layer(
    repo: LayerRepository, layer: Path, tmp_path: Path
) -> None:
    copy = Path(shutil.copytree(layer, tmp_path / "without"))
    (copy / "insights.yaml").unlink()
    proposal = repo.propose(copy, author="chen.jie", reason="insights move elsewhere")
    assert proposal.files == ["insights.yaml"] and "+++ /dev/null" in proposal.diff

    repo.approve(proposal.branch, approver="li.na")

    assert not (layer / "insights.yaml").exists()
    assert snapshot(layer) == snapshot(copy)


def test_a_one_file_layer(tmp_path: Path, git_dir: Path) -> None:
    layer = tmp_path / "live" / "layer.yaml"
    layer.parent.mkdir()
    shutil.copyfile(DEMO_LAYER / "metrics.yaml", layer)
    (tmp_path / "live" / "notes.yaml").write_text("not: part of the layer\n", encoding="utf-8")
    repo = LayerRepository.open(layer, git_dir)
    assert git(git_dir, "ls-tree", "--name-only", "main") == "layer.yaml"

    copy = tmp_path / "copy" / "layer.yaml"
    copy.parent.mkdir()
    copy.write_text(
        layer.read_text(encoding="utf-8").replace("GMV, 销售额", "GMV, 卖额", 1), encoding="utf-8"
    )
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "other.yaml").write_text("metrics: []\n", encoding="utf-8")
    with pytest.raises(ReviewError, match="a copy of that file"):
        repo.propose(wrong, author="chen.jie", reason="r")
    proposal = repo.propose(copy, author="chen.jie", reason="卖额")
    assert proposal.files == ["layer.yaml"]
    change = repo.approve(proposal.branch, approver="li.na")

    assert layer.read_bytes() == copy.read_bytes()
    assert (tmp_path / "live" / "notes.yaml").read_text(encoding="utf-8") == "not: part of the layer\n"
    assert change.files == ["layer.yaml"] and "+++ b/layer.yaml" in change.diff
    repo.undo(by="li.na")
    assert layer.read_bytes() == (DEMO_LAYER / "metrics.yaml").read_bytes()


def test_a_layer_inside_another_repository_leaves_that_repository_alone(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "--quiet", str(project)], check=True)
    layer = Path(shutil.copytree(DEMO_LAYER, project / "semantic"))
    git_dir = project / "data" / "layer.git"

    repo = LayerRepository.open(layer, git_dir)
    proposal = repo.propose(
        edited(layer, tmp_path, "GMV, 销售额", "GMV, 卖额"), author="chen.jie", reason="r"
    )
    repo.approve(proposal.branch, approver="li.na")

    enclosing = project / ".git"
    assert git(enclosing, "for-each-ref") == ""  # no commit, no branch, nothing staged
    assert not (enclosing / "index").exists()
    assert not (layer / ".git").exists() and not list(layer.rglob(".git"))
    assert len(repo.history()) == 2


def test_saves_at_the_same_moment_lose_nothing(layer: Path, git_dir: Path, tmp_path: Path) -> None:
    LayerRepository.open(layer, git_dir)
    copies = [edited(layer, tmp_path, "GMV, 销售额", f"GMV, 词{i}") for i in range(4)]

    def save(i: int) -> str:
        return (
            LayerRepository.open(layer, git_dir)
            .propose(copies[i], author=f"analyst{i}", reason=f"r{i}")
            .branch
        )

    with ThreadPoolExecutor(4) as pool:
        branches = list(pool.map(save, range(4)))

    assert sorted(int(b.rsplit("/", 1)[1]) for b in branches) == [1, 2, 3, 4]
    repo = LayerRepository.open(layer, git_dir)
    assert sorted(p.reason for p in repo.pending()) == ["r0", "r1", "r2", "r3"]
    subprocess.run(["git", "--git-dir", str(git_dir), "fsck", "--strict", "--no-progress"], check=True)


def test_the_history_repository_is_found_through_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NLQ_LAYER_GIT", raising=False)
    assert default_git_dir() == Path("data/layer.git")
    monkeypatch.setenv("NLQ_LAYER_GIT", "/srv/nlq/layer.git")
    assert default_git_dir() == Path("/srv/nlq/layer.git")


def test_history_respects_its_limit(repo: LayerRepository, layer: Path, tmp_path: Path) -> None:
    for word in ("甲", "乙", "丙"):
        proposal = repo.propose(
            edited(layer, tmp_path, "GMV, ", f"GMV, {word}"), author="chen.jie", reason=word
        )
        repo.approve(proposal.branch, approver="li.na")
    history = repo.history(limit=2)
    assert [c.message for c in history] == ["丙", "乙"]
    assert all(isinstance(c, Change) for c in history)


def test_approvals_at_the_same_moment_keep_both_changes(layer: Path, git_dir: Path, tmp_path: Path) -> None:
    repo = LayerRepository.open(layer, git_dir)
    top, bottom = two_proposals(repo, layer, tmp_path)

    def approve(branch: str) -> Change:
        with LayerRepository.open(layer, git_dir) as admin:
            return admin.approve(branch, approver="li.na")

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(approve, [top.branch, bottom.branch]))

    text = (layer / "metrics.yaml").read_text(encoding="utf-8")
    assert "synonyms: [GMV, 卖额, 销售额," in text and "synonyms: [漏斗, 转化, 购买漏斗," in text
    assert sorted(c.message for c in repo.history()[:2]) == ["bottom", "top"]
    assert repo.pending() == []
    assert (
        len(LayerRepository.open(layer, git_dir).history()) == 3
    )  # the live files equal main: no outside edit
