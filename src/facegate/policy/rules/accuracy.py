"""Accuracy duties derived from PIPL Art. 8 (regulation.md §4.7): 1:N decides at error rates the handler accepted."""

from collections.abc import Iterator

from facegate.policy.rule import CheckContext, Rule, Violation
from facegate.policy.spec import Deployment

PRC = ("cn2025",)
WAYS_OUT = (
    "split the gallery into smaller deployments, accept a higher accuracy.fnir_tolerance or target_fpir, use 1:1 "
    "verification, or run a more accurate model"
)
WAYS_OUT_ZH = (
    "将库拆分为较小的部署，接受更高的 accuracy.fnir_tolerance 或 target_fpir，改用 1:1 验证，或使用更准确的模型"
)


def identification_accuracy(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """ACC-1: the expected gallery meets the target FPIR with an FNIR within the tolerance, per the calibration."""
    if spec.modality != "identification":
        return
    wanted = spec.accuracy
    points = ctx.accuracy
    if points is None:
        yield Violation(
            "accuracy",
            "accuracy not predicted here: no calibration of the model was given to this check; `facegate check` "
            "and the gate's activation predict it from the model's calibration",
            zh="此处未预测准确度：本检查未获得模型的校准数据；`facegate check` 和门控启用时会根据模型校准进行预测",
            severity="INFO",
        )
        return
    limit = points.max_gallery(wanted.target_fpir, wanted.fnir_tolerance)
    size = wanted.expected_gallery_size
    if size is None:
        yield Violation(
            "accuracy.expected_gallery_size",
            f"state the expected gallery size: with model {points.model_id}, a target FPIR of "
            f"{wanted.target_fpir:.2%} keeps FNIR within {wanted.fnir_tolerance:.0%} up to {limit:,} templates, "
            "and the gate refuses enrollments past that",
            zh=f"请载明预计库容：使用模型 {points.model_id}，目标误识率（FPIR）{wanted.target_fpir:.2%} 在不超过 "
            f"{limit:,} 个模板时可使漏识率（FNIR）保持在 {wanted.fnir_tolerance:.0%} 以内，超过后门控拒绝录入",
            severity="WARN",
        )
        return
    threshold = points.threshold_for(size, wanted.target_fpir)
    fnir = points.predicted_fnir(size, wanted.target_fpir)
    if threshold is None or fnir > wanted.fnir_tolerance:
        yield Violation(
            "accuracy.expected_gallery_size",
            f"at a gallery of {size:,}, a target FPIR of {wanted.target_fpir:.2%} leaves a predicted FNIR of "
            f"{fnir:.1%} (model {points.model_id}), over the tolerance of {wanted.fnir_tolerance:.0%}: the largest "
            f"gallery meeting both is {limit:,}; {WAYS_OUT}",
            zh=f"库容为 {size:,} 时，目标误识率 {wanted.target_fpir:.2%} 下预测漏识率为 {fnir:.1%}（模型 "
            f"{points.model_id}），超过容许值 {wanted.fnir_tolerance:.0%}：同时满足两者的最大库容为 {limit:,}；"
            + WAYS_OUT_ZH,
        )
        return
    yield Violation(
        "accuracy.expected_gallery_size",
        f"predicted at a gallery of {size:,}: FPIR {wanted.target_fpir:.2%} at threshold {threshold:.3f}, FNIR "
        f"{fnir:.1%} (tolerance {wanted.fnir_tolerance:.0%}; model {points.model_id}); the gate refuses enrollments "
        f"past {limit:,} templates",
        zh=f"库容 {size:,} 时的预测：阈值 {threshold:.3f} 下误识率 {wanted.target_fpir:.2%}、漏识率 {fnir:.1%}（容许值 "
        f"{wanted.fnir_tolerance:.0%}；模型 {points.model_id}）；超过 {limit:,} 个模板后门控拒绝录入",
        severity="INFO",
    )


RULES: tuple[Rule, ...] = (
    Rule("PIPL-8", "Quality of personal information; no harm from inaccuracy", "BLOCK", "C", PRC, via=("ACC-1",)),
    Rule("ACC-1", "1:N decides at a threshold set for the gallery size within the target FPIR", "BLOCK", "C", PRC,
         check=identification_accuracy, enforced_at=("gate",), cites=("CN25-3",)),
    Rule("ACC-2", "1:1 decides at a threshold whose false-match rate is stated in the notice, PIA and filing",
         "WARN", "C", PRC, enforced_at=("gate", "oversight"), cites=("PIPL-17",),
         note="the gate verifies at the model's calibrated 1:1 threshold; the documents state it and its FMR"),
)  # fmt: skip
