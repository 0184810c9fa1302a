"""The spec's own words are read against its tokens (FG-6 to FG-14, CN25-2, CN25-6a/b, CN25-8a/b, CN25-12a's
copy-lint, CN25-12c): each kind of contradiction trips in Chinese and in English, the corrected words clear it, a
reviewer's reading lifts it, and lawful specs that mention such words harmlessly ("no children", "不收费", "not stored
abroad") stay allowed."""

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from facegate.policy import Settings, evaluate, spec_from_data
from facegate.policy.claims import denies

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "deployments"
BASE: dict[str, Any] = yaml.safe_load((EXAMPLES / "office-entry.yaml").read_text(encoding="utf-8"))
TODAY = date(2026, 11, 26)
FG = {f"FG-{n}" for n in range(6, 15)}
# The statutory rule the fact read in the words breaks.
LAW_FIRST = {"FG-6": "CN25-13a", "FG-8": "CN25-3", "FG-11": "CN25-4a"}
HQ = {"name": "集团总部 / Group HQ", "contact": "dpo@group.example", "purpose": "group access control",
      "method": "template sync", "pi_categories": ["face template"], "separate_consent": True,
      "country": "CN"}  # fmt: skip


def spec_with(changes: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return data


def findings(changes: dict[str, Any], rule: str, settings: Settings | None = None) -> list:
    report = evaluate(spec_from_data(spec_with(changes)), ["cn2025"], today=TODAY, settings=settings)
    return [f for f in report.findings if f.rule == rule]


def note(text: str, **terms: object) -> dict[str, Any]:
    return {"alternatives": [{"method": "access_card", "fee": 0, "wait": 0, **terms, "note": text}]}


def recipient(**changes: object) -> dict[str, Any]:
    return {"recipients": [{**HQ, **changes}]}


# (rule, field the finding names, Chinese trip, English trip, Chinese fix, English fix)
CASES: list[tuple[str, str, dict, dict, dict, dict]] = [
    ("FG-6", "location.collection_area",
     {"location.collection_area": "摄像头挂在员工更衣室内，对着储物柜"},
     {"location.collection_area": "The camera hangs inside the staff changing room, above the lockers."},
     {"location.collection_area": "大堂三台闸机前1米范围，更衣室内不设任何设备"},
     {"location.collection_area": "The three lobby turnstiles; no device in the changing rooms."}),
    ("FG-6", "location.collection_area",  # a landmark after the private space does not take the device out of it
     {"location.collection_area": "摄像头安装在女卫生间内洗手台旁"},
     {"location.collection_area": "Camera in the changing room beside the lockers, facing the showers."},
     {"location.collection_area": "摄像头安装在走廊，女卫生间旁"},
     {"location.collection_area": "Camera in the corridor beside the changing room."}),
    ("FG-6", "purpose.description",
     {"purpose.description": "员工在学生宿舍内的终端刷脸开门"},
     {"purpose.description": "A terminal mounted in each hotel guest room opens the door for staff."},
     {"purpose.description": "员工在宿舍楼入口的闸机刷脸通行"},
     {"purpose.description": "A terminal at the lobby turnstiles lets staff in."}),
    ("CN25-12a", "purpose.description",
     {"purpose.description": "员工必须刷脸通过大堂闸机，拒绝刷脸者不得入内"},
     {"purpose.description": "Face registration is mandatory for all staff; there is no alternative to the face."},
     {"purpose.description": "员工可自愿刷脸通过大堂闸机，不强制刷脸"},
     {"purpose.description": "Staff may pass the lobby turnstiles by face; face recognition is not mandatory."}),
    ("CN25-12a", "notice.consent_text",
     {"notice.consent_text": "本人同意登记人脸；人脸识别是进入大楼的唯一方式"},
     {"notice.consent_text": "I agree to register my face; anyone who declines cannot enter the building."},
     {"notice.consent_text": "本人同意登记人脸；不同意者可免费使用门禁卡"},
     {"notice.consent_text": "I agree to register my face; anyone who declines uses the free access card."}),
    ("CN25-12a", "alternatives[access_card].note",
     note("门禁卡仅限访客，员工只能刷脸"), note("Cards are for visitors; for staff the face is the only way in."),
     note("门禁卡向所有员工免费发放"), note("Every employee may use the card instead.")),
    ("CN25-12a", "purpose.alternatives_analysis",  # a penalty for declining, a Chinese comma between
     {"purpose.alternatives_analysis": "无其他可行方式；不同意人脸识别的，不予办理工卡"},
     {"purpose.alternatives_analysis": "Accounts that refuse face verification are kicked out of the system."},
     {"purpose.alternatives_analysis": "不同意人脸识别的，可凭门禁卡通行"},
     {"purpose.alternatives_analysis": "Staff who refuse face verification use the free access card."}),
    ("CN25-12c", "purpose.description",  # declining ends the service
     {"purpose.description": "拒绝刷脸的账号将被踢出游戏，不刷脸将无法使用"},
     {"purpose.description": "Staff who decline face verification cannot enter the building."},
     {"purpose.description": "拒绝刷脸的员工可凭门禁卡进入，不会被拒绝服务"},
     {"purpose.description": "Staff who decline face verification enter with the free access card."}),
    ("CN25-6a/b", "notice.consent_text",  # consent bundled with the terms, or implied by entering
     {"notice.consent_text": "注册会员即表示您同意《会员服务协议》《隐私政策》及人脸信息处理规则；"
                             "进店即视为同意刷脸识别。"},
     {"notice.consent_text": "By registering you accept the terms and privacy policy, including facial recognition."},
     {"notice.consent_text": "点击同意前单独告知人脸信息处理规则；您可以选择不同意并使用会员卡。"},
     {"notice.consent_text": "Consent is asked separately on the kiosk screen; I agree to register my face."}),
    ("CN25-6a/b", "notice.other_legal_matters",
     {"notice.other_legal_matters": "进店即视为同意刷脸识别。"},
     {"notice.other_legal_matters": "By entering the store you agree to face recognition."},
     {"notice.other_legal_matters": "进店不视为同意刷脸识别，刷脸须本人单独同意。"},
     {"notice.other_legal_matters": "Entering the store is not taken as consent to face recognition."}),
    ("CN25-8a/b", "purpose.least_impact",
     {"purpose.least_impact": "人脸模板上传至云平台，在服务器上比对"},
     {"purpose.least_impact": "Templates are uploaded to our cloud platform and matched on the server."},
     {"purpose.least_impact": "人脸模板只存于闸机内，不上传"},
     {"purpose.least_impact": "Templates stay in the turnstile and are never uploaded."}),
    ("FG-7", "purpose.description",
     {"purpose.description": "员工及其子女刷脸通过大堂闸机"},
     {"purpose.description": "Staff and their children pass the lobby turnstiles by face."},
     {"purpose.description": "员工刷脸通过大堂闸机，不录入不满十四周岁的儿童"},
     {"purpose.description": "Staff pass the lobby turnstiles; no children are enrolled."}),
    ("FG-7", "purpose.necessity",
     {"purpose.necessity": "7至12岁的学员每天来上课"}, {"purpose.necessity": "Pupils aged 8 to 12 attend daily."},
     {"purpose.necessity": "学员均为18岁以上的成年人"}, {"purpose.necessity": "Trainees are adults aged 18 and over."}),
    ("FG-7", "minors.expected", {"minors.share": "10%"}, {"minors.share": 0.1},
     {"minors.share": 0}, {"minors.share": 0}),
    ("FG-8", "purpose.description",
     {"purpose.description": "闸机同时识别员工的情绪和健康状况"},
     {"purpose.description": "The turnstile also estimates each employee's mood and health."},
     {"purpose.description": "闸机只做1:1比对，不分析情绪或健康状况"},
     {"purpose.description": "The turnstile only matches 1:1; it does not estimate mood or health."}),
    ("FG-8", "impact_assessment.rights_impact",
     {"impact_assessment.rights_impact": "系统推断访客民族，用于统计"},
     {"impact_assessment.rights_impact": "The system infers ethnicity for statistics."},
     {"impact_assessment.rights_impact": "系统不推断民族、宗教等敏感属性"},
     {"impact_assessment.rights_impact": "No ethnicity or religion is inferred."}),
    ("FG-9", "recipients[0].method",
     recipient(method="模板同步至法兰克福的集团服务器"), recipient(method="Templates synced to a server in Frankfurt"),
     recipient(method="模板同步至上海的服务器，不出境"), recipient(method="Templates synced to a server in Shanghai")),
    ("FG-9", "recipients[0].name",
     recipient(name="香港某科技有限公司"), recipient(name="Example Analytics (Hong Kong) Ltd."),
     recipient(name="上海某科技有限公司"), recipient(name="Example Analytics (Shanghai) Co., Ltd.")),
    ("FG-9", "purpose.least_impact",
     {"purpose.least_impact": "模板备份到新加坡的云服务器"},
     {"purpose.least_impact": "Templates are backed up to a cloud region in Singapore."},
     {"purpose.least_impact": "模板只存于闸机内，不出境"},
     {"purpose.least_impact": "Templates stay in the turnstile and are not stored abroad."}),
    ("FG-10", "alternatives[access_card].note",
     note("办理门禁卡需缴纳押金50元"), note("The access card needs a RMB 50 deposit."),
     note("门禁卡免费发放"), note("The access card is issued free of charge.")),
    ("FG-10", "alternatives[access_card].note",
     note("需提前三个工作日向行政部书面申请"), note("Apply in writing to the admin office three working days ahead."),
     note("前台当场办理"), note("Issued at the reception desk on the spot.")),
    ("FG-10", "alternatives[access_card].note",
     note("刷卡通道目前暂停使用"), note("The card lane is out of service until further notice."),
     note("刷卡通道全天开放"), note("The card lane is open all day.")),
    ("FG-10", "alternatives[access_card].note",  # open only some hours: at other times face is the only way
     note("门禁卡仅在工作日上午9点至10点办理和使用"), note("The card desk is open only on weekdays, 9:00 to 10:00."),
     note("门禁卡全天可用，前台当场办理"), note("The card works at all hours; the desk is staffed around the clock.")),
    ("FG-10", "alternatives[access_card].wait",
     {"alternatives": [{"method": "门禁卡", "fee": "免费", "wait": "3天"}]},
     {"alternatives": [{"method": "access card", "fee": "free", "wait": "2 working days"}]},
     {"alternatives": [{"method": "门禁卡", "fee": "免费", "wait": "无"}]},
     {"alternatives": [{"method": "access card", "fee": "free", "wait": "0"}]}),
    ("FG-10", "purpose.alternatives_analysis",
     {"purpose.alternatives_analysis": "不愿刷脸的员工须提交申请，经人事审批后领取工卡"},
     {"purpose.alternatives_analysis": "Badge-only entry needs a written application approved by HR."},
     {"purpose.alternatives_analysis": "不愿刷脸的员工在前台领取工卡，无需审批"},
     {"purpose.alternatives_analysis": "Badge-only entry is open to anyone; the badge is handed out at reception."}),
    ("FG-10", "alternatives[access_card].note",  # a wait stays a wait; availability ("24 hours a day") is none
     note("办理门禁卡需等待24小时"), note("The card desk needs 24 hours to issue a card."),
     note("值班保安24小时在岗，当场核验"), note("Staff are on duty 24 hours a day.")),
    ("FG-10", "alternatives[access_card].note",  # a clock time limits the hours; "1:1" is no clock time
     note("门禁卡仅限8:00至9:00使用"), note("The card works only 8:00 to 9:00."),
     note("门禁卡全天可用，仅与本人模板1:1比对"), note("The card works at all hours.")),
    ("FG-9", "purpose.least_impact",  # data leaving the country, not the departure hall of a border port
     {"purpose.least_impact": "人脸模板数据出境后存储于集团服务器"},
     {"purpose.least_impact": "Templates are stored abroad on the group's servers."},
     {"purpose.least_impact": "闸机设在出境大厅，模板只存于闸机内"},
     {"purpose.least_impact": "The e-gates stand in the departure hall; templates stay in each gate."}),
    ("CN25-8c", "storage.retention_justification",  # the words keep data longer than retention_days (365) says
     {"storage.retention_justification": "会员最后一次刷脸后，模板保存五年"},
     {"storage.retention_justification": "Templates are kept for five years after the member's last visit."},
     {"storage.retention_justification": "离职后30天内删除模板"},
     {"storage.retention_justification": "Templates are deleted 30 days after employment ends."}),
    ("CN25-8c", "notice.retention_expiry_handling",
     {"notice.retention_expiry_handling": "最后一次通行两年后删除模板"},
     {"notice.retention_expiry_handling": "Templates are deleted two years after the last entry."},
     {"notice.retention_expiry_handling": "离职当日删除模板"},
     {"notice.retention_expiry_handling": "Templates are deleted on the day employment ends."}),
    ("FG-11", "purpose.description",
     {"purpose.description": "打造智慧园区，包括但不限于门禁、考勤、营销及未来拓展用途"},
     {"purpose.description": "A smart campus: access, attendance and other future uses."},
     {"purpose.description": "员工刷脸通过大堂闸机，不用于其他用途"},
     {"purpose.description": "Staff pass the lobby turnstiles; the data serves no other purpose."}),
    ("FG-11", "notice.consent_text",
     {"notice.consent_text": "本人同意人脸信息用于门禁通行及其他用途"},
     {"notice.consent_text": "I agree that my face is used for entry and for any other purposes."},
     {"notice.consent_text": "本人同意人脸信息仅用于门禁通行"},
     {"notice.consent_text": "I agree that my face is used only to open the lobby turnstiles."}),
    ("FG-11", "purpose.description",  # a further use named, not left open
     {"purpose.description": "员工刷脸通过闸机，人脸数据同时用于精准营销和客流分析"},
     {"purpose.description": "Staff pass the turnstiles; the face data is also used for targeted advertising."},
     {"purpose.description": "员工刷脸通过闸机，人脸数据不用于营销或客流分析"},
     {"purpose.description": "Staff of the marketing department pass the turnstiles; faces serve nothing else."}),
    ("FG-11", "purpose.necessity",
     {"purpose.necessity": "防止借卡通行；采集的人脸图像还将用于训练算法模型"},
     {"purpose.necessity": "Badges are lent; we also use the captured faces to train our models."},
     {"purpose.necessity": "防止借卡通行"},
     {"purpose.necessity": "Badges are lent; the faces are not used to train any model."}),
    ("FG-12", "recipients[0].country",
     recipient(country=None), recipient(country=None), recipient(country="中国"), recipient(country="China")),
    ("FG-12", "minors", {"minors": {"expected": False}}, {"minors": {"expected": False}},
     {"minors": {"expected": False, "age_floor": 18}}, {"minors": {"expected": False, "share": 0}}),
    ("FG-12", "alternatives[access_card]", {"alternatives": ["门禁卡"]}, {"alternatives": ["access card"]},
     {"alternatives": [{"method": "门禁卡", "fee": "免费", "wait": "0"}]},
     {"alternatives": [{"method": "access card", "fee": 0, "wait": "none"}]}),
    ("FG-13", "storage.retention_days",
     {"purpose.category": "访客管理", "storage.retention_days": 1095},
     {"purpose.category": "visitor management", "storage.retention_days": 36500},
     {"purpose.category": "访客管理", "storage.retention_days": 7},
     {"purpose.category": "visitor management", "storage.retention_days": 30}),
    ("FG-13", "storage.retention_justification",
     {"storage.retention_justification": "访客只来访一天"},
     {"storage.retention_justification": "Visitors stay one day."},
     {"storage.retention_justification": "合同期最长一年，续签时重新录入"},
     {"storage.retention_justification": "A contract runs at most one year; re-enrolled on renewal."}),
    ("FG-14", "purpose.description",  # a 1:N search behind modality: verification
     {"purpose.description": "闸机将现场人脸与全部已登记员工逐一比对后放行"},
     {"purpose.description": "The turnstile camera searches the gallery of all enrolled staff."},
     {"purpose.description": "闸机将现场人脸与所刷工卡持有人的模板比对后放行"},
     {"purpose.description": "The turnstile camera compares the face with the badge holder's template."}),
    ("FG-14", "notice.rights_impact",
     {"notice.rights_impact": "进入大堂的人员还将与黑名单比对"},
     {"notice.rights_impact": "Everyone entering the lobby is also checked against a watchlist."},
     {"notice.rights_impact": "只与本人工卡比对，不设黑名单"},
     {"notice.rights_impact": "Only your own badge is matched; there is no watchlist."}),
    ("FG-14", "purpose.least_impact",  # a passive capture behind capture: active
     {"purpose.least_impact": "员工无感通行，摄像头自动抓拍"},
     {"purpose.least_impact": "Faces are captured as people walk past, without stopping."},
     {"purpose.least_impact": "员工在闸机前主动刷脸"},
     {"purpose.least_impact": "Staff stop and look at the turnstile camera to pass."}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "field", "trip", "fix"),
    [(c[0], c[1], trip, fix) for c in CASES for trip, fix in ((c[2], c[4]), (c[3], c[5]))],
    ids=[f"{c[0]}-{c[1]}-{lang}" for c in CASES for lang in ("zh", "en")],
)
def test_words_that_contradict_a_token_trip_and_corrected_words_clear(
    rule: str, field: str, trip: dict, fix: dict
) -> None:
    assert not findings({}, rule), "the compliant base must pass"
    found = findings(trip, rule)
    assert field in {f.field for f in found}, [f.message for f in found]
    first = LAW_FIRST.get(rule, rule)  # a fact that breaks the law itself cites the law first, then the policy
    assert all(f.severity == "BLOCK" and f.cites[0] == first and rule in f.cites for f in found)
    assert all(f.message_zh for f in found), found  # each worded in Chinese too
    assert not findings(fix, rule), [f.message for f in findings(fix, rule)]


def test_the_finding_names_the_field_the_words_and_the_token() -> None:
    (finding,) = findings({"location.collection_area": "The camera hangs inside the changing room."}, "FG-6")
    assert "location.collection_area" in finding.message and "'changing room'" in finding.message
    assert "location.type is lobby" in finding.message
    assert "facegate policy FG-6" in finding.message and "CN25-13a" in finding.message


def test_a_breach_of_the_law_read_in_the_words_cites_the_law_first_then_the_policy() -> None:
    room = {"location.collection_area": "The camera hangs inside the changing room."}
    assert [f.cites for f in findings(room, "FG-6")] == [("CN25-13a", "FG-6")]
    both = evaluate(spec_from_data(spec_with(room)), ["cn2025", "cn2023-draft"], today=TODAY)
    assert [f.cites for f in both.findings if f.rule == "FG-6"] == [("CN25-13a", "CN23-T02", "FG-6")]
    (use,) = findings({"purpose.description": "Staff pass; the faces are also used for targeted advertising."}, "FG-11")
    assert use.cites == ("CN25-4a", "FG-11") and "CN25-4a asks for a specific purpose" in use.message


def test_an_inference_the_law_forbids_cites_the_law_first_and_one_it_allows_only_the_policy() -> None:
    mood = {"purpose.description": "The turnstile also estimates each employee's mood."}  # emotion at work (§5.2)
    (denied,) = findings(mood, "FG-8")
    assert denied.cites == ("CN25-3", "FG-8") and "deny-list CN25-3 prohibits" in denied.message
    both = evaluate(spec_from_data(spec_with(mood)), ["cn2025", "cn2023-draft"], today=TODAY)
    assert [f.cites[0] for f in both.findings if f.rule == "FG-8"] == ["CN25-3"]
    religion = {"purpose.description": "The system infers each visitor's religion."}
    draft = evaluate(spec_from_data(spec_with(religion)), ["cn2023-draft"], today=TODAY)
    assert [f.cites for f in draft.findings if f.rule == "FG-8"] == [("CN25-3", "CN23-3", "CN23-11", "FG-8")]
    (spending,) = findings({"purpose.description": "The turnstile also estimates spending power."}, "FG-8")
    assert spending.cites == ("FG-8",) and "facegate policy FG-8" in spending.message  # not on the deny-list
    excepted = {**mood, "analysis_exception": {"basis": "separate_consent"}}  # a recorded exception (§5.2)
    assert [f.cites for f in findings(excepted, "FG-8")] == [("FG-8",)]


def test_only_a_supported_sole_method_provision_lifts_the_copy_lint() -> None:
    words = {"purpose.alternatives_analysis": "无其他可行方式：拒绝刷脸的账号将被踢出。"}
    bare = {**words, "sole_method_ref": "某部门通知（未登记）"}  # a bare ref proves nothing (§4.8)
    assert findings(bare, "CN25-12a") and findings(bare, "CN25-12c")
    sole = {"claim": "sole_method", "reviewer": "Li Ming (counsel)", "attested_on": "2026-11-20",
            "document": "Legal opinion 2026-14"}  # fmt: skip
    assert not findings({**bare, "attestations": [sole]}, "CN25-12a")
    assert not findings({**bare, "attestations": [sole]}, "CN25-12c")


RND = {"context": "rnd_algorithm_training", "purpose.category": "algorithm_training"}


@pytest.mark.parametrize(
    "words",
    ["志愿者人脸用于训练算法，同时导入办公室门禁进行刷脸通行试点。",
     "Volunteers' faces train the model and are loaded into the office gates for a live face-entry trial."],
)  # fmt: skip
def test_an_rnd_deployment_whose_words_put_the_faces_to_live_use_is_blocked_under_cn25_2(words: str) -> None:
    blocking = [f for f in findings({**RND, "purpose.description": words}, "CN25-2") if f.severity == "BLOCK"]
    assert [f.field for f in blocking] == ["purpose.description"] and blocking[0].message_zh, blocking
    lab = "Volunteers' faces train a model in the lab; the data set is never loaded into any gate or used live."
    assert [f.severity for f in findings({**RND, "purpose.description": lab}, "CN25-2")] == ["INFO"]


def test_words_that_keep_facial_data_longer_than_the_figure_block_under_cn25_8c() -> None:
    words = "Templates are kept for five years after the member's last face-pay purchase, so members need not re-enrol."
    (finding,) = findings({"storage.retention_justification": words}, "CN25-8c")
    assert finding.severity == "BLOCK" and finding.cites == ("CN25-8c", "PIPL-19", "PIPL-47")
    assert finding.field == "storage.retention_justification"
    assert "five years after the member's last face-pay purchase" in finding.message and "365" in finding.message
    assert finding.message_zh


@pytest.mark.parametrize(("days", "blocked"), [(380, False), (390, True)])  # more than 5% past 365
def test_words_a_little_past_the_figure_are_tolerated(days: int, blocked: bool) -> None:
    words = f"Templates are kept for {days} days."
    assert bool(findings({"storage.retention_justification": words}, "CN25-8c")) is blocked


def test_a_reviewers_reading_lifts_the_finding_for_that_field_only() -> None:
    trip = {"location.collection_area": "The camera hangs inside the changing room."}
    reading = {"claim": "text_reading", "field": "location.collection_area", "reviewer": "Li Ming (DPO)",
               "attested_on": "2026-11-20", "document": "'Changing room' is the name of the lobby café."}  # fmt: skip
    assert not findings({**trip, "attestations": [reading]}, "FG-6")
    elsewhere = {**reading, "field": "purpose.description"}
    assert findings({**trip, "attestations": [elsewhere]}, "FG-6")


def test_a_setting_turns_the_reading_off_with_a_justification() -> None:
    off = Settings().override("fg.text_reading", False, "Specs reviewed word by word by counsel")
    assert not findings({"purpose.description": "Staff and their children pass."}, "FG-7", off)


LAWFUL_CONTROLS: list[dict[str, Any]] = [
    {"location.collection_area": "No device is installed in toilets, changing rooms or guest rooms."},
    {"location.collection_area": "更衣室、卫生间等私密区域不安装任何设备。"},
    {"location.collection_area": "The turnstiles stand in the lobby, next to the changing rooms."},
    {"location.collection_area": "宿舍楼入口的两台闸机，摄像头朝向门外"},
    {"purpose.description": "Staff pass the turnstiles. Children under 14 are not enrolled."},
    {"purpose.description": "Staff bring their children to the on-site nursery; only staff are enrolled at the gate."},
    {"purpose.description": "员工刷脸通行。不收集不满十四周岁儿童的人脸信息。"},
    {"purpose.least_impact": "Templates stay on the turnstile and never leave mainland China."},
    {"purpose.least_impact": "模板存储于境内闸机，不出境。"},
    {"alternatives": [{"method": "门禁卡", "fee": "不收费", "wait": "当场", "note": "门禁卡免费，前台当场办理。"}]},
    {"alternatives": [{"method": "access card", "fee": "free", "wait": "immediately",
                       "note": "Free of charge, issued at reception at once."}]},
    {"purpose.description": "The turnstile matches 1:1; it does not infer emotion, ethnicity or health."},
    {"purpose.description": "闸机只做1:1比对，不识别情绪、民族或健康状况；核验健康码另行人工进行。"},
    {"purpose.description": "Staff pass the lobby turnstiles; used for no other purpose."},
    {"impact_assessment.rights_impact": "根据2025年6月1日起施行的办法评估；不用于其他用途。"},
    {"storage.retention_justification": "Deleted 30 days after employment ends; contracts run one year at most."},
    {"storage.retention_justification": "离职后30天内删除；合同期最长一年。"},
    {"notice.other_legal_matters": "Ref. No. 17 of 2025; no other matters."},
    {"alternatives": [{"method": "staffed lane", "fee": 0, "wait": "5 minutes",
                       "note": "A staffed lane is open at every entrance during opening hours."}]},
    {"purpose.description": "Face recognition is optional; those who decline are not disadvantaged."},
    {"purpose.necessity": "Staff must register their consent before the face is enrolled; face data is used in no "
                          "other way."},
    {"notice.rights_impact": "Guests who decline face verification are checked at the desk and nobody is refused."},
    {"purpose.description": "员工可自愿刷脸，不强制刷脸；统一人脸识别平台由IT部门维护，拒绝刷脸者不得被拒绝服务。"},
    {"purpose.least_impact": "Only the pass or fail result is sent to the access server; face templates stay on the "
                             "turnstile."},
    {"purpose.least_impact": "比对在闸机内完成，结果上传门禁服务器，人脸模板不上传。"},
    {"purpose.least_impact": "1:1 against the presented badge rather than a 1:N search; no watchlist is kept."},
    {"alternatives": [{"method": "access card", "fee": 0, "wait": 0,
                       "note": "The card is only accepted at the lobby turnstiles, at any hour."}]},
    {"purpose.alternatives_analysis": "Visitors with a QR code pass reception without stopping; 持码访客无需停留。"},
    {"purpose.description": "闸机只做1:1比对，不做1:N辨识，不设黑名单，不用于营销。"},
    {"impact_assessment.security_risks": "We identify all risks to the templates and who accessed them."},
    {"purpose.description": "Staff of the marketing and advertising teams pass the lobby turnstiles."},
    {"purpose.necessity": "Badges are lent; the faces are never used for marketing or to train models."},
    # Availability is no wait; "1:1" is no clock time; the notice's rights procedure is not the alternative.
    {"purpose.least_impact": "仅与刷卡员工本人模板1:1比对；模板存于闸机内。"},
    {"alternatives": [{"method": "人工核验", "fee": "免费", "wait": 0, "note": "值班保安24小时在岗"}],
     "notice.rights_exercise_procedure": "员工可到前台办理查询、更正、删除和撤回同意。"},
    {"alternatives": [{"method": "staff check", "fee": 0, "wait": "5 minutes",
                       "note": "Video call with an agent, 24 hours a day."}]},
    {"alternatives": [{"method": "staff check", "fee": 0, "wait": 0,
                       "note": "Staffed 24/7; 7×24小时人工服务；全天开放。"}]},
    # Replacing a lost card or key is not using the alternative.
    {"alternatives": [{"method": "饭卡", "fee": "免费", "wait": 0, "note": "刷饭卡免费；饭卡遗失补办收取工本费10元"}]},
    {"alternatives": [{"method": "钥匙", "fee": "免费", "wait": 0}],
     "purpose.necessity": "钥匙经常丢失，补配钥匙需两天。"},
    {"alternatives": [{"method": "access card", "fee": 0, "wait": 0,
                       "note": "Using the card is free; a replacement card costs 10 yuan."}]},
    # Consent asked on its own, with the alternative open to those who decline.
    {"notice.consent_text": "您可以选择不同意并使用会员卡。"},
    {"notice.consent_text": "Consent is asked separately on the kiosk screen."},
    {"notice.consent_text": "点击同意前单独告知人脸信息处理规则。"},
    {"notice.rights_impact": "拒绝刷脸不影响办理，可凭门禁卡通行；拒绝刷脸的员工不会被拒绝服务。"},
    # The halls of a border port are places, not data leaving the country.
    {"location.collection_area": "出境大厅和入境大厅的自助查验通道，摄像头覆盖通道内0.8米。"},
    {"location.collection_area": "The e-gates in the departure hall and the exit lanes; camera view 0.8 m."},
    # Periods counted from an event, cycles and logs are no longer retention of facial data.
    {"storage.retention_justification": "The template is kept while the account is active and deleted within 30 "
                                        "days of closing it; re-enrolled every two years."},
    {"storage.retention_justification": "Access logs are kept for three years; templates are deleted 30 days after "
                                        "employment ends."},
    {"storage.retention_justification": "门禁记录保存三年；人脸模板离职后30天内删除，每年续签时重新确认。"},
]  # fmt: skip


@pytest.mark.parametrize("changes", LAWFUL_CONTROLS, ids=range(len(LAWFUL_CONTROLS)))
def test_lawful_specs_that_mention_such_words_harmlessly_stay_allowed(changes: dict) -> None:
    report = evaluate(spec_from_data(spec_with(changes)), ["cn2025"], today=TODAY)
    assert not [f.message for f in report.findings if f.rule in FG]
    assert report.verdict == "allowed", [f.to_dict() for f in report.findings]


@pytest.mark.parametrize(
    ("text", "denied"),
    [
        ("Written commission of the East Railway Public Security Office, ref. 东铁公（2025）17号", False),
        ("No written commission exists; the office agreed by phone.", True),
        ("公安机关口头同意，尚无书面委托", True),
        ("Commission pending signature", True),
        ("法律意见书 2026-14", False),
    ],
)
def test_an_attestation_that_denies_its_own_evidence_is_no_evidence(text: str, denied: bool) -> None:
    assert denies(text) is denied


EXIT_ENTRY = {
    "handler": {"name": "某市公安局出入境管理支队 / City Public Security Bureau, Exit-Entry Administration",
                "kind": "public_security_organ", "contact": "12367", "region": "CN-GD"},
    "purpose.category": "identity_verification",
    "location.setting": "public_place",
    "location.type": "service window",
    "location.signage": True,
    "location.collection_area": "出入境办证大厅6个受理窗口前1米 / 1 m in front of the six counters",
    "premises_type": "government service hall",
    "legal_basis": "statutory",
    "legal_basis_ref": "《中华人民共和国出境入境管理法》第七条 / Exit and Entry Administration Law, Art. 7",
    "identity_provider": "National Population Basic Information Database",
}  # fmt: skip


def test_the_handler_decides_where_the_law_looks_at_the_handler() -> None:
    organ = evaluate(spec_from_data(spec_with(EXIT_ENTRY)), ["cn2025"], today=TODAY)
    assert not [f for f in organ.findings if f.rule == "CN25-13b"], [f.message for f in organ.findings]
    company = {**EXIT_ENTRY, "handler": {"name": "Example Visa Services Co., Ltd.", "kind": "enterprise"}}
    refused = evaluate(spec_from_data(spec_with(company)), ["cn2025"], today=TODAY)
    assert "purpose.category" in {f.field for f in refused.findings if f.rule == "CN25-13b"}


def test_every_held_value_answers_to_its_common_chinese_and_english_names() -> None:
    from facegate.policy.terms import VOCABULARIES
    from facegate.policy.vocabulary import resolve

    for kind, terms in VOCABULARIES.items():
        for term in terms:
            assert term.zh and term.en, term.value
            for name in (term.zh, term.en):
                found = resolve(kind, name)
                assert found is not None and found.value == term.value, (kind, name, found)


@pytest.mark.parametrize(
    ("kind", "words", "value"),
    [
        ("location_type", "寝室", "dormitory_room"), ("location_type", "学生寝室内", "dormitory_room"),
        ("premises_type", "学生公寓", "dormitory_building"),
        ("premises_type", "student apartments", "dormitory_building"),
        ("alternative", "会员码", "checkin_code"), ("alternative", "membership card", "member_card"),
        ("alternative", "会员卡", "member_card"), ("alternative", "stored-value canteen card", "stored_value_card"),
        ("alternative", "饭卡", "stored_value_card"), ("alternative", "微信支付", "mobile_payment"),
        ("premises_type", "服装店", "shopping_mall"), ("premises_type", "retail", "shopping_mall"),
        ("location_type", "服装店", "sales_floor"), ("location_type", "retail floor", "sales_floor"),
        ("purpose", "访客登记", "visitor_management"), ("purpose", "会员识别", "customer_identification"),
        ("purpose", "食堂消费", "payment"), ("handler_kind", "出入境管理支队", "public_security_organ"),
        ("alternative", "取件码", "checkin_code"), ("alternative", "parcel pickup code", "checkin_code"),
        ("alternative", "保安", "staff_assisted"), ("premises_type", "滑雪场", "sports_venue"),
        ("premises_type", "ski resort", "sports_venue"), ("premises_type", "教堂", "place_of_worship"),
        ("premises_type", "寺庙", "place_of_worship"), ("premises_type", "宗教场所", "place_of_worship"),
        ("premises_type", "church", "place_of_worship"), ("premises_type", "temple", "place_of_worship"),
        ("location_type", "驾驶室", "vehicle_cabin"), ("location_type", "车内", "vehicle_cabin"),
        ("location_type", "driver cab", "vehicle_cabin"), ("location_type", "in-vehicle", "vehicle_cabin"),
    ],
)  # fmt: skip
def test_real_deployment_words_resolve(kind: str, words: str, value: str) -> None:
    from facegate.policy.vocabulary import resolve

    found = resolve(kind, words)
    assert found is not None and found.value == value


def test_the_console_form_states_the_decisive_facts() -> None:
    from facegate.web.forms import spec_data

    form = {"id": "front-desk", "name": "Front desk", "handler.name": "Harbour Hotel", "purpose.category": "访客登记",
            "modality": "verification", "location.setting": "private_premises", "location.type": "前台",
            "legal_basis": "separate_consent", "alternatives": "id_card, staff check", "alternatives.fee": "0",
            "alternatives.wait": "5 minutes", "minors.age_floor": "18"}  # fmt: skip
    spec = spec_from_data(spec_data(form))
    assert {m: (t.fee, t.wait) for m, t in spec.alternative_terms.items()} == {
        "id_document": ("0", "5 minutes"), "staff_assisted": ("0", "5 minutes")
    }
    report = evaluate(spec, ["cn2025"], today=TODAY)
    assert not [f for f in report.findings if f.rule == "FG-12"]
    unstated = spec_from_data(spec_data({**form, "alternatives.fee": "", "minors.age_floor": ""}))
    fields = {f.field for f in evaluate(unstated, ["cn2025"], today=TODAY).findings if f.rule == "FG-12"}
    assert fields == {"minors", "alternatives[id_document]", "alternatives[staff_assisted]"}
