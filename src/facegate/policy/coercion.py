"""Reading wording that coerces people into face recognition or takes their consent as given: an obligation ('face
registration is mandatory', '必须刷脸'), no alternative ('there is no alternative', '无其他可行方式'), a penalty for
declining ('accounts that refuse face verification are kicked out', '拒绝刷脸的账号将被踢出游戏', '不同意人脸识别的，
不予办理'), and consent bundled with the terms or implied by an act ('注册会员即表示您同意《会员服务协议》《隐私政策》',
'进店即视为同意刷脸识别', 'by entering the store you agree to face recognition'). Pure text work; policy.rules.copy_lint
reports what is read (CN25-12a, CN25-12c, CN25-6a/b)."""

import re

from facegate.policy.reading import FACE, Mention, clauses, negated

_NOT_BEFORE = re.compile(r"(?:\b(?:not|never|no)|n't)\s*$", re.IGNORECASE)
# Wording that makes face recognition compulsory. Those naming an obligation or a refusal's penalty are read unless
# negated just before ("do not have to"); those denying an alternative are negative by nature and are read as they
# stand, where the clause speaks of the face or the field of the alternatives.
_OBLIGED = re.compile(
    r"\b(?:must|have to|has to|(?:is |are )?required to|obliged to|forced to)\s+(?:(?:all|first|always|also)\s+)?"
    r"(?:(?:use|register|enrol+|scan|show|present|provide|submit)\s+(?:(?:their|your|his|her|the|a)\s+)?fac(?:e|es|ial)\b"
    r"|(?:pass|verify|identify|enter|check in|sign in|pay)\s+(?:\w+\s+){0,2}?(?:by|with|through|using)\s+"
    r"(?:(?:their|your|the)\s+)?fac(?:e|ial)\b)"
    r"|\bfac(?:e|es|ial)(?:\s+\w+){0,2}\s+(?:is|are)\s+(?:mandatory|compulsory|obligatory|required)\b"
    r"|\b(?:mandatory|compulsory|obligatory)\s+(?:\w+\s+){0,2}?fac(?:e|es|ial)\b"
    r"|\b(?:who|that) (?:refuses?|declines?|do not register|don't register|opts? out)\b[^.;]{0,50}?"
    r"(?:\b(?:cannot|can't|may not|will not be able to|won't be able to|are not allowed to|is not allowed to)\s+"
    r"(?:enter|access|use|get|be served|be admitted|pass|check in|open|obtain|receive|buy|board)\b"
    r"|(?<!nobody )(?<!no one )\b(?:will be|are|is|get|gets) (?:refused|denied|turned away|kicked out|banned|blocked|"
    r"suspended|locked out|logged out|expelled|fined|charged|treated as (?:a )?minors?)\b)"
    r"|(?<![不非无])(?:必须|必需|须|一律|只能)(?:使用|通过|进行|录入|登记|注册)?(?:刷脸|人脸)"
    r"|(?<![不非无])强制(?:使用|通过|进行|录入|采集|登记|注册)?(?:刷脸|人脸)|统一(?:使用|通过|进行)(?:刷脸|人脸)",
    re.IGNORECASE,
)
_NO_ALTERNATIVE = re.compile(
    r"(?<!in )(?<!by )\bno (?:other |non-biometric |alternative )?"
    r"(?:alternative|other way|other option|other means|other method)s?\b(?!\s+(?:uses?|purposes?))"
    r"|\bfac(?:e|ial)\b[^.;]{0,40}?\b(?:is|remains|are)\s+the only (?:way|option|means|method)\b"
    r"|\bthe only (?:way|option|means|method)\b[^.;]{0,30}?\bis\s+(?:by\s+|through\s+|with\s+)?(?:the\s+)?"
    r"fac(?:e|ial)\b"
    r"|\bonly (?:by|through|with) (?:the )?fac(?:e|ial)\b"
    r"|\b(?:cannot|can't|may not|will not|won't) (?:enter|get in|be served|pass|access|be admitted)\b[^.;]{0,30}"
    r"\bwithout\b"
    r"|唯一(?:的)?[^，。；]{0,4}?(?:方式|途径|通道|手段|方法|办法)"
    r"|(?:没有|无|不提供|未提供|不设|不再提供|取消)(?:其他|其它|任何)?(?:的)?(?:替代|备选|其他方式|其它方式|其他途径)"
    r"|(?:没有|无)(?:其他|其它|任何)(?:的)?(?:可行|可用|可选|合适)(?:的)?(?:方式|途径|方法|办法|手段|选择|方案)"
    r"|(?:拒绝|不愿|未|不)(?:刷脸|录入人脸|登记人脸|人脸登记|采集人脸|人脸识别)[^，。；]{0,12}(?:不得|不能|无法|不予|禁止)"
    r"(?:进入|入内|通行|办理|使用|入住|乘车|进出|进校|入园|享受|获得|登机|上车)",
    re.IGNORECASE,
)


