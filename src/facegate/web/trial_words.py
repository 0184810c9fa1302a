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
    ": ": "：",
    "Photos are run by an operator key granted this deployment, as in the API: sign in with one to try or enroll a "
    "photo.": "照片须由被授予此部署的操作员密钥提交（与 API 相同）：请用该密钥登录后再试用或录入照片。",
    "{n} face in the photo, each decided on its own": "照片中有 {n} 张人脸，逐一判定",
    "Box (left, top, right, bottom, in pixels)": "位置（左、上、右、下，单位像素）",
}
