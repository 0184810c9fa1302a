"""The "try a photo" page's words in Chinese (kept apart from catalogue.py, which is at its size limit)."""

TRIAL_ZH: dict[str, str] = {
    "Try a photo": "试一张照片",
    "Photo": "照片",
    "The photo goes through the gate like any request: the decision is audited and the photo is not kept.":
        "照片像任何请求一样经过闸门：决定记入审计日志，照片不予保存。",
    "Enroll from a photo": "用照片录入",
    "The subject was shown the current notice.": "已向当事人展示现行告知。",
    "The subject gave separate consent to face recognition.": "当事人已就人脸识别作出单独同意。",
    "Enroll": "录入",
}
