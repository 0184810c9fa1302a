"""What the policy needs to know of a model's accuracy: its 1:N operating points, passed in by the caller.

The engine's calibration satisfies this protocol; the policy never loads one itself (no I/O here).
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from facegate.policy.document import Value
    from facegate.policy.spec import Deployment


class OperatingPoints(Protocol):
    """A model's calibrated 1:N operating points: threshold and predicted FNIR for a gallery size and target FPIR."""

    @property
    def model_id(self) -> str:
        """The face model the error rates were measured for."""
        ...

    def threshold_for(self, gallery_size: int, target_fpir: float) -> float | None:
        """The threshold keeping the expected FPIR of a search over `gallery_size` templates within the target."""
        ...

    def predicted_fnir(self, gallery_size: int, target_fpir: float) -> float:
        """The FNIR (rank 1) predicted at that threshold."""
        ...

    def max_gallery(self, target_fpir: float, fnir_tolerance: float) -> int:
        """The largest gallery whose predicted FNIR at the target FPIR is within the tolerance."""
        ...


@dataclass(frozen=True)
class VerificationPoint:
    """The model's 1:1 operating point (ACC-2): the threshold the gate decides at and its measured error rates."""

    model_id: str
    threshold: float
    fmr: float  # false match rate at the threshold: a stranger accepted as the claimed person, per comparison
    fnmr: float  # false non-match rate: the right person refused, per comparison


def verification_text(spec: "Deployment", point: VerificationPoint | None) -> "Value":
    """ACC-2 in words for the notice and the PIA: the 1:1 threshold and its false-match rate, or a gap to fill."""
    from facegate.policy.document import Gap

    if spec.modality != "verification":
        return "不适用：本部署为 1:N 辨识（见 ACC-1） / not applicable: this deployment identifies 1:N (see ACC-1)"
    if point is None:
        return Gap("accuracy", "the 1:1 threshold and its false-match rate (`facegate calibrate` measures them)")
    return (
        f"阈值 {point.threshold:.3f}（模型 {point.model_id}）：误识率（陌生人被认作本人）约 {point.fmr:.3%}，"
        f"拒识率约 {point.fnmr:.2%} / threshold {point.threshold:.3f} (model {point.model_id}): false-match rate "
        f"about {point.fmr:.3%}, false non-match rate about {point.fnmr:.2%}"
    )
