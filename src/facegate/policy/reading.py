"""Reading a spec's own words: clauses, negations and the numbers in them (ages, days, fees, waits), and the restricted
facts a clause states (a private place, a minor, an inference, a foreign place, a burden on the alternative, an
open-ended purpose, a further use, a live use, a 1:N search). Pure text work; policy.rules.consistency compares what
is read with the spec's tokens (policy.coercion reads wording that coerces people into face recognition)."""

import re
from dataclasses import dataclass

from facegate.policy.terms import COUNTRIES, LOCATION_TYPES, Term

# A clause ends at a sentence mark, a Chinese comma, or an English comma that opens a new clause ("..., not at").
_CLAUSE = re.compile(
    r"[.;!?。；！？\n]+(?:\s|$)|[，;；]|,\s*(?=(?:not|but|and|while|whereas|which|so|never|no|yet|though)\b)",
    re.IGNORECASE,
)
_NEGATION_EN = re.compile(
    r"\b(no|not|never|none|nor|neither|without|cannot|can't|won't|isn't|aren't|doesn't|don't|didn't|excluding|"
    r"except|exempt|prohibited|forbidden|banned|free of|zero|nobody|no one|instead of|rather than|only for adults|"
    r"adults only)\b(?!\.\s*\d)|n't\b",
    re.IGNORECASE,
)
_NEGATION_ZH = re.compile(
    r"不(?!同|少|断|仅|过|久|定期|论|管|超过|多于|晚于|愿|想|希望|接受|选择)|没有|没(?!收)|无(?!感|线|人值守)|未(?!来)|禁止|严禁|"
    r"(?<![删清排解拆去])除|非(?!常)|(?<![避豁])免|杜绝"
)
# Where a place is named only as a landmark: the device is beside it, outside it, not in it. The word must go with
# that place: before it in English ("near the changing room", with no "in" between), after it in Chinese ("更衣室旁").
_ASIDE_EN = re.compile(
    r"\b(outside|beside|near|next to|opposite|facing|across from|away from|adjacent to|in front of|leading to|"
    r"on the way to|towards?)\b",
    re.IGNORECASE,
)
_INSIDE_EN = re.compile(r"\b(in|inside|within|into|at)\b", re.IGNORECASE)
_ASIDE_ZH_AFTER = re.compile(r"\s*(?:的)?(?:(?<![此另])外(?![籍国卖包])|旁|附近|对面|隔壁|门口|入口|门外)")
_ASIDE_ZH_BEFORE = re.compile(r"(?:通往|前往|远离|靠近|临近)[^，。；]{0,3}$")
# A place named as part of something shared: the dormitory building's entrance is not a dormitory room.
_PART_AFTER = re.compile(
    r"^\s*(?:s\b|'s\b)?\s*(?:building|block|entrance|gate|door|doorway|corridor|lobby|hall|area entrance|楼|栋|区入口|"
    r"门口|入口|大门|出入口|走廊|大厅|楼道|通道)",
    re.IGNORECASE,
)
# Words that put a device at a place (read outside the location fields, a place counts only with one of them).
PLACEMENT = re.compile(
    r"camera|device|terminal|reader|scanner|sensor|install|mount|hang|placed|located|sited|fitted|capture|"
    r"摄像|设备|终端|闸机|识别机|安装|装在|装于|设在|设于|位于|部署|采集|拍摄",
    re.IGNORECASE,
)
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9, "十": 10, "半": 0.5}  # fmt: skip
_EN_NUMBERS = {"zero": 0, "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
               "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
               "twenty": 20, "thirty": 30, "half a": 0.5, "a single": 1}  # fmt: skip
_NUMBER = r"(\d[\d,]*(?:\.\d+)?|[零〇一二两三四五六七八九十百半]+|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|a single|half a|an?)"  # noqa: E501
_UNITS_DAYS = {"minute": 1 / 1440, "分钟": 1 / 1440, "hour": 1 / 24, "小时": 1 / 24, "钟头": 1 / 24,
               "working day": 1.4, "business day": 1.4, "个工作日": 1.4, "工作日": 1.4, "day": 1, "天": 1, "日": 1,
               "week": 7, "周": 7, "星期": 7, "month": 30, "个月": 30, "月": 30, "year": 365, "年": 365}  # fmt: skip
