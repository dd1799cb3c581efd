"""The semantic layer's history and its review, kept in git.

A change to the layer changes every answer the chat gives, so it should not go live
the moment one analyst saves it: it is saved as a proposal, a second person (an
admin) approves it, and every change stays on record with who made it, who let it
in, why, and what it changed, so that a bad one can be undone. Git already is such
a record (commits, branches, diffs, 3-way merges); this module is the review on top.

The live files stay where the chat loads them. They may sit inside another
repository (the project's own), so the history is a separate **bare** repository
(`default_git_dir()`) and no git command ever runs inside the layer: paths in the
repository are relative to the layer folder (for a one-file layer: the file's name).
Commits are built with plumbing from the files' bytes, with explicit authors, so
neither a work tree nor a configured git user (user.name, user.email) is needed.

What the refs mean:
- `refs/heads/main`: the layer the chat uses. Once any method here returns, the live
  files equal main's tip; edits made by hand outside the workbench are committed to
  main ("Edited outside the workbench") before anything else, so history stays true.
- `refs/heads/proposals/<author>/<n>`: a pending proposal, one commit whose parent is
  main's tip when it was proposed (n counts every proposal, of every author).
- `refs/approved/<author>/<n>` and `refs/rejected/<author>/<n>`: the decision, an
  annotated tag on the proposal's commit; its tagger is who decided, and for a
  rejection its message is why. The proposal's branch is gone, so it is no longer
  pending, but its commit stays findable.

Concurrency, both ways: every ref change goes through `git update-ref --stdin` as one
transaction with each old value checked (create only if absent, update or delete
only from the value read), so a commit is never lost: if a ref moved meanwhile,
nothing changes and ReviewError says to try again. Around that, each method holds an
exclusive lock on a file in the git dir (flock; msvcrt on Windows) from reading
main to writing the live files, so that two analysts saving at once are served one
after the other and the live files end at main's tip, not at whichever write came
last."""

from __future__ import annotations

import datetime as dt
import difflib
import io
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

import git
from git.objects.fun import tree_to_stream
from gitdb import IStream
from pydantic import BaseModel

from nlq.semantic.loader import LayerError, layer_files

GIT_DIR_ENV = "NLQ_LAYER_GIT"
DEFAULT_GIT_DIR = Path("data/layer.git")

MAIN = "refs/heads/main"
PROPOSALS = "refs/heads/proposals/"
APPROVED = "refs/approved/"
REJECTED = "refs/rejected/"
NLQ = "nlq"  # the author of the commits nobody in the workbench made
LOCK_FILE = "nlq-review.lock"
LOCK_TIMEOUT = 30.0  # seconds to wait for another save before giving up

# A layer as git sees it: each file's path in the layer -> its blob's id (binary sha).
Files = dict[str, bytes]


class ReviewError(Exception):
    """A review step cannot be taken; the message says why. Nothing was changed."""


class Proposal(BaseModel):
    """A change waiting for approval: what an admin needs to decide on it."""

    branch: str  # proposals/<author>/<n>, the name approve() and reject() take
    commit: str
    author: str
    reason: str
    time: dt.datetime  # aware, UTC
    base: str  # main's tip when it was proposed
    diff: str  # unified, against its base
    files: list[str]


class Change(BaseModel):
    """One step of main's history. For an approved proposal, `author` is the analyst
    who proposed it and `message` their reason, even when main took it as a merge
    commit (whose git author is the approver); `time` is when it reached main."""

    sha: str
    author: str
    approver: str | None = None
    time: dt.datetime  # aware, UTC
    message: str
    diff: str  # unified, against the commit's first parent
    files: list[str]
    branch: str | None = None  # the proposal it came from, if any


def default_git_dir() -> Path:
    """Where the history lives unless told: NLQ_LAYER_GIT, else data/layer.git."""
    return Path(os.environ.get(GIT_DIR_ENV) or DEFAULT_GIT_DIR)


