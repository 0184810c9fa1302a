"""RFC 9162 Merkle tree: hashing, the right-edge frontier, proof generation and proof verification.

Leaf hash SHA-256(0x00 || entry), node hash SHA-256(0x01 || left || right) (RFC 9162 §2.1.1). Proofs are
generated from a `subtree(start, end) -> MTH(D[start:end])` callback, so the caller decides where node
hashes come from (stored nodes, a list in memory). Verification follows §2.1.3.2 and §2.1.4.2; the
subtree variants follow the Merkle Tree Certificates draft, as tested by the transparency-dev vectors.
"""

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
MAX_SIZE = 1 << 64  # tree sizes and indices are uint64 in every wire format
EMPTY_ROOT = hashlib.sha256(b"").digest()

Subtree = Callable[[int, int], bytes]


def leaf_hash(entry: bytes) -> bytes:
    """The hash of a leaf holding `entry`: SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than `n` (n >= 2): where MTH splits a list of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH over a list of leaf hashes, computed left to right in O(n) with a frontier."""
    frontier: list[bytes] = []
    for size, leaf in enumerate(leaves):
        frontier_push(frontier, size, leaf)
    return frontier_root(frontier)


# ---- the frontier: roots of the perfect subtrees along the right edge, largest first ----


def frontier_push(frontier: list[bytes], size: int, leaf: bytes) -> list[tuple[int, int, bytes]]:
    """Append `leaf` to a tree of `size` leaves; return the (level, index, hash) of nodes it completed."""
    completed = []
    h, level, n = leaf, 0, size
    while n & 1:
        h = node_hash(frontier.pop(), h)
        level += 1
        n >>= 1
        completed.append((level, ((size + 1) >> level) - 1, h))
    frontier.append(h)
    return completed


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    """The tree's root hash from its frontier (the empty tree's root when the frontier is empty)."""
    if not frontier:
        return EMPTY_ROOT
    h = frontier[-1]
    for left in reversed(frontier[:-1]):
        h = node_hash(left, h)
    return h


def frontier_ranges(size: int) -> list[tuple[int, int]]:
    """The leaf ranges [start, end) the frontier of a tree of `size` leaves covers, largest first."""
    ranges, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            ranges.append((start, start + (1 << level)))
            start += 1 << level
    return ranges


def pack(hashes: Sequence[bytes]) -> bytes:
    """Concatenate hashes for storage."""
    return b"".join(hashes)


def unpack(blob: bytes) -> list[bytes]:
    """Split concatenated hashes."""
    return [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]


# ---- proof generation (RFC 9162 §2.1.3.1 and §2.1.4.1) ----