_DURATION = re.compile(
    r"(?<![A-Za-z\d.])" + _NUMBER + r"\s*(?:-|‑|–)?\s*"
    r"(minutes?|hours?|working days?|business days?|days?|weeks?|months?|years?|"
    r"分钟|小时|钟头|个工作日|工作日|天|日|周|星期|个月|月|年)",
    re.IGNORECASE,
)


def number(text: str) -> float | None:
    """The value of a number written in digits, Chinese numerals or English words ('3', '三', 'three', '1,095')."""
    text = text.strip().lower()
    if re.fullmatch(r"\d[\d,]*(\.\d+)?", text):
        return float(text.replace(",", ""))
    if text in _EN_NUMBERS:
        return float(_EN_NUMBERS[text])
    if text and all(ch in _CN_DIGITS or ch == "百" for ch in text):
        total, current = 0.0, 0.0
        for ch in text:
            if ch == "十":
                total += (current or 1) * 10
                current = 0
            elif ch == "百":
                total += (current or 1) * 100
                current = 0
            else:
                current = _CN_DIGITS[ch]
        return total + current
    return None


def clauses(text: str | None) -> list[str]:
    """The clauses of a text: what one negation can reach."""
    return [c.strip() for c in _CLAUSE.split(text or "") if c and c.strip()]


def negated(clause: str, besides: str = "") -> bool:
    """Whether the clause denies what it names ('no children', '不收费', 'not stored abroad'), `besides` aside."""
    if besides:
        clause = clause.replace(besides, " ")
    return bool(_NEGATION_EN.search(clause) or _NEGATION_ZH.search(clause))


def durations_days(text: str) -> list[float]:
    """Every duration the text states, in days ('3 working days', '三年', '30 minutes')."""
    found = []
    for match in _DURATION.finditer(text):
        value = number(match.group(1))
        after = text[match.end():match.end() + 4]
        if match.group(2) in ("年", "月") and (re.match(r"\s*\d{1,2}\s*[月日号]", after) or (value or 0) >= 1000):
            continue  # a date (2025年6月1日), not a duration
        if match.group(2) in ("日", "号") and text[: match.start()].rstrip().endswith("月"):
            continue
        unit = match.group(2).lower()
        scale = _UNITS_DAYS.get(unit) or _UNITS_DAYS.get(unit.removesuffix("s"))
        if value is not None and scale is not None:
            found.append(value * scale)
    return found


# --- the restricted facts a clause can state ----------------------------------------------------------------------


@dataclass(frozen=True)
class Mention:
    """A restricted fact read in a field's words: the kind, the words as written and what they name."""

    kind: str  # private_place | minor | inference | foreign_place | fee | wait | steps | hours | out_of_service
    # | open_ended | further_use | live_use | search | compulsory | penalty | bundled_consent | implied_consent
    words: str
    names: str  # the canonical value named (a location type, an analysis, a country), or a short description


def _names(terms: tuple[Term, ...], keep: "set[str] | None", skip: frozenset[str]) -> list[tuple[re.Pattern[str], str]]:
    out = []
    for term in terms:
        if keep is not None and term.value not in keep:
            continue
        for name in {term.zh, term.en, *term.synonyms}:
            lowered = name.lower()
            if lowered in skip or len(lowered) < 2:
                continue
            if re.search(r"[\u4e00-\u9fff]", name):
                out.append((re.compile(re.escape(name)), term.value))
            elif len(lowered) > 3:
                out.append((re.compile(r"\b" + re.escape(lowered) + r"(e?s)?\b", re.IGNORECASE), term.value))
    out.sort(key=lambda item: -len(item[0].pattern))
    return out


# Names too general to mean a private room when read in a sentence.
_GENERAL_PLACES = frozenset({
    "房间", "room", "private room", "ward", "spa", "温泉", "温泉池", "hot spring", "shower", "包间", "包房", "包厢",
    "客房", "guest room", "卧室", "居室", "bedroom", "休息室", "spa bathing area", "更衣柜", "储物柜区", "卫浴",
    "other private space", "private space", "私密空间", "私密场所",
})  # fmt: skip
_PRIVATE = {t.value for t in LOCATION_TYPES if "private" in t.tags} | {
    "hospital_ward_or_treatment_room", "entertainment_private_room",
}
_PLACE_NAMES = [*_names(LOCATION_TYPES, _PRIVATE, _GENERAL_PLACES), (re.compile(
    r"(酒店|宾馆|旅馆|民宿)(的)?(客房|房间)|guest rooms? of the (hotel|inn)|hotel guest rooms?", re.I), "hotel_room")]