def compulsion(clause: str, about_alternatives: bool = False) -> list[Mention]:
    """Wording that makes face recognition compulsory ('registration is mandatory', 'no alternative', '必须刷脸');
    outside a field about the alternatives, only in a clause that speaks of the face."""
    found = [
        Mention("compulsory", m.group(0), "face recognition made compulsory")
        for m in _OBLIGED.finditer(clause)
        if not _NOT_BEFORE.search(clause[: m.start()])
    ]
    if about_alternatives or FACE.search(clause):
        found += [Mention("compulsory", m.group(0), "no alternative") for m in _NO_ALTERNATIVE.finditer(clause)]
    return found


# A penalty for declining, read over a sentence (a Chinese comma may stand between: "不同意人脸识别的，不予办理").
_SENTENCE = re.compile(r"[.;!?。；！？\n]+")
_DECLINE_ZH = (
    r"(?:拒绝|不愿意?|不同意|未同意|不接受|不配合|未通过|不使用|未使用|不进行|未进行|不)"
    r"(?:或(?:拒绝|不愿意?|不同意|未同意|不接受|未通过|不使用|未使用|不进行|未进行))?(?:使用|进行|接受|通过|开通)?"
    r"(?:刷脸|人脸(?:识别|验证|核验|认证|登记|录入|采集)?|面部识别|录入人脸|登记人脸|采集人脸)"
)
_PENALTY_ZH = (
    r"踢出|踢下线|强制下线|封号|封禁|冻结|拉黑|(?:按|视为|视同)未成年人(?:处理|对待|管理)?|纳入防沉迷|"
    r"限制(?:登录|使用|游戏|进入|服务|功能|访问|入住|通行)|"
    r"不予(?:办理|受理|服务|通行|放行|入住|入内|登记|发放|提供|进入|使用|录取|报名)|"
    r"(?:无法|不能|不得|不可|禁止)(?:继续)?(?:使用|办理|进入|入内|入住|通行|登录|享受|获得|购买|乘车|登机|入园|进出|"
    r"进校|上车|参加|参与|游戏|访问|领取|取件|服务|报名|考试)|拒绝(?:入内|进入|服务|办理|提供服务|入住)|"
    r"加收|另行收费|额外收费|罚款|扣分|扣款"
)
_PENALTY = re.compile(rf"({_DECLINE_ZH})([^。；！？\n]{{0,30}}?)({_PENALTY_ZH})")
# Between the decline and the penalty: a denial ("不会被踢出", "不得被拒绝服务") or an alternative offered ("可凭身份证
# 办理") takes it back.
_TAKEN_BACK = re.compile(
    r"不会|不再|并不|绝不|不被|不得被|不能被|不可被|不应|不因|无需|不受|可以|可凭|可使用|可用|可改|改用|凭|替代|另行|"
    r"其他方式|人工"
)


_REFUSAL_EN = re.compile(r"\b(?:refuses?|declines?|do not register|don't register|opts? out)\b", re.IGNORECASE)


def penalties(text: str) -> list[Mention]:
    """A penalty the text puts on declining face recognition, read per sentence ('拒绝刷脸的账号将被踢出游戏',
    '不同意人脸识别的，不予办理', 'accounts that refuse face verification are kicked out'): declining ends the service
    or costs something."""
    found = []
    for sentence in _SENTENCE.split(text):
        for m in _PENALTY.finditer(sentence):
            if not _TAKEN_BACK.search(m.group(2)):
                found.append(Mention("penalty", m.group(0), "a penalty for declining face recognition"))
        found += [m for m in compulsion(sentence) if _REFUSAL_EN.search(m.words)]
    return found


