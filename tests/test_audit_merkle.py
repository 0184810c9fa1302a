"""The Merkle tree against the RFC 6962/9162 test vectors and an independent, naive recursive implementation."""

import base64
import hashlib
import json
from pathlib import Path

import pytest

from facegate.audit import merkle
from facegate.audit import standalone_verify as standalone

# ---- a naive implementation, straight from the recursive definitions of RFC 9162 §2.1 ----


def naive_leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def naive_mth(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(leaves[:k]) + naive_mth(leaves[k:])).digest()


def naive_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n])."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*naive_path(m, leaves[:k]), naive_mth(leaves[k:])]
    return [*naive_path(m - k, leaves[k:]), naive_mth(leaves[:k])]


def naive_subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b)."""
    n = len(leaves)
    if m == n:
        return [] if whole else [naive_mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*naive_subproof(m, leaves[:k], whole), naive_mth(leaves[k:])]
    return [*naive_subproof(m - k, leaves[k:], False), naive_mth(leaves[:k])]


LEAVES = [naive_leaf(f"entry {i}".encode()) for i in range(70)]


def subtree_of(leaves: list[bytes]):
    return lambda start, end: naive_mth(leaves[start:end])


@pytest.mark.parametrize("n", range(71))
def test_root_and_frontier_match_the_recursive_definition(n: int) -> None:
    leaves = LEAVES[:n]
    frontier: list[bytes] = []
    for size, leaf in enumerate(leaves):
        merkle.frontier_push(frontier, size, leaf)
    assert merkle.frontier_root(frontier) == naive_mth(leaves) == merkle.root(leaves)
    assert [naive_mth(leaves[a:b]) for a, b in merkle.frontier_ranges(n)] == frontier


def test_frontier_push_reports_the_nodes_it_completes() -> None:
    frontier: list[bytes] = []
    completed = []
    for size, leaf in enumerate(LEAVES[:16]):
        completed += merkle.frontier_push(frontier, size, leaf)
    for level, index, h in completed:
        width = 1 << level
        assert h == naive_mth(LEAVES[index * width : (index + 1) * width])
    assert len(completed) == 15  # every interior node of a perfect tree of 16 leaves, once


@pytest.mark.parametrize("n", range(1, 40))
def test_inclusion_proofs_match_naive_and_verify(n: int) -> None:
    leaves = LEAVES[:n]
    root = naive_mth(leaves)
    for m in range(n):
        proof = merkle.inclusion_proof(m, n, subtree_of(leaves))
        assert proof == naive_path(m, leaves)
        assert merkle.verify_inclusion(m, n, leaves[m], proof, root)
        assert standalone.verify_inclusion(m, n, leaves[m], proof, root)
        assert not merkle.verify_inclusion(m, n, LEAVES[69], proof, root)
        if n > 1:
            assert not merkle.verify_inclusion((m + 1) % n, n, leaves[m], proof, root)
        if proof:
            flipped = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
            assert not merkle.verify_inclusion(m, n, leaves[m], flipped, root)
            assert not standalone.verify_inclusion(m, n, leaves[m], flipped, root)
            assert not merkle.verify_inclusion(m, n, leaves[m], proof[:-1], root)


@pytest.mark.parametrize("n", range(1, 34))
def test_consistency_proofs_match_naive_and_verify(n: int) -> None:
    leaves = LEAVES[:n]
    new_root = naive_mth(leaves)
    for m in range(1, n + 1):
        old_root = naive_mth(leaves[:m])
        proof = merkle.consistency_proof(m, n, subtree_of(leaves))
        assert proof == naive_subproof(m, leaves, True)
        assert merkle.verify_consistency(m, n, old_root, new_root, proof)
        assert standalone.verify_consistency(m, n, old_root, new_root, proof)
        if m < n:
            forked = naive_mth([*leaves[: m - 1], LEAVES[69]])
            assert not merkle.verify_consistency(m, n, forked, new_root, proof)
            assert not standalone.verify_consistency(m, n, forked, new_root, proof)
            assert not merkle.verify_consistency(m, n, old_root, new_root, [*proof, new_root])


def test_proof_generation_refuses_impossible_requests() -> None:
    with pytest.raises(ValueError):
        merkle.inclusion_proof(3, 3, subtree_of(LEAVES))
    with pytest.raises(ValueError):
        merkle.consistency_proof(0, 3, subtree_of(LEAVES))
    with pytest.raises(ValueError):
        merkle.consistency_proof(4, 3, subtree_of(LEAVES))


# ---- the transparency-dev test vectors: accept every wantErr false, reject every other ----


def vector_files(shared: Path) -> list[Path]:
    return sorted((shared / "merkle-vectors").rglob("*.json"))


def b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def b64list(values: list[str] | None) -> list[bytes]:
    return [b64(v) for v in values or []]


def accepts(kind: str, case: dict, implementation: str) -> bool:
    impl = merkle if implementation == "facegate" else standalone
    if kind == "inclusion":
        args = (case["leafIdx"], case["treeSize"], b64(case["leafHash"]), b64list(case["proof"]), b64(case["root"]))
        return impl.verify_inclusion(*args)
    if kind == "consistency":
        args = (case["size1"], case["size2"], b64(case["root1"]), b64(case["root2"]), b64list(case["proof"]))
        return impl.verify_consistency(*args)
    if kind == "subtreeinclusion":
        leaf, proof, root = b64(case["leafHash"]), b64list(case["proof"]), b64(case["root"])
        return merkle.verify_subtree_inclusion(case["leafIdx"], case["start"], case["end"], leaf, proof, root)
    if kind == "subtreeconsistency":
        return merkle.verify_subtree_consistency(
            case["start"], case["end"], case["size"], b64list(case["proof"]), b64(case["root1"]), b64(case["root2"])
        )
    raise AssertionError(f"unknown vector kind {kind}")


def test_every_vector(shared_data: Path) -> None:
    files = vector_files(shared_data)
    assert len(files) > 500, "the vector folder looks incomplete"
    wrong = []
    checked = 0
    for path in files:
        kind = path.relative_to(shared_data / "merkle-vectors").parts[0]
        case = json.loads(path.read_text())
        implementations = ["facegate", "standalone"] if kind in ("inclusion", "consistency") else ["facegate"]
        for implementation in implementations:
            checked += 1
            if accepts(kind, case, implementation) == case["wantErr"]:
                wrong.append(f"{implementation}: {path.relative_to(shared_data)} ({case['desc']})")
    assert not wrong, f"{len(wrong)} of {checked} vector checks wrong:\n" + "\n".join(wrong)


def test_vectors_cover_both_outcomes(shared_data: Path) -> None:
    outcomes = {json.loads(p.read_text())["wantErr"] for p in vector_files(shared_data)}
    assert outcomes == {True, False}