# 出境 is data leaving the country; not a border port's departure hall or lane (出境大厅), nor travellers departing.
_DATA_ABROAD = re.compile(
    r"(?<!旅客)(?<!人员)(?<!乘客)(?<!游客)出境(?!大厅|通道|口|区|厅|大楼|旅客|人员|乘客|游客|查验|检查|边防|证件|手续)"
)
_COUNTRY_SKIP = frozenset({"america"})  # "Bank of America" names no place of storage
_FOREIGN_NAMES = _names(tuple(t for t in COUNTRIES if t.value != "CN"), None, _COUNTRY_SKIP) + [
    # A Latin-script name is a whole word: "comparison" names no Paris, "Seoulful" no Seoul.
    (re.compile("|".join(rf"\b{a}\b" if a.isascii() else a for a in p.split("|")), re.IGNORECASE), v)
    for p, v in (
        (r"frankfurt|法兰克福", "DE"), (r"tokyo|东京|osaka|大阪", "JP"), (r"london|伦敦", "GB"), (r"paris|巴黎", "FR"),
        (r"new york|纽约|virginia|弗吉尼亚|oregon|俄勒冈|california|加州|silicon valley|硅谷|seattle|西雅图", "US"),
        (r"seoul|首尔", "KR"), (r"sydney|悉尼", "AU"), (r"dublin|都柏林", "IE"), (r"amsterdam|阿姆斯特丹", "NL"),
        (r"taipei|台北", "TW"), (r"kuala lumpur|吉隆坡", "MY"), (r"bangkok|曼谷", "TH"), (r"jakarta|雅加达", "ID"),
        (r"mumbai|孟买", "IN"), (r"dubai|迪拜", "AE"), (r"\bhk\b", "HK"),
        (r"overseas|abroad|offshore|outside (mainland )?china|outside the prc|境外|海外", "abroad"),
    )
] + [(_DATA_ABROAD, "abroad")]  # fmt: skip
_MINOR_WORDS = re.compile(
    r"\b(children|child|kids?|minors|juveniles?|pupils?|schoolchildren|toddlers?|infants?|babies|under-14s?|"
    r"under 14|younger than 14|below (the age of )?14|primary school (students|pupils)|elementary (school )?students|"
    r"kindergarteners?|preschoolers?)\b|儿童|孩子|小孩|子女|未成年|小学生|幼儿|婴儿|初中生|少年|学龄前|不满十四|未满十四|"
    r"不满14|未满14|十四周岁以下|14周岁以下|14岁以下|十四岁以下",
    re.IGNORECASE,
)
_AGE = re.compile(
    r"(?:aged?|ages)\s*(\d{1,2})(?:\s*(?:-|–|to)\s*(\d{1,2}))?|(\d{1,2})\s*(?:-|–|~|至|到|to)\s*(\d{1,2})\s*"
    r"(?:岁|周岁|years?)|(\d{1,2})\s*(?:岁|周岁|-year-olds?|years? old)",
    re.IGNORECASE,
)
_INFERRED = (
    (r"ethnicit|ethnic|民族", "ethnicity"), (r"\brac(e|ial)\b|种族|肤色", "race"), (r"religio|宗教|信仰", "religion"),
    (r"\bhealth\b(?! code)|illness|disease|medical condition|疾病|健康(?!码)|病情|怀孕|pregnan", "health"),
    (r"emotion|mood|facial expression|情绪|表情|心情|心理状态", "emotion"), (r"fatigue|drowsi|疲劳|困倦", "health"),
    (r"sexual orientation|性取向", "sex_life_orientation"), (r"political|政治", "political_opinion"),
    (r"social class|社会阶层", "social_class"),
    (r"spending power|income|wealth|消费能力|收入|经济状况", "economic_status"),
)  # fmt: skip
_INFER_VERB = re.compile(
    r"infer|estimat|detect|analy[sz]|recogni[sz]|classif|judg|determin|predict|assess|scor|tell|read|profil|"
    r"推断|判断|识别|分析|检测|估计|评估|预测|判定|区分|推测|标注",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"(?:¥|￥|rmb|cny|usd|eur|\$|€)\s*(\d[\d,]*(?:\.\d+)?)|(\d[\d,]*(?:\.\d+)?|[一二两三四五六七八九十百]+)\s*"
    r"(?:元|块|yuan|rmb|cny)",
    re.IGNORECASE,
)
_FEE_WORDS = re.compile(r"\b(fees?|charged?|charges|costs?|paid|payable|deposit|surcharge)\b|收费|费用|付费|"
                        r"工本费|押金|手续费|缴纳|支付.{0,4}元", re.IGNORECASE)  # fmt: skip
