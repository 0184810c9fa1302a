"""Subtree hashes of the stored log, read from stored nodes and leaf hashes, for building proofs."""

from sqlalchemy import Connection, select

from facegate.audit.merkle import node_hash, root, split_point
from facegate.audit.models import AuditEntry, AuditNode
from facegate.errors import MissingNodeError as MissingNodeError  # the audit package imports it from here

# Perfect subtrees of 2**NODE_LEVEL leaves and larger are stored by append (about one row per 128
# entries); smaller ones are recomputed from at most one block of 2**NODE_LEVEL leaf hashes.
NODE_LEVEL = 8
BLOCK = 1 << NODE_LEVEL


class StoredTree:
    """MTH(D[start:end]) for any range of the first `size` stored entries, with caching."""

    def __init__(self, conn: Connection, size: int) -> None:
        self.conn = conn
        self.size = size
        self._hashes: dict[tuple[int, int], bytes] = {}
        self._blocks: dict[int, list[bytes]] = {}

    def leaf(self, index: int) -> bytes:
        """The stored leaf hash at `index`."""
        return self._block(index // BLOCK)[index % BLOCK]

    def subtree(self, start: int, end: int) -> bytes:
        """The Merkle tree hash of the entries [start, end)."""
        key = (start, end)
        cached = self._hashes.get(key)
        if cached is not None:
            return cached
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            level = n.bit_length() - 1
            if level >= NODE_LEVEL:
                h = self._node(level, start >> level)
            else:
                first = (start // BLOCK) * BLOCK
                h = root(self._block(start // BLOCK)[start - first : end - first])
        else:
            k = split_point(n)
            h = node_hash(self.subtree(start, start + k), self.subtree(start + k, end))
        self._hashes[key] = h
        return h

    def _node(self, level: int, index: int) -> bytes:
        h = self.conn.execute(select(AuditNode.hash).where(AuditNode.level == level, AuditNode.idx == index)).scalar()
        if h is None:
            raise MissingNodeError(f"stored node at level {level}, index {index} is missing")
        return h

    def _block(self, block: int) -> list[bytes]:
        leaves = self._blocks.get(block)
        if leaves is None:
            start, end = block * BLOCK, min((block + 1) * BLOCK, self.size)
            rows = self.conn.execute(
                select(AuditEntry.idx, AuditEntry.leaf_hash)
                .where(AuditEntry.idx >= start, AuditEntry.idx < end)
                .order_by(AuditEntry.idx)
            ).all()
            if [r[0] for r in rows] != list(range(start, end)):
                raise MissingNodeError(f"entries between #{start} and #{end - 1} are missing")
            leaves = self._blocks[block] = [r[1] for r in rows]
        return leaves