class LayerRepository:
    """The history of one layer (one git dir per layer) and the review of its changes."""

    def __init__(self, layer: Path, git_dir: Path) -> None:
        # Use LayerRepository.open: it creates the repository and catches up with the files.
        self.layer = layer
        self.git_dir = git_dir
        self._one_file = layer.is_file()
        self._root = layer.parent if self._one_file else layer
        # Objects are written in-process (loose) and read through `git cat-file --batch`,
        # which close() ends.
        self._repo = git.Repo(git_dir)
        self._git = self._repo.git
        # Commands act on this repository even where GIT_DIR points elsewhere (a git hook).
        self._git.update_environment(GIT_DIR=str(git_dir))

    @classmethod
    def open(cls, layer: Path, git_dir: Path | None = None) -> LayerRepository:
        """The history of `layer`: created on first use with the layer as found, and
        brought up to date with any edit made to the files by hand since."""
        layer = layer.absolute()
        git_dir = (git_dir or default_git_dir()).absolute()
        git_dir.mkdir(parents=True, exist_ok=True)
        with _exclusive(git_dir / LOCK_FILE):
            if not (git_dir / "HEAD").exists():
                _init_bare(git_dir)
            repository = cls(layer, git_dir)
            repository._absorb_outside_edits()
        return repository

    def close(self) -> None:
        self._repo.close()

    def __enter__(self) -> LayerRepository:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    # -- The review ------------------------------------------------------------------

    def propose(self, proposed: Path, *, author: str, reason: str) -> Proposal:
        """Saves `proposed` (a copy of the layer with the change applied) for review,
        leaving the live files alone: the chat goes on with main until approval."""
        author = _person(author, "author")
        reason = reason.strip()
        if not reason:
            raise ReviewError("A proposal needs a reason: say why the layer should change.")
        files = self._store_files(self._read_copy(proposed))
        with self._lock():
            main = self._absorb_outside_edits()
            tree = self._store_tree(files)
            if tree == main.tree.binsha:
                raise ReviewError("The proposal changes nothing: it is identical to the layer.")
            branch = f"proposals/{_ref_part(author)}/{self._next_number()}"
            commit = self._commit(tree, [main], reason, author)
            self._update_refs([f"create refs/heads/{branch} {commit.hexsha}"])
        return self._proposal(branch, commit)

    def pending(self) -> list[Proposal]:
        """Proposals neither approved nor rejected, newest first."""
        proposals = [
            self._proposal(ref.removeprefix("refs/heads/"), self._commit_at(sha))
            for ref, sha in self._refs(PROPOSALS).items()
        ]
        return sorted(proposals, key=lambda p: _number(p.branch), reverse=True)

    def approve(self, branch: str, *, approver: str) -> Change:
        """Lets a proposal into the layer the chat uses. Someone other than its author
        must approve it: that second look is the point of the review."""
        approver = _person(approver, "approver")
        with self._lock():
            main = self._absorb_outside_edits()
            name, proposal = self._pending(branch)
            if (proposal.author.name or "").casefold() == approver.casefold():
                raise ReviewError(f"{approver} proposed {name}; someone else must approve it.")
            base = proposal.parents[0]
            if base == main:
                merged = proposal  # main has not moved since: fast-forward
            else:
                reason = _message(proposal)
                merged = self._commit(
                    self._merge(base, main, proposal, name),
                    [main, proposal],
                    f"{reason}\n\nMerged {name}, approved by {approver}.",
                    approver,
                )
            decided = name.removeprefix("proposals/")
            tag = self._tag(proposal, f"approved/{decided}", approver, f"Approved by {approver}.")
            self._update_refs(
                [
                    f"update {MAIN} {merged.hexsha} {main.hexsha}",
                    f"create {APPROVED}{decided} {tag}",
                    f"delete refs/heads/{name} {proposal.hexsha}",
                ]
            )
            self._write_live(self._files(merged))
            return self._change(merged, self._approvals())

    def reject(self, branch: str, *, by: str, reason: str) -> None:
        """Takes a proposal off the pending list for good, keeping it and the reason
        under refs/rejected/ so that its author can see why."""
        by = _person(by, "reviewer")
        reason = reason.strip()
        if not reason:
            raise ReviewError("A rejection needs a reason: the author should learn what to change.")
        with self._lock():
            name, proposal = self._pending(branch)
            decided = name.removeprefix("proposals/")
            tag = self._tag(proposal, f"rejected/{decided}", by, reason)
            self._update_refs(
                [f"create {REJECTED}{decided} {tag}", f"delete refs/heads/{name} {proposal.hexsha}"]
            )

    def history(self, limit: int = 50) -> list[Change]:
        """Main's changes, newest first: what the chat's layer went through, and why."""
        approvals = self._approvals()
        changes: list[Change] = []
        commit = self._main()
        while commit is not None and len(changes) < limit:
            changes.append(self._change(commit, approvals))
            commit = commit.parents[0] if commit.parents else None
        return changes

    def undo(self, *, by: str) -> Change:
        """Takes back main's last change with a new commit, so the undo itself is in
        the history (and can be undone in turn)."""
        by = _person(by, "person undoing")
        with self._lock():
            main = self._absorb_outside_edits()
            if not main.parents:
                raise ReviewError("Nothing to undo: the history holds only the layer as found.")
            restored = self._commit(main.parents[0].tree.binsha, [main], f"Undo: {_message(main)}", by)
            self._update_refs([f"update {MAIN} {restored.hexsha} {main.hexsha}"])
            self._write_live(self._files(restored))
            return self._change(restored, {})

    # -- Main and the live files ---------------------------------------------------

    def _absorb_outside_edits(self) -> git.Commit:
        """Main's tip, after committing the live files to it if they differ (the first
        time: the layer as found). Every step starts here, so a hand edit is neither
        lost under an approval nor hidden from the history."""
        live = self._store_tree(self._store_files(self._read_live()))
        main = self._main()
        if main is None:
            commit = self._commit(live, [], "The layer as found", NLQ)
            self._update_refs([f"create {MAIN} {commit.hexsha}"])
        elif main.tree.binsha != live:
            commit = self._commit(live, [main], "Edited outside the workbench", NLQ)
            self._update_refs([f"update {MAIN} {commit.hexsha} {main.hexsha}"])
        else:
            return main
        return commit

    def _read_live(self) -> dict[str, bytes]:
        if self._one_file:
            return {self.layer.name: self.layer.read_bytes()}
        return _read_folder(self.layer)

    def _read_copy(self, proposed: Path) -> dict[str, bytes]:
        """The proposed layer's files, named as in the live layer."""
        if not proposed.exists():
            raise ReviewError(f"There is no proposed layer at {proposed}.")
        if not self._one_file:
            if proposed.is_file():
                raise ReviewError("The layer is a folder: propose a copy of the whole folder.")
            return _read_folder(proposed)
        if proposed.is_file():
            return {self.layer.name: proposed.read_bytes()}
        files = _read_folder(proposed)
        if set(files) != {self.layer.name}:
            raise ReviewError(f"The layer is the one file {self.layer.name}: propose a copy of that file.")
        return files

    def _write_live(self, files: Files) -> None:
        """Writes main's files over the live layer: only those that differ, each
        replaced whole (os.replace) so the chat never loads a half-written file;
        the layer's YAML files that main no longer has are removed."""
        for path, blob in files.items():
            target = self._root / path
            data = self._blob(blob)
            if target.is_file() and target.read_bytes() == data:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.nlq-partial")
            partial.write_bytes(data)
            os.replace(partial, target)
        if not self._one_file:
            for stale in layer_files(self.layer):
                if stale.relative_to(self._root).as_posix() not in files:
                    stale.unlink()

    # -- Merging and describing ----------------------------------------------------

    def _merge(self, base: git.Commit, main: git.Commit, proposal: git.Commit, name: str) -> bytes:
        """The tree of main with the proposal's change merged in (3-way, per file, by
        `git merge-file`); ReviewError naming the files both sides changed in the same
        place, before anything is written."""
        old, ours, theirs = self._files(base), self._files(main), self._files(proposal)
        merged: Files = {}
        conflicts: list[str] = []
        for path in sorted(old.keys() | ours.keys() | theirs.keys()):
            was, now, proposed = old.get(path), ours.get(path), theirs.get(path)
            result: bytes | None
            if proposed in (now, was):
                result = now
            elif now == was:
                result = proposed
            elif now is None or proposed is None:  # deleted on one side, changed on the other
                conflicts.append(path)
                continue
            else:
                result = self._merge_file(was, now, proposed)
                if result is None:
                    conflicts.append(path)
                    continue
            if result is not None:
                merged[path] = result
        if conflicts:
            raise ReviewError(
                f"{name} cannot be merged: {', '.join(conflicts)} changed in the same place since it "
                "was proposed. The layer is unchanged; reject it and propose the change again."
            )
        return self._store_tree(merged)

    def _merge_file(self, was: bytes | None, now: bytes, proposed: bytes) -> bytes | None:
        """The 3-way merge of one file's versions, or None on a conflict."""
        with tempfile.TemporaryDirectory(prefix="nlq-merge-") as folder:
            paths = [Path(folder) / name for name in ("main", "base", "proposal")]
            for path, blob in zip(paths, (now, was, proposed), strict=True):
                path.write_bytes(self._blob(blob) if blob is not None else b"")
            status, _, _ = self._git.merge_file(
                *(str(p) for p in paths), with_extended_output=True, with_exceptions=False
            )
            if status != 0:  # the number of conflicts, or an error (a binary file)
                return None
            return self._store("blob", paths[0].read_bytes())

    def _proposal(self, branch: str, commit: git.Commit) -> Proposal:
        base = commit.parents[0]
        diff, files = self._diff(self._files(base), self._files(commit))
        return Proposal(
            branch=branch,
            commit=commit.hexsha,
            author=commit.author.name or "",
            reason=_message(commit),
            time=_utc(commit.authored_date),
            base=base.hexsha,
            diff=diff,
            files=files,
        )

    def _change(self, commit: git.Commit, approvals: Mapping[str, _Decision]) -> Change:
        before = self._files(commit.parents[0]) if commit.parents else {}
        diff, files = self._diff(before, self._files(commit))
        proposal = commit.parents[1] if len(commit.parents) > 1 else commit
        decision = approvals.get(proposal.hexsha)
        if proposal != commit:  # a merge commit: its author is the approver
            approver: str | None = decision.by if decision else commit.author.name
            when = _utc(commit.committed_date)
        else:
            approver = decision.by if decision else None
            when = decision.time if decision else _utc(commit.committed_date)
        return Change(
            sha=commit.hexsha,
            author=proposal.author.name or "",
            approver=approver,
            time=when,
            message=_message(commit),
            diff=diff,
            files=files,
            branch=decision.branch if decision else None,
        )

    def _diff(self, before: Files, after: Files) -> tuple[str, list[str]]:
        """The unified diff between two versions of the layer, and the files it touches."""
        changed = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
        lines: list[str] = []
        for path in changed:
            old, new = before.get(path), after.get(path)
            lines += difflib.unified_diff(
                self._lines(old),
                self._lines(new),
                f"a/{path}" if old is not None else "/dev/null",
                f"b/{path}" if new is not None else "/dev/null",
            )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines), changed

    def _lines(self, blob: bytes | None) -> list[str]:
        if blob is None:
            return []
        return self._blob(blob).decode("utf-8", errors="replace").splitlines(keepends=True)

    # -- Refs and records ----------------------------------------------------------

    def _main(self) -> git.Commit | None:
        sha = self._refs(MAIN).get(MAIN)
        return self._commit_at(sha) if sha else None

    def _pending(self, branch: str) -> tuple[str, git.Commit]:
        """The pending proposal named `branch` (with or without refs/heads/)."""
        name = branch.strip().removeprefix("refs/heads/")
        decided = name.removeprefix("proposals/")
        sha = (
            self._refs(f"refs/heads/{name}").get(f"refs/heads/{name}")
            if name.startswith("proposals/")
            else None
        )
        if sha is not None:
            return name, self._commit_at(sha)
        if self._refs(f"{APPROVED}{decided}"):
            raise ReviewError(f"{branch} has already been approved.")
        if self._refs(f"{REJECTED}{decided}"):
            raise ReviewError(f"{branch} has been rejected.")
        raise ReviewError(f"There is no pending proposal named {branch}.")

    def _next_number(self) -> int:
        """One more than any proposal's, decided or not, so a number is never reused."""
        refs = self._refs(PROPOSALS, APPROVED, REJECTED)
        return max((_number(ref) for ref in refs), default=0) + 1

    def _approvals(self) -> dict[str, _Decision]:
        """Who approved each approved proposal, by the proposal's commit."""
        decisions: dict[str, _Decision] = {}
        for ref, sha in self._refs(APPROVED).items():
            tag = git.TagObject(self._repo, bytes.fromhex(sha))
            branch = f"proposals/{ref.removeprefix(APPROVED)}"
            by = tag.tagger.name if tag.tagger and tag.tagger.name else ""
            decisions[tag.object.hexsha] = _Decision(by, _utc(tag.tagged_date), branch)
        return decisions

    def _refs(self, *patterns: str) -> dict[str, str]:
        """Ref name -> object id, for the refs under `patterns` (or named exactly)."""
        listing = self._git.for_each_ref("--format=%(refname) %(objectname)", *patterns)
        return dict(line.split(" ", 1) for line in listing.splitlines() if line)

    def _update_refs(self, commands: list[str]) -> None:
        """Applies `update-ref --stdin` commands as one transaction: each old value is
        checked (create: absent; update, delete: as read), and if any ref moved since,
        none changes."""
        with tempfile.TemporaryFile() as stdin:
            stdin.write("".join(f"{command}\n" for command in commands).encode())
            stdin.seek(0)
            try:
                self._git.update_ref("--stdin", istream=stdin)
            except git.GitCommandError as error:
                raise ReviewError(
                    "Someone else changed the layer's history at the same moment; nothing was saved. Try again."
                ) from error

    # -- Objects -------------------------------------------------------------------

    def _commit(self, tree: bytes, parents: list[git.Commit], message: str, name: str) -> git.Commit:
        person = git.Actor(name, f"{name}@nlq")
        now = dt.datetime.now(dt.UTC)
        return git.Commit.create_from_tree(
            self._repo,
            git.Tree(self._repo, tree, path=""),
            message,
            parent_commits=parents,
            author=person,
            committer=person,
            author_date=now,
            commit_date=now,
        )

    def _tag(self, target: git.Commit, name: str, by: str, message: str) -> str:
        """An annotated tag on `target` recording a decision (who, when, why); its id."""
        person = git.Actor(by, f"{by}@nlq")
        stamp = int(time.time())
        text = (
            f"object {target.hexsha}\ntype commit\ntag {name}\n"
            f"tagger {person.name} <{person.email}> {stamp} +0000\n\n{message}\n"
        )
        return self._store("tag", text.encode()).hex()

    def _commit_at(self, sha: str) -> git.Commit:
        return git.Commit(self._repo, bytes.fromhex(sha))

    def _files(self, commit: git.Commit) -> Files:
        found: Files = {}

        def walk(tree: git.Tree) -> None:
            for blob in tree.blobs:
                found[str(blob.path)] = blob.binsha
            for subtree in tree.trees:
                walk(subtree)

        walk(commit.tree)
        return found

    def _blob(self, blob: bytes) -> bytes:
        data: bytes = self._repo.odb.stream(blob).read()
        return data

    def _store_files(self, files: Mapping[str, bytes]) -> Files:
        return {path: self._store("blob", data) for path, data in files.items()}

    def _store_tree(self, files: Files) -> bytes:
        """Writes the trees holding `files` (folders become subtrees); the root's id."""
        root: _Folder = {}
        for path, blob in files.items():
            *folders, name = path.split("/")
            folder = root
            for part in folders:
                child = folder.setdefault(part, {})
                assert isinstance(child, dict), f"{path}: a file is in the way of its folder"
                folder = child
            folder[name] = blob
        return self._store_folder(root)

    def _store_folder(self, folder: _Folder) -> bytes:
        entries = [
            (self._store_folder(item), 0o040000, name) if isinstance(item, dict) else (item, 0o100644, name)
            for name, item in folder.items()
        ]
        # git's order: by name's bytes, a subtree's name read as if it ended in "/".
        entries.sort(key=lambda entry: entry[2].encode() + (b"/" if entry[1] == 0o040000 else b""))
        data = io.BytesIO()
        tree_to_stream(entries, data.write)
        return self._store("tree", data.getvalue())

    def _store(self, kind: str, data: bytes) -> bytes:
        stored: bytes = self._repo.odb.store(IStream(kind, len(data), io.BytesIO(data))).binsha
        return stored

    @contextmanager
    def _lock(self) -> Iterator[None]:
        with _exclusive(self.git_dir / LOCK_FILE):
            yield