_FREE = re.compile(r"\bfree\b|no (fee|charge|cost)|at no (cost|charge)|免费|不收费|无需付费|无费用|不另收费|零费用|"
                   r"(?<![\d.])0\s*元", re.IGNORECASE)  # fmt: skip
_WAIT_WORDS = re.compile(
    r"in advance|appointment|book(ing)? ahead|waiting list|wait(s|ing)? (for|up to)|queue for|next (working )?day|"
    r"预约|提前|排队|等候|等待|次日|隔天",
    re.IGNORECASE,
)
_STEPS = re.compile(
    r"must apply|has to apply|have to apply|apply (in writing|to|for)|application form|written application|approval|"
    r"proof of|certificate from|notari[sz]ed|in person at (the )?(head|main) office|提交申请|需申请|需要申请|书面申请|"
    r"审批|证明材料|开具证明|公证|到.{1,8}办理|手续",
    re.IGNORECASE,
)
_OUT_OF_SERVICE = re.compile(
    r"out of (service|order)|not (yet )?(in service|available|working|installed|operational|open)|unavailable|"
    r"suspended|decommissioned|broken|temporarily closed|closed (for|until)|under repair|停用|暂停|维修|故障|"
    r"暂未开通|尚未开通|未开通|不可用|已撤除|已关闭|暂不提供|停止使用",
    re.IGNORECASE,
)
# An alternative open only at some hours or on some days: whoever comes at other times has face recognition only.
_LIMITED_HOURS = re.compile(
    r"\bonly\b[^.;]{0,40}?\b(?:weekdays?|weekends?|(?:mon|tues|wednes|thurs|fri|satur|sun)days?|office hours|"
    r"business hours|working hours|\d{1,2}(?::\d{2})?\s*(?:am|pm)\b|\d{1,2}:\d{2})"
    r"|(?:仅|只)[^，。；]{0,10}?(?:工作日|周[一二三四五六日末]|星期[一二三四五六日天]|上午|下午|白天|\d{1,2}\s*(?:[:：]\d{2}|点)|"
    r"办公时间|工作时间)",
    re.IGNORECASE,
)
# Availability is no wait ("24 hours a day", "24/7", "值班护工24小时在岗"); "needs 24 hours", "24小时内" stay waits.
_AVAILABLE = re.compile(
    r"\b(?:(?:open|available|staffed|manned|on duty|on call|running|operat\w*|served?)\s+(?:for\s+)?24\s*hours?|24\s*"
    r"(?:hours?|hrs?|h)(?=\s*(?:a|per|each|every)\s+day))(?:\s*(?:a|per|each|every)\s+day)?\b|\b24\s*(?:/\s*7|x\s*7)\b|"
    r"\b24[-‑–]hours?\b(?!\s+(?:wait|delay|notice|turnaround|review|processing|approval))|"
    r"(?<!需)(?<!要)(?<!等)(?<!待)(?<!候)(?<!前)(?<!时)(?<!约)(?:7\s*[×xX*]\s*)?(?:24|二十四)\s*小时"
    r"(?!\s*(?:内|后|以内|之内|以后|才|方可|左右|生效|办结|审核))",
    re.IGNORECASE,
)
# Replacing a lost or damaged credential is not using the alternative: its fee or wait puts no burden on declining.
_REPLACEMENT = re.compile(r"补办|补配|补卡|补发|挂失|遗失|丢失|损坏|\breplac\w*|\b(?:lost|damaged|stolen)\b|\bre-?issu",
                          re.IGNORECASE)
_OPEN_ENDED = re.compile(
    r"including but not limited to|but not limited to|any (other )?(lawful |legitimate )?purposes?|other (business|"
    r"future) (needs|uses|purposes)|future (uses|purposes|applications|services|scenarios|business)|"
    r"as (the business|needed|required from time to time)|all scenarios|smart[- ]everything|"
    r"包括但不限于|但不限于|其他用途|其他目的|等用途|未来.{0,6}(用途|场景|应用|业务)|后续.{0,6}(用途|场景|应用|拓展|扩展)|"
    r"一切|各类场景|全场景|赋能|拓展应用",
    re.IGNORECASE,
)