def coercion(text: str, about_alternatives: bool = False) -> list[Mention]:
    """Every wording of the text that makes face recognition compulsory: per clause (compulsion), and a Chinese
    penalty for declining per sentence (a comma may stand between the refusal and its penalty)."""
    found = [m for c in clauses(text) for m in compulsion(c, about_alternatives)]
    for penalty in penalties(text):
        if penalty.kind == "penalty" and not any(penalty.words in m.words or m.words in penalty.words for m in found):
            found.append(penalty)
    return found
# Consent taken as given by an act ("进店即视为同意", "by entering the store you agree") or bundled with the terms of
# service or a privacy policy ("注册会员即表示您同意《会员服务协议》《隐私政策》及人脸信息处理规则").
_IMPLIED = re.compile(
    r"(?<![不非未])(?:即|则|均|就|亦|将)?(?:视为|视作|视同|表示|代表|表明|意味着)(?:您|你|本人|用户|顾客|会员)?(?:已经?)?"
    r"(?:同意|接受|授权|认可)|默认(?:您|你|本人)?(?:已经?)?(?:同意|授权)|"
    r"\bby (?:entering|registering|signing up|using|continuing|visiting|accessing|creating an account|"
    r"proceeding|staying|shopping|walking|passing|joining|logging in|checking in|booking|downloading|buying|"
    r"paying)\b[^.;]{0,60}?"
    r"\byou (?:(?:hereby|also|thereby) )?(?:agree|accept|consent|authori[sz]e)"
    r"|\b(?:deemed|taken|considered|treated as) (?:to (?:have )?)?(?:given )?(?:your )?(?:consent|consented|agreed|"
    r"accepted)\b|\bimplied consent\b|\bconstitutes? (?:your )?(?:consent|acceptance|agreement)\b|"
    r"\bconsent is (?:implied|assumed|presumed)\b",
    re.IGNORECASE,
)
_TERMS = re.compile(
    r"《[^》]{0,20}(?:协议|条款|政策|须知)》|(?:用户|服务|会员|注册|使用)协议|服务条款|使用条款|隐私政策|隐私协议|"
    r"\bterms(?: of (?:service|use))?\b|\bterms and conditions\b|\b(?:user|member(?:ship)?|service) agreement\b|"
    r"\bprivacy (?:policy|notice|statement)\b",
    re.IGNORECASE,
)
# An explicit act of consent before "即表示同意" ("勾选“同意”即表示您同意", "签字即表示同意") is no implied consent.
_EXPLICIT = re.compile(r"(?:签字|签名|勾选|点击|按下|确认|书面)[^，。；]{0,12}$|\bby (?:ticking|checking|signing)\b",
                       re.IGNORECASE)
_AGREE = re.compile(r"同意|接受|授权|\bagree|\baccept|\bconsent", re.IGNORECASE)
_SEPARATELY = re.compile(r"单独|分开|另行|\bseparate(?:ly)?\b|\bdedicated\b|\bon its own\b", re.IGNORECASE)


def consent_taken(clause: str, consent_field: bool = False) -> list[Mention]:
    """Consent taken as given: implied by an act ('进店即视为同意', 'by entering the store you agree') or bundled with
    the terms or a privacy policy; outside the consent's own text, only in a clause that speaks of the face."""
    if not (consent_field or FACE.search(clause)):
        return []
    found = [
        Mention("implied_consent", m.group(0), "consent implied by an act")
        for m in _IMPLIED.finditer(clause)
        if not negated(clause[max(0, m.start() - 12):m.start()]) and not _EXPLICIT.search(clause[:m.start()])
    ]
    terms = _TERMS.search(clause)
    if terms and _AGREE.search(clause) and not _SEPARATELY.search(clause) and not negated(clause):
        found.append(Mention("bundled_consent", terms.group(0), "consent bundled with the terms"))
    return found
