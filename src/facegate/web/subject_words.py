"""The subjects page's words in Chinese (kept apart from catalogue.py, which is at its size limit)."""

SUBJECT_ZH: dict[str, str] = {
    "Subjects": "个人",
    "Each subject by its ID, with where it stands in each deployment: the notice version shown, the consent, a "
    "decline, the templates held. No face, image or template data is shown.":
        "按编号列出每名个人在各部署中的情况：已展示的告知书版本、同意、拒绝、所保存的模板。不显示任何人脸、图像或模板数据。",
    "every deployment you may see": "您可查看的所有部署",
    "Subject ID starts with": "个人编号开头为",
    "Search": "搜索",
    "Notice shown": "已展示告知",
    "Templates": "模板",
    "Erase…": "删除…",
    "I understand that everything held about {id} is deleted, in every deployment, and cannot be undone.":
        "我明白关于 {id} 的所有数据都将在每个部署中被删除，且无法撤销。",
    "Erase {id}": "删除 {id}",
    "not shown": "未展示",
    "(declined face recognition)": "（已拒绝人脸识别）",
    "Delete the template of {date}": "删除 {date} 的模板",
    "In no deployment yet.": "尚未加入任何部署。",
    "No subject matches.": "没有符合条件的个人。",
    "No subjects yet.": "尚无个人。",
    "Pages of subjects": "个人分页",
    "← First subjects": "← 第一页",
    "More subjects →": "更多个人 →",
    "A subject ID has letters, digits and . _ @ + - only.": "个人编号只包含字母、数字和 . _ @ + -。",
    "That page link is not one this console gave.": "该分页链接不是本控制台生成的。",
    "Only an operator key granted the deployment deletes a subject's template there.":
        "只有被授予该部署的操作员密钥可以删除个人在该部署中的模板。",
    "Only an operator key granted every deployment that holds the subject erases it.":
        "只有被授予保存该个人的所有部署的操作员密钥可以删除该个人。",
    "Nothing was erased: tick the box to confirm.": "未删除任何内容：请勾选方框以确认。",
    "The template was deleted; the subject's other templates stay.": "模板已删除；该个人的其他模板保留。",
    "The subject was erased: every record and template deleted, a receipt in the audit log.":
        "该个人已被删除：所有记录和模板均已删除，审计日志中留有回执。",
}