def _landmark(clause: str, start: int, end: int) -> bool:
    """Whether the place at clause[start:end] is named only as a landmark ('beside the changing room', '更衣室旁')."""
    before = clause[max(0, start - 40):start]
    asides = list(_ASIDE_EN.finditer(before))
    if asides and not _INSIDE_EN.search(before[asides[-1].end():]):
        return True
    return bool(_ASIDE_ZH_AFTER.match(clause[end:]) or _ASIDE_ZH_BEFORE.search(clause[:start]))


def private_places(clause: str) -> list[Mention]:
    """Private spaces (§5.1, the catch-all included) the clause puts something in, unless only as a landmark."""
    if negated(clause):
        return []
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for pattern, value in _PLACE_NAMES:
        for match in pattern.finditer(clause):
            if any(s <= match.start() < e for s, e in taken):
                continue
            taken.append(match.span())
            if not (_PART_AFTER.match(clause[match.end():]) or _landmark(clause, *match.span())):
                found.append(Mention("private_place", match.group(0), value))
    return found


# Words that make a clause speak of the people the deployment processes (a child merely named is not enrolled).
_PEOPLE = re.compile(
    r"enrol|regist|user|verif|pass|scan|\buse|captur|match|identif|recogni|check|attend|clock|pay|enter|access|"
    r"member|customer|guest|visitor|resident|passenger|patient|student|录入|注册|登记|刷脸|使用|采集|核验|识别|比对|"
    r"通行|进出|出入|考勤|打卡|支付|上课|到校|入园|入住|用户|会员|顾客|住户|乘客|学员|学生",
    re.IGNORECASE,
)


def minors(clause: str) -> list[Mention]:
    """Under-14s the clause counts among the people processed ('children pass the gates', '7-12岁的学员')."""
    if negated(clause) or not _PEOPLE.search(clause):
        return []
    found = [Mention("minor", m.group(0), "under_14") for m in _MINOR_WORDS.finditer(clause)]
    for match in _AGE.finditer(clause):
        ages = [int(g) for g in match.groups() if g]
        if ages and min(ages) < 14:
            found.append(Mention("minor", match.group(0), f"age {min(ages)}"))
    return found


def ages(text: str) -> list[int]:
    """Every age the text states ('aged 6 to 12', '7-12岁', '18 years old')."""
    return [int(g) for m in _AGE.finditer(text) for g in m.groups() if g]


def inferences(clause: str) -> list[Mention]:
    """Sensitive attributes the clause says are inferred from faces ('infers ethnicity', '判断情绪')."""
    if negated(clause) or not _INFER_VERB.search(clause):
        return []
    found = []
    for pattern, value in _INFERRED:
        match = re.search(pattern, clause, re.IGNORECASE)
        if match:
            found.append(Mention("inference", match.group(0), value))
    return found


def foreign_places(clause: str) -> list[Mention]:
    """Places outside mainland China the clause names (Hong Kong, Frankfurt, '境外'), unless it denies them."""
    if negated(clause):
        return []
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for pattern, value in _FOREIGN_NAMES:
        for match in pattern.finditer(clause):
            if any(s <= match.start() < e for s, e in taken):
                continue
            taken.append(match.span())
            found.append(Mention("foreign_place", match.group(0), value))
    return found


def burdens(clause: str) -> list[Mention]:
    """A fee, a wait, extra steps or a closure the clause puts on a non-biometric alternative (availability such as
    '24 hours a day' is no wait; replacing a lost card is not using the alternative)."""
    found: list[Mention] = []
    replacing = _REPLACEMENT.search(clause) is not None
    out = _OUT_OF_SERVICE.search(clause)
    if out and not re.search(r"\bnever\b|从不|从未|不会", clause, re.IGNORECASE):
        found.append(Mention("out_of_service", out.group(0), "out of service"))
    positive = any((number(m.group(1) or m.group(2)) or 0) > 0 for m in _MONEY.finditer(clause))
    if negated(clause) and not out and not positive:
        return found
    for match in _MONEY.finditer(clause):
        amount = number(match.group(1) or match.group(2))
        if amount and not replacing and not _FREE.search(clause[max(0, match.start() - 12):match.end() + 12]):
            found.append(Mention("fee", match.group(0), f"a fee of {match.group(0).strip()}"))
    fee = _FEE_WORDS.search(clause)
    if not any(m.kind == "fee" for m in found) and fee is not None and not _FREE.search(clause) and not replacing:
        found.append(Mention("fee", fee.group(0), "a fee"))
    if negated(clause) or replacing:
        return found
    timing = _AVAILABLE.sub(" ", clause)
    waits = [d for d in durations_days(timing) if d > 10 / 1440]
    stated_wait = _DURATION.search(timing)
    if waits and stated_wait is not None:  # durations_days found a duration, so _DURATION matches too
        found.append(Mention("wait", stated_wait.group(0), f"a wait of {_days(max(waits))}"))
    elif (w := _WAIT_WORDS.search(clause)) is not None:
        found.append(Mention("wait", w.group(0), "a wait"))
    if (s := _STEPS.search(clause)) is not None:
        found.append(Mention("steps", s.group(0), "extra steps"))
    if (h := _LIMITED_HOURS.search(clause)) is not None:
        found.append(Mention("hours", h.group(0), "limited hours"))
    return found