def inclusion_proof(index: int, size: int, subtree: Subtree) -> list[bytes]:
    """PATH(index, D[0:size]): the sibling hashes from the leaf up to the root."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of {size} leaves")
    path = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            path.append(subtree(start + k, end))
            end = start + k
        else:
            path.append(subtree(start, start + k))
            start += k
    return path[::-1]


def consistency_proof(old_size: int, new_size: int, subtree: Subtree) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]): the hashes that prove the older tree is a prefix of the newer."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from {old_size} to {new_size} leaves")
    nodes = []
    start, end, m, whole = 0, new_size, old_size, True
    while m != end - start:
        k = split_point(end - start)
        if m <= k:
            nodes.append(subtree(start + k, end))
            end = start + k
        else:
            nodes.append(subtree(start, start + k))
            start += k
            m -= k
            whole = False
    head = [] if whole else [subtree(start, end)]
    return head + nodes[::-1]


# ---- proof verification (RFC 9162 §2.1.3.2 and §2.1.4.2) ----


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _valid_size(n: object) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and 0 <= n < MAX_SIZE


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes | None:
    """The root an inclusion proof leads to (RFC 9162 §2.1.3.2 steps 1-5), or None when malformed."""
    if not (_valid_size(index) and _valid_size(size) and index < size and _is_hash(leaf)):
        return None
    if not all(_is_hash(p) for p in proof):
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes) -> bool:
    """True when `proof` shows the leaf hash `leaf` at `index` in the tree of `size` with `root_hash`."""
    return root_from_inclusion(index, size, leaf, proof) == root_hash


def _consistency_roots(
    first: int, second: int, first_hash: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes] | None:
    """RFC 9162 §2.1.4.2 steps 1-6 for 0 < first < second: the (first, second) roots the proof yields."""
    if not proof or not all(_is_hash(p) for p in proof):
        return None
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return (fr, sr) if sn == 0 else None


def verify_consistency(
    first: int, second: int, first_hash: bytes, second_hash: bytes, proof: Sequence[bytes]
) -> bool:
    """True when `proof` shows the tree of `first` leaves is a prefix of the tree of `second` leaves."""
    if not (_valid_size(first) and _valid_size(second)) or first == 0 or first > second:
        return False
    if first == second:
        return not proof and first_hash == second_hash
    roots = _consistency_roots(first, second, first_hash, proof)
    return roots is not None and roots == (first_hash, second_hash)


# ---- subtrees [start, end) (Merkle Tree Certificates draft): start is a multiple of bit_ceil(end-start) ----


def subtree_valid(start: int, end: int) -> bool:
    """True when [start, end) is a non-empty subtree: start is a multiple of bit_ceil(end - start)."""
    if not (_valid_size(start) and _valid_size(end)) or start >= end:
        return False
    return start % (1 << (end - start - 1).bit_length()) == 0


def verify_subtree_inclusion(
    index: int, start: int, end: int, leaf: bytes, proof: Sequence[bytes], subtree_hash: bytes
) -> bool:
    """True when `proof` shows the leaf at `index` inside the subtree [start, end) with `subtree_hash`."""
    if not subtree_valid(start, end) or not start <= index < end:
        return False
    return verify_inclusion(index - start, end - start, leaf, proof, subtree_hash)


def _inclusion_proof_size(index: int, size: int) -> int:
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def _consistency_proof_size(first: int, second: int) -> int:
    if first == second:
        return 0
    inner = ((first - 1) ^ (second - 1)).bit_length()
    border = ((first - 1) >> inner).bit_count()
    shift = (first & -first).bit_length() - 1
    return (0 if first == 1 << shift else 1) + inner - shift + border


def verify_subtree_consistency(
    start: int, end: int, size: int, proof: Sequence[bytes], subtree_hash: bytes, root_hash: bytes
) -> bool:
    """True when `proof` shows the subtree [start, end) with `subtree_hash` inside the tree of `size`."""
    if not all(_valid_size(n) for n in (start, end, size)) or not start <= end <= size:
        return False
    if start == end:  # the empty subtree is in every tree
        return not proof and subtree_hash == EMPTY_ROOT
    if not subtree_valid(start, end):
        return False
    if start == 0 and end == size:
        return not proof and subtree_hash == root_hash
    # [start, end) is a prefix of the aligned block of 2**h leaves at `start`; in the big tree that block
    # holds `grown` leaves. Proof = consistency(end - start -> grown) inside the block, then the inclusion
    # of the grown block's node (level h, index start >> h) in the tree of `size` leaves.
    h = (end - start - 1).bit_length()
    grown = min(1 << h, size - start)
    node_index, node_count = start >> h, ((size - 1) >> h) + 1
    split = _consistency_proof_size(end - start, grown)
    if len(proof) != split + _inclusion_proof_size(node_index, node_count):
        return False
    if not all(_is_hash(p) for p in proof) or not _is_hash(subtree_hash):
        return False
    if split:
        roots = _consistency_roots(end - start, grown, subtree_hash, proof[:split])
        if roots is None or roots[0] != subtree_hash:
            return False
        grown_hash = roots[1]
    else:
        grown_hash = subtree_hash
    return verify_inclusion(node_index, node_count, grown_hash, proof[split:], root_hash)
