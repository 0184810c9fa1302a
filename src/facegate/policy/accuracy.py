"""What the policy needs to know of a model's accuracy: its 1:N operating points, passed in by the caller.

The engine's calibration satisfies this protocol; the policy never loads one itself (no I/O here).
"""

from typing import Protocol


class OperatingPoints(Protocol):
    """A model's calibrated 1:N operating points: threshold and predicted FNIR for a gallery size and target FPIR."""

    model_id: str

    def threshold_for(self, gallery_size: int, target_fpir: float) -> float | None:
        """The threshold keeping the expected FPIR of a search over `gallery_size` templates within the target."""
        ...

    def predicted_fnir(self, gallery_size: int, target_fpir: float) -> float:
        """The FNIR (rank 1) predicted at that threshold."""
        ...

    def max_gallery(self, target_fpir: float, fnir_tolerance: float) -> int:
        """The largest gallery whose predicted FNIR at the target FPIR is within the tolerance."""
        ...