# A clause that speaks of the face (policy.coercion reads compulsion only in one, outside the alternatives' fields).
FACE = re.compile(r"\bfac(?:e|es|ial)\b|\bFR\b|刷脸|人脸", re.IGNORECASE)


def open_ended(clause: str) -> list[Mention]:
    """Words that leave a purpose open ('including but not limited to', '未来拓展用途')."""
    found = [Mention("open_ended", m.group(0), "an open-ended purpose") for m in _OPEN_ENDED.finditer(clause)]
    rest = clause
    for mention in found:
        rest = rest.replace(mention.words, " ")
    return [] if negated(rest) else found


# Uses beyond most purposes, as a purpose category; not a department or a firm of that name ("the marketing team").
_NOT_A_USE = r"(?!\s*(?:department|team|staff|office|agency|firm|company|manager|部|团队|人员|公司))"
_FURTHER_USES = (
    (r"\bmarketing\b|\badverti[sz]\w*|\bpromotion(?:s|al)\b|targeted (?:ads|offers)|personali[sz]ed (?:ads|offers|"
     r"recommendations)|营销|广告|推销|精准推送|促销", "marketing"),
    (r"\bfootfall\b|customer (?:flow|behaviou?r|analytics|profil\w*)|visitor analytics|shopper (?:behaviou?r|"
     r"analytics)|profil(?:e|es|ing) (?:of )?(?:customers|visitors|shoppers|users)|客流|顾客(?:分析|画像|行为)|"
     r"用户画像|消费(?:行为|习惯)|\btrack(?:s|ed|ing)? (?:(?:our|the) )?(?:shoppers|customers|consumers)\b|"
     r"(?:顾客|客户|消费者)[^，。；]{0,6}(?:轨迹|动线)|跨店(?:追踪|跟踪)", "customer_analytics"),
    (r"\brecogni[sz]\w*\s+(?:(?:our|the)\s+)?(?:returning|repeat|regular|frequent|vip)\b|识别(?:回头客|老顾客|老客户)",
     "customer_identification"),
    (r"(?:model|algorithm) training|train(?:ing)? (?:our |the |its )?(?:models?|algorithms?)|improve (?:our |the )?"
     r"(?:models?|algorithms?)|算法训练|模型训练|训练(?:算法|模型)|优化算法", "algorithm_training"),
)  # fmt: skip
_A_USE = re.compile(
    r"\b(?:used?|uses|using|serves?|for|to|so that|in order|lets? us)\b|用于|用作|用来|进行|开展|实现|支持|以便",
    re.IGNORECASE,
)
# What a 1:N search and a passive capture look like in words, where the tokens declare 1:1 and active capture.
_SEARCH = re.compile(
    r"\b1\s*:\s*N\b|\bone[- ]to[- ]many\b|\bwatch ?lists?\b|\bblack ?lists?\b"
    r"|\bidentif(?:y|ies|ying|ication of)\s+(?:(?:every|each|all|any)\s*(?:one|body|person|people|visitors?|"
    r"customers?|passengers?|faces?)|people|persons|individuals|visitors|customers|passengers|pedestrians|residents|"
    r"passers-?by|strangers|faces|unknown|whoever|who (?:enters|passes|comes))\b"
    r"|\bsearch(?:es|ed|ing)?\b[^.;]{0,40}?\b(?:gallery|watch ?list|everyone|all (?:enrolled|registered)|"
    r"(?:whole|entire|full) database)"
    r"|\bcompar(?:e|es|ed|ing)\b[^.;]{0,30}?\b(?:against|with) (?:all|every|everyone|the (?:whole|entire|full))\b"
    r"|\brecogni[sz]\w*\s+(?:(?:our|the)\s+)?(?:returning|repeat|regular|frequent)\b|识别(?:回头客|老顾客|老客户)"
    r"|1\s*[:：]\s*N|一对多|辨识|黑名单|布控|(?:检索|搜索|比对)[^，。；]{0,8}(?:全部|所有|全库)|(?:全部|所有|全库)[^，。；]{0,8}"
    r"(?:检索|搜索|逐一比对|比对)",
    re.IGNORECASE,
)
_PASSIVE = re.compile(
    r"\bnon-?perceptible\b|\bwithout (?:(?:their|people's|the person's|visitors'|customers') )?"
    r"(?:knowledge|noticing)\b|\bpassively\b|无感|远距离识别",
    re.IGNORECASE,
)
# Read as a passive capture only in a clause about the face or a camera ("visitors with a QR code pass without
# stopping" is not one).
_AS_THEY_PASS = re.compile(
    r"\bas (?:people|they|visitors|customers|passengers|pedestrians) (?:walk|pass|enter|go)\b|"
    r"\bwithout (?:stopping|slowing down|any action)\b|无需停留|不停留",
    re.IGNORECASE,
)