_Folder = dict[str, "bytes | _Folder"]


@dataclass(frozen=True)
class _Decision:
    by: str
    time: dt.datetime
    branch: str


def _init_bare(git_dir: Path) -> None:
    """An empty bare repository whose HEAD is main, whatever init.defaultBranch says."""
    command = git.Git(git_dir)
    command.update_environment(GIT_DIR=str(git_dir))
    command.init("--bare", "--quiet")
    command.symbolic_ref("HEAD", MAIN)


def _read_folder(folder: Path) -> dict[str, bytes]:
    try:
        paths = layer_files(folder)
    except LayerError as error:
        raise ReviewError(str(error)) from error
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in paths}


def _person(name: str, role: str) -> str:
    """A name fit for a commit's author line (which <, > and a line break would end)."""
    name = name.strip()
    if not name:
        raise ReviewError(f"The {role} needs a name.")
    if any(character in name for character in "<>\n\r"):
        raise ReviewError(f"The {role}'s name cannot hold <, > or a line break: {name!r}.")
    return name


def _ref_part(author: str) -> str:
    """The author's name as one component of a ref name (git forbids spaces, ~^:?*[\\
    and a few sequences); the commit keeps the name as written."""
    part = re.sub(r"[^\w.-]+", "-", author)
    part = re.sub(r"\.{2,}", ".", part).strip(".-")
    if part.endswith(".lock"):
        part += "-"
    return part or "analyst"


def _number(ref: str) -> int:
    last = ref.rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else 0


def _message(commit: git.Commit) -> str:
    """The commit's reason; for a merge of an approved proposal, the proposal's."""
    source = commit.parents[1] if len(commit.parents) > 1 else commit
    message = source.message
    text = message.decode("utf-8", errors="replace") if isinstance(message, bytes) else message
    return text.strip()


def _utc(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Holds an exclusive lock on `path` (released by the system if the process dies,
    so a crash leaves no stale lock); ReviewError after LOCK_TIMEOUT seconds."""
    with path.open("a+b") as handle:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while not _try_lock(handle):
            if time.monotonic() > deadline:
                raise ReviewError("Another save of the layer is still running; try again in a moment.")
            time.sleep(0.02)
        try:
            yield
        finally:
            _unlock(handle)


if sys.platform == "win32":
    import msvcrt

    def _try_lock(handle: IO[bytes]) -> bool:
        handle.seek(0)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