def further_uses(clause: str, category: str) -> list[Mention]:
    """Uses the clause puts facial data to beyond the purpose `category` ('also used for marketing', '用于精准营销')."""
    if negated(clause) or not _A_USE.search(clause):
        return []
    shops = {"marketing", "customer_analytics", "customer_identification"}
    related = shops if category in shops else {category}
    found = []
    for pattern, value in _FURTHER_USES:
        match = re.search(f"(?:{pattern}){_NOT_A_USE}", clause, re.IGNORECASE)
        if match and value not in related:
            found.append(Mention("further_use", match.group(0), value))
    return found


# Faces put to live use: loaded into a door, gate or till system, or matched live ("live face-entry trial", 刷脸通行).
_LIVE_USE = re.compile(
    r"\blive\b[^.;]{0,20}?\b(?:match\w*|recogni\w*|identif\w*|verif\w*|entry|access|trial|pilot|use|operation)\b"
    r"|\b(?:loaded|imported|enrolled|synced|synchronised|synchronized|uploaded|fed|put|deployed)\s+(?:in)?to\s+"
    r"(?:the |our |its |a |an )?(?:[\w-]+ ){0,3}?(?:gates?|turnstiles?|doors?|door access|access control|entrance"
    r" system|entry system|attendance|payment|checkout|tills?)\b"
    r"|(?:导入|接入|部署到|部署至|同步至|同步到|加载到|录入|用于)[^，。；]{0,12}?(?:门禁|闸机|考勤|收银|支付系统|通行系统)"
    r"|(?:实时|现场)(?:刷脸|人脸)?(?:比对|识别|通行|核验|开门)|刷脸(?:通行|开门|进门|进出|考勤|打卡|支付|签到)",
    re.IGNORECASE,
)


def live_uses(clause: str) -> list[Mention]:
    """Words that put faces to live use ('loaded into the office gates', '实时刷脸通行'): never an R&D data set's."""
    if negated(clause):
        return []
    return [Mention("live_use", m.group(0), "live matching") for m in _LIVE_USE.finditer(clause)]


def searches(clause: str) -> list[Mention]:
    """Words that describe a 1:N search ('searches the gallery', '布控') or a passive capture ('无感', 'as people
    walk past')."""
    found = [Mention("search", m.group(0), "identification") for m in _SEARCH.finditer(clause)]
    found += [Mention("search", m.group(0), "passive") for m in _PASSIVE.finditer(clause)]
    if FACE.search(clause) or PLACEMENT.search(clause):  # a capture, not a notice shown as people enter
        found += [Mention("search", m.group(0), "passive") for m in _AS_THEY_PASS.finditer(clause)]
    return [m for m in found if not negated(clause, besides=m.words)]  # "without stopping" denies nothing


def _days(days: float) -> str:
    if days < 1:
        minutes = round(days * 1440)
        return f"{minutes} minutes" if minutes < 120 else f"{round(days * 24)} hours"
    return f"{days:g} days"
