"""Closed bilingual vocabularies for the facts a spec declares: each value has zh and en labels and the synonyms
real specs use; free text resolves to one canonical value or is refused naming the nearest allowed values."""

import difflib
import re
from dataclasses import dataclass, field

from facegate.errors import InputError


@dataclass(frozen=True)
class Term:
    """One allowed value: its canonical token, Chinese and English labels, synonyms and the facts it implies."""

    value: str
    zh: str
    en: str
    synonyms: tuple[str, ...] = ()
    tags: frozenset[str] = field(default_factory=frozenset)


def _t(value: str, zh: str, en: str, *synonyms: str, tags: str = "") -> Term:
    return Term(value, zh, en, synonyms, frozenset(tags.split()))


# Location types (where the devices are). Tag `private` = a private space within a public place (§5.1 catch-all,
# regulation.md §5: "any spot where devices could film, peep at or eavesdrop on privacy"); the conservative extras
# (treatment rooms, entertainment private rooms) are blocked by name under cn2023-draft only.
LOCATION_TYPES: tuple[Term, ...] = (
    # §5.1 named and extras: values are the catalogue's own names.
    _t("hotel_room", "酒店客房", "hotel room", "hotel guest room", "酒店房间", "宾馆客房", "宾馆房间", "饭店客房",
       "客房", "酒店客房内", tags="private"),
    _t("guest_room_lodging", "住宿场所客房（民宿、旅馆等）", "guest room in lodging (B&B, inn, hostel)", "guest room",
       "bnb room", "b&b room", "homestay room", "hostel room", "inn room", "motel room", "民宿客房", "民宿房间",
       "旅馆房间", "旅店客房", "招待所房间", "private dining room", "餐饮包间", "包间", tags="private"),
    _t("public_bathroom_bathhouse", "公共浴室、洗浴场所", "public bathroom or bathhouse", "bathhouse", "bath house",
       "public bath", "public bathroom", "bathroom", "shower room", "shower", "sauna", "spa bathing area", "浴室",
       "公共浴室", "澡堂", "浴池", "洗浴中心", "洗浴场所", "淋浴间", "桑拿", "汗蒸房", tags="private"),
    _t("public_changing_room", "公共更衣室", "public changing room", "changing room", "changing area",
       "locker room", "dressing room", "locker area", "更衣室", "更衣间", "更衣区", "换衣间", "更衣柜", "储物柜区",
       tags="private"),
    _t("public_toilet", "公共卫生间", "public toilet", "toilet", "restroom", "washroom", "lavatory", "wc",
       "公共厕所", "公厕", "厕所", "卫生间", "洗手间", tags="private"),
    _t("other_private_space", "其他私密空间", "other private space", "private space", "private room", "私密空间",
       "私密场所", "massage room", "massage parlour room", "beauty treatment room", "beauty salon room",
       "spa treatment room", "按摩房", "按摩室", "按摩间", "美容室", "美容包间", "理疗室", "bedroom", "卧室",
       "居室", "房间", "elderly resident room", "care home room", "resident room", "老人房间", "养老院房间",
       tags="private"),
    _t("fitting_room", "试衣间", "fitting room", "试衣室", "试衣区", tags="private"),
    _t("nursing_room", "母婴室", "nursing room", "lactation room", "mother and baby room", "breastfeeding room",
       "哺乳室", tags="private"),
    _t("dormitory_room", "宿舍房间", "dormitory room", "dormitory", "dorm room", "dorm", "student dormitory room",
       "宿舍", "学生宿舍", "员工宿舍房间", tags="private"),
    _t("staff_rest_room", "员工休息室", "staff rest room", "staff lounge", "break room", "rest room for staff",
       "休息室", "员工休息区", tags="private"),
    _t("hospital_ward", "住院病房", "inpatient ward", "hospital ward", "ward", "patient room", "patient ward",
       "病房", "住院病房", "病区病房", "icu", "重症监护室", tags="private"),
    _t("hospital_ward_or_treatment_room", "诊疗室", "treatment or consulting room", "treatment room",
       "consulting room", "examination room", "clinic room", "诊室", "诊疗室", "治疗室", "检查室"),
    _t("entertainment_private_room", "娱乐场所包房", "private room in an entertainment venue", "ktv room",
       "karaoke room", "karaoke booth", "ktv包房", "ktv包间", "ktv包厢", "包房", "包厢", "娱乐包间"),
    # Shared areas (not private spaces).
    _t("entrance", "出入口", "entrance", "entry", "exit", "door", "doorway", "gate", "main gate", "front door",
       "entrance gate", "entry gate", "pedestrian gate", "staff entrance", "门口", "入口", "出口", "出入口", "大门",
       "门禁", "人行通道", "通道", "单元门", "门", "进站口", "出站口", "门岗"),
    _t("turnstile", "闸机", "turnstile", "speed gate", "ticket gate", "ticket barrier", "barrier", "闸机口",
       "检票口", "检票闸机", "人脸闸机"),
    _t("lobby", "大堂", "lobby", "foyer", "hall", "atrium", "concourse", "waiting hall", "大厅", "大堂", "中庭",
       "候车厅", "候机厅", "营业大厅", "营业厅", "门厅"),
    _t("service_window", "服务窗口", "service window", "window", "pharmacy", "pharmacy window",
       "registration window", "窗口", "服务窗口", "挂号窗口", "收费窗口", "药房", "取药窗口"),
    _t("time_clock", "考勤终端", "attendance terminal", "time clock", "attendance machine", "clock-in terminal",
       "打卡机", "考勤机", "考勤终端"),
    _t("meeting_room", "会议室", "meeting room", "conference room", "boardroom", "会议室", "洽谈室"),
    _t("lift_lobby", "电梯厅", "lift lobby", "elevator lobby", "lift", "elevator", "lift car", "电梯厅", "电梯间",
       "电梯", "电梯轿厢", "候梯厅"),
    _t("corridor", "走廊", "corridor", "hallway", "passage", "walkway", "走廊", "过道", "楼道"),
    _t("front_desk", "前台", "front desk", "reception", "reception desk", "check-in desk", "counter", "service desk",
       "service counter", "前台", "接待台", "服务台", "柜台", "总台", "登记台"),
    _t("checkout", "收银台", "checkout", "till", "cash register", "cashier", "payment terminal", "pos terminal",
       "收银台", "收银处", "结账处", "支付终端"),
    _t("self_service_terminal", "自助终端", "self-service terminal", "kiosk", "self-service kiosk", "atm",
       "vending machine", "自助机", "自助终端", "自助设备", "取款机", "收银机", "自助收银机", "自助收银"),
    _t("canteen", "食堂", "canteen", "cafeteria", "dining hall", "staff canteen", "食堂", "餐厅", "员工食堂"),
    _t("office_area", "办公区", "office area", "office", "office floor", "workstation", "agent workstation", "desk",
       "办公室", "办公区", "工位"),
    _t("workshop_floor", "生产车间", "workshop floor", "factory floor", "production line", "warehouse floor",
       "loading dock", "loading bay", "车间", "生产线", "仓库", "装卸区"),
    _t("security_checkpoint", "安检口", "security checkpoint", "security check", "checkpoint", "border control",
       "passport control", "security", "安检口", "安检通道", "边检通道", "查验通道", "安检"),
    _t("platform", "站台", "platform", "boarding gate", "站台", "登机口"),
    _t("car_park", "停车场", "car park", "parking lot", "garage", "parking garage", "停车场", "车库"),
    _t("classroom", "教室", "classroom", "lecture hall", "教室", "课堂"),
    _t("exam_room", "考场", "exam room", "examination hall", "test centre room", "考场", "考室"),
    _t("sales_floor", "营业区", "sales floor", "shop floor", "store", "shop", "retail area", "aisle",
       "store entrance", "卖场", "商店", "门店", "店内", "货架区"),
    _t("public_square", "广场、街道", "public square or street", "square", "plaza", "street", "road",
       "pedestrian street",
       "park", "广场", "街道", "步行街", "公园", "路口"),
    _t("gym_floor", "健身区", "gym floor", "gym", "fitness area", "swimming pool", "pool deck", "健身房", "健身区",
       "游泳馆", "游泳池"),
    _t("ward_corridor", "病区走廊", "ward corridor", "nurses' station", "护士站", "病区走廊"),
    _t("online", "线上（手机或电脑）", "online (phone or computer)", "mobile app", "app", "website", "web", "online",
       "mini program", "h5 page", "手机应用", "网站", "小程序", "线上", "手机app"),
)  # fmt: skip

# Premises types. Tags: business (CN23-T05), children (under-14s likely, §8 Q15), education, workplace,
# residential (SPC21-10), lodging, medical.
PREMISES_TYPES: tuple[Term, ...] = (
    _t("hotel", "酒店、宾馆", "hotel", "宾馆", "酒店", "饭店", "motel", "inn", "hostel", "旅馆", "旅店", "民宿", "b&b",
       "homestay", "guesthouse", "serviced apartment", "招待所", "酒店式公寓", "快捷酒店", tags="business lodging"),
    _t("bank", "银行网点", "bank", "bank branch", "银行", "银行网点", "营业网点", "credit union", "信用社",
       "securities branch", "securities company branch", "brokerage", "insurance office", "证券营业部", "证券公司",
       "保险公司", tags="business"),
    _t("station", "车站", "railway or bus station", "station", "railway station", "train station", "bus station",
       "coach station", "metro station", "subway station", "bus terminal", "coach terminal", "port", "ferry terminal",
       "火车站", "高铁站", "汽车站", "客运站", "地铁站", "车站", "港口", "码头", "客运码头",
       tags="business"),
    _t("airport", "机场", "airport", "机场", "航站楼", "terminal building", tags="business"),
    _t("sports_venue", "体育场馆", "sports venue", "stadium", "arena", "sports centre", "体育馆", "体育场",
       "体育场馆", tags="business"),
    _t("exhibition_hall", "展览馆", "exhibition hall", "exhibition centre", "convention centre", "展览馆", "会展中心",
       tags="business"),
    _t("museum", "博物馆", "museum", "博物馆", "纪念馆", tags="business"),
    _t("art_gallery", "美术馆", "art gallery", "gallery", "美术馆", tags="business"),
    _t("library", "图书馆", "library", "图书馆", tags="business"),
    _t("shopping_mall", "商场", "shopping mall", "mall", "shopping centre", "department store", "supermarket",
       "retail store", "store", "shop", "convenience store", "pharmacy", "drugstore", "商场", "购物中心", "百货",
       "超市", "商店", "门店", "便利店", "药店", tags="business"),
    _t("entertainment_venue", "娱乐场所", "entertainment venue", "ktv", "karaoke", "cinema", "theatre", "bar",
       "nightclub", "internet cafe", "theme park", "amusement park", "scenic area", "tourist attraction", "ktv",
       "scenic spot", "tourist site", "电影院", "剧院", "酒吧", "网吧", "游乐园", "主题公园", "景区", "娱乐场所",
       tags="business"),
    _t("bathhouse_venue", "洗浴场所", "bathhouse or spa", "bathhouse", "spa", "sauna", "洗浴中心", "浴场", "会所",
       tags="business"),
    _t("restaurant", "餐饮场所", "restaurant", "restaurant", "café", "cafe", "餐厅", "饭店餐厅", "餐馆",
       tags="business"),
    _t("gym", "健身场所", "gym or fitness centre", "gym", "fitness centre", "fitness club", "swimming pool",
       "健身房", "游泳馆", "健身中心", tags="business"),
    _t("residential_property", "住宅小区", "residential property", "residential compound", "residential estate",
       "housing estate", "residential community", "gated community", "apartment complex", "apartment building",
       "residential building", "condominium", "小区", "住宅小区", "居民小区", "住宅区", "社区", "公寓", "住宅楼",
       "物业小区", tags="residential"),
    _t("kindergarten", "幼儿园", "kindergarten", "nursery school", "preschool", "幼儿园", "托儿所", "托育机构",
       "childcare centre", "daycare", "早教中心", tags="children education"),
    _t("primary_school", "小学", "primary school", "elementary school", "小学", tags="children education"),
    _t("junior_high_school", "初中", "junior high school", "junior middle school", "middle school",
       "lower secondary school", "初中", "初级中学", "九年一贯制学校", tags="children education"),
    _t("school", "中小学校", "school (primary or secondary)", "school", "k-12 school", "学校", "中小学", "中学",
       "完全中学", "校园", tags="children education"),
    _t("senior_high_school", "高中", "senior high school", "high school", "upper secondary school", "高中",
       "高级中学", "vocational school", "职业高中", "中职", tags="education"),
    _t("youth_centre", "青少年活动场所", "youth or children's activity centre", "youth centre", "children's centre",
       "playground", "children's playground", "after-school centre", "training school for children",
       "少年宫", "青少年活动中心", "儿童乐园", "游乐场", "课外培训机构", tags="children"),
    _t("university", "高等院校", "university or college", "university", "college", "campus", "大学", "高校",
       "学院", tags="education"),
    _t("training_centre", "培训机构", "training centre", "training centre", "training institution", "driving school",
       "驾校", "培训机构",
       tags="education"),
    _t("exam_centre", "考试场所", "exam centre", "examination centre", "test centre", "考点", "考试中心",
       tags="education"),
    _t("hospital", "医疗机构", "hospital or clinic", "hospital", "clinic", "medical centre", "health centre", "医院",
       "诊所", "卫生院", "社区卫生服务中心", tags="medical business"),
    _t("elderly_care", "养老机构", "elderly care home", "care home", "nursing home", "retirement home", "养老院",
       "敬老院", "养老机构", tags="medical"),
    _t("office", "办公场所", "office", "office building", "office tower", "commercial office", "headquarters",
       "office park", "business park", "industrial park", "corporate campus", "data centre", "data center", "写字楼",
       "办公楼", "办公场所", "总部", "园区", "产业园", "企业园区", "数据中心", tags="workplace"),
    _t("workplace", "工作场所", "workplace", "workplace", "工作场所", "单位", tags="workplace"),
    _t("factory", "工厂", "factory", "plant", "manufacturing site", "工厂", "厂区", tags="workplace"),
    _t("warehouse", "仓库", "warehouse", "logistics centre", "distribution centre", "仓库", "物流中心",
       tags="workplace"),
    _t("call_centre", "呼叫中心", "call centre", "呼叫中心", "客服中心", tags="workplace"),
    _t("construction_site", "建筑工地", "construction site", "工地", "施工现场", tags="workplace"),
    _t("government_office", "政务服务场所", "government service hall", "government office", "service hall",
       "government service centre", "government service center", "政务服务中心", "政务大厅", "行政服务中心",
       "办事大厅", tags="business"),
    _t("dormitory_building", "宿舍楼", "dormitory building", "dormitory", "staff dormitory", "student dormitory",
       "宿舍", "宿舍楼", "员工宿舍", "学生宿舍"),
    _t("car_park", "停车场", "car park", "parking lot", "parking garage", "停车场", "停车库", tags="business"),
    _t("fuel_station", "加油站", "fuel station", "gas station", "petrol station", "加油站", "充电站", tags="business"),
    _t("public_security_facility", "公安机关场所", "public security facility", "police station",
       "public security bureau", "detention centre", "派出所", "公安局", "看守所", "出入境大厅"),
    _t("port_of_entry", "口岸", "port of entry", "border crossing", "border port", "口岸", "边检站"),
    _t("public_street", "城市公共道路", "public street or square", "street", "public square", "road",
       "city centre", "街道", "道路", "城市广场"),
    _t("online_service", "线上服务", "online service", "online", "mobile app", "website", "online platform",
       "ride-hailing platform", "mobile banking", "线上", "互联网平台", "网约车平台", "手机银行", "平台"),
)  # fmt: skip

PURPOSES: tuple[Term, ...] = (
    _t("identity_verification", "身份核验", "identity verification", "identity check", "real-name verification",
       "kyc", "check-in", "hotel check-in", "boarding", "身份验证", "身份核验", "实名认证", "实名核验", "入住登记",
       "登机核验"),
    _t("access_control", "门禁通行", "access control", "entry control", "door access", "visitor management",
       "门禁", "通行", "出入管理", "门禁通行", "访客管理"),
    _t("attendance", "考勤", "attendance", "time and attendance", "timekeeping", "clock-in", "考勤", "打卡"),
    _t("payment", "支付", "payment", "face payment", "刷脸支付", "支付"),
    _t("device_unlock", "设备解锁", "device unlock", "unlock", "解锁", "设备解锁"),
    _t("account_recovery", "账号找回", "account recovery", "password reset", "找回账号", "账号找回"),
    _t("public_security", "维护公共安全", "public security", "public safety", "law enforcement",
       "公共安全", "维护公共安全", "治安"),
    _t("premises_security", "场所安保（经营者自行）", "premises security by the operator", "security",
       "site security", "building security", "安防", "安保", "安全管理"),
    _t("customer_identification", "客户识别", "customer identification", "vip recognition", "member recognition",
       "客户识别", "会员识别"),
    _t("exam_proctoring", "考试身份核验与监考", "exam proctoring", "proctoring", "exam identity check", "exam",
       "examination", "监考", "考生身份核验", "考试"),
    _t("marketing", "营销", "marketing", "advertising", "营销", "广告"),
    _t("customer_analytics", "客流分析", "customer analytics", "footfall analytics", "visitor analytics",
       "客流分析", "顾客分析", "客流统计"),
    _t("loss_prevention", "防损（商业防盗）", "loss prevention", "shoplifting prevention", "theft prevention",
       "shoplifter watchlist", "防损", "防盗", "黑名单"),
    _t("algorithm_training", "算法训练", "algorithm training", "model training", "r&d", "算法训练", "模型训练"),
    _t("other", "其他", "other", "其他"),
)  # fmt: skip

# Analyses besides matching. Values are regulation.md §5.2 names where one exists; tag `context_emotion` means the
# setting decides (workplace, education).
ANALYSES: tuple[Term, ...] = (
    _t("race", "种族", "race", "skin colour", "skin color", "skin tone", "race_ethnicity", "种族", "肤色"),
    _t("ethnicity", "民族", "ethnicity", "ethnic origin", "ethnic group", "民族"),
    _t("religion", "宗教信仰", "religious belief", "religion", "religious_belief", "philosophical belief", "宗教",
       "宗教信仰"),
    _t("health", "健康状况", "health status", "health", "health_status", "medical condition", "illness", "disease",
       "pain", "pain level", "pain_level", "pain score", "fatigue", "drowsiness", "fever", "body temperature",
       "symptoms", "disability", "mental state", "depression", "heart rate", "bmi", "body weight", "weight",
       "健康", "健康状况", "疼痛", "疼痛程度", "疲劳", "心率", "体重",
       "疲劳程度", "困倦", "发热", "体温", "疾病", "残疾", "精神状态"),
    _t("social_class", "社会阶层", "social class", "社会阶层", "阶层"),
    _t("other_sensitive_pi", "其他敏感个人信息", "other sensitive personal information", "whereabouts",
       "movement trajectory", "trajectory", "location tracking", "financial account", "行踪", "行踪轨迹", "轨迹",
       "其他敏感个人信息"),
    _t("political_opinion", "政治观点", "political opinion", "political_opinions", "political views", "政治观点"),
    _t("trade_union", "工会会员身份", "trade-union membership", "trade union", "trade_union_membership", "工会"),
    _t("sex_life_orientation", "性生活或性取向", "sex life or sexual orientation", "sexual orientation", "sex life",
       "性取向"),
    _t("emotion", "情绪", "emotion", "emotions", "emotion recognition", "affect", "mood", "facial expression",
       "expression", "attention", "engagement", "concentration", "smile detection", "smile", "情绪", "表情",
       "专注度", "注意力", "情绪识别", "微笑",
       tags="context_emotion"),
    _t("emotion_workplace", "工作场所情绪识别", "emotion recognition at work", "情绪识别（工作场所）"),
    _t("emotion_education", "教育场所情绪识别", "emotion recognition in education", "情绪识别（教育）"),
    _t("work_performance", "工作表现", "work performance", "productivity", "工作表现", "绩效"),
    _t("economic_status", "经济状况", "economic status", "wealth", "income", "spending power", "经济状况", "收入",
       "消费能力"),
    _t("preferences", "个人偏好", "preferences", "shopping preferences", "偏好", "购物偏好", "消费偏好"),
    _t("interests", "兴趣", "interests", "兴趣", "兴趣爱好"),
    _t("age", "年龄估计", "age estimation", "age", "age estimate", "age range", "年龄", "年龄估计", "年龄段"),
    _t("gender", "性别", "gender", "sex", "性别"),
    _t("liveness", "活体检测", "liveness detection", "liveness", "anti-spoofing", "presentation attack detection",
       "活体检测", "防伪"),
    _t("mask_wearing", "口罩佩戴检测", "mask-wearing detection", "mask", "mask detection", "口罩", "口罩检测",
       "口罩佩戴"),
    _t("appearance", "外貌评分", "appearance or attractiveness scoring", "attractiveness", "beauty score",
       "颜值", "外貌"),
    _t("personality", "性格推断", "personality inference", "personality", "character", "性格"),
    _t("people_counting", "人数统计", "people counting", "visitor count", "footfall count", "人数统计", "客流计数"),
    _t("image_quality", "图像质量检测", "image quality check", "quality", "quality check", "图像质量"),
    _t("visit_frequency", "到访频次统计", "visit frequency", "repeat visits", "returning visitor", "dwell time",
       "re-identification", "到访次数", "到访频次", "停留时长", "重识别"),
)  # fmt: skip

# Non-biometric alternatives. Values the gate verifies itself keep the gate's names (pin, totp, checkin_code,
# passkey, staff_assisted / id_document).
ALTERNATIVES: tuple[Term, ...] = (
    _t("access_card", "门禁卡、工卡", "access card", "staff card", "badge", "id badge", "employee card", "rfid card",
       "ic card", "smart card", "pupil card", "student card", "campus card", "resident card", "门禁卡", "工卡", "工牌",
       "学生卡", "校园卡", "一卡通", "ic卡", "刷卡"),
    _t("key_card", "房卡、钥匙", "key card or key", "key card", "room card", "key", "physical key", "locker key",
       "wristband key", "wristband", "房卡", "钥匙", "手牌", "手环", "钥匙牌"),
    _t("pin", "密码", "PIN or password", "pin code", "password", "passcode", "door code", "密码", "数字密码"),
    _t("totp", "动态口令", "one-time password app", "authenticator app", "one_time_password", "otp", "动态口令"),
    _t("checkin_code", "核验码、二维码", "check-in code or QR code", "qr code", "qr_code", "one_time_code",
       "booking code", "ticket code", "二维码", "核验码", "扫码"),
    _t("passkey", "通行密钥", "passkey", "webauthn", "security key", "fido2", "通行密钥"),
    _t("staff_assisted", "工作人员人工核验", "check by staff", "staff", "staff check", "staff desk", "staff_desk",
       "manual check", "manual_check", "front desk", "reception", "teacher check", "guard check",
       "security guard", "staffed lane", "staffed lane id check", "manned lane", "video call with staff",
       "staff video call", "visitor registration", "人工核验", "人工通道", "人工窗口", "工作人员核验", "保安核验",
       "前台办理", "人工服务", "视频人工核验", "保安登记", "访客登记"),
    _t("id_document", "出示身份证件", "identity document shown to staff", "id card", "id document", "id_card",
       "identity card", "passport", "resident identity card", "branch counter with id card",
       "counter with id card", "身份证", "身份证件", "证件核验", "出示证件", "柜台办理", "刷身份证"),
    _t("sms_code", "短信验证码", "SMS code", "sms", "sms code", "text message code", "verification code",
       "phone number verification", "短信验证码", "验证码", "手机号验证"),
    _t("mobile_app", "手机应用开门", "phone app", "app", "mobile app", "phone", "nfc phone", "nfc", "bluetooth key",
       "手机开门", "手机app", "手机蓝牙", "蓝牙开门"),
    _t("fingerprint", "指纹", "fingerprint (another biometric)", "fingerprint", "指纹", tags="biometric"),
    _t("bank_card", "银行卡", "bank card", "card payment", "cash", "银行卡", "现金", "刷卡支付"),
    _t("signature", "签名", "signature", "paper sign-in", "sign-in sheet", "签名", "签到表", "纸质登记"),
)  # fmt: skip

COUNTRIES: tuple[Term, ...] = (
    _t("CN", "中国（境内）", "mainland China", "china", "prc", "mainland china", "中国", "中国大陆", "境内", "cn"),
    _t("HK", "中国香港", "Hong Kong SAR", "hong kong", "hksar", "香港", "hk"),
    _t("MO", "中国澳门", "Macao SAR", "macao", "macau", "澳门", "mo"),
    _t("TW", "中国台湾", "Taiwan, China", "taiwan", "台湾", "tw"),
    _t("US", "美国", "United States", "usa", "united states of america", "america", "美国", "us"),
    _t("GB", "英国", "United Kingdom", "uk", "britain", "great britain", "england", "英国", "gb"),
    _t("DE", "德国", "Germany", "deutschland", "德国", "de"),
    _t("FR", "法国", "France", "法国", "fr"),
    _t("NL", "荷兰", "Netherlands", "holland", "荷兰", "nl"),
    _t("IE", "爱尔兰", "Ireland", "爱尔兰", "ie"),
    _t("CH", "瑞士", "Switzerland", "瑞士", "ch"),
    _t("SE", "瑞典", "Sweden", "瑞典", "se"),
    _t("IT", "意大利", "Italy", "意大利", "it"),
    _t("ES", "西班牙", "Spain", "西班牙", "es"),
    _t("JP", "日本", "Japan", "日本", "jp"),
    _t("KR", "韩国", "South Korea", "korea", "republic of korea", "韩国", "kr"),
    _t("SG", "新加坡", "Singapore", "新加坡", "sg"),
    _t("MY", "马来西亚", "Malaysia", "马来西亚", "my"),
    _t("TH", "泰国", "Thailand", "泰国", "th"),
    _t("VN", "越南", "Vietnam", "viet nam", "越南", "vn"),
    _t("ID", "印度尼西亚", "Indonesia", "印尼", "印度尼西亚", "id"),
    _t("IN", "印度", "India", "印度", "in"),
    _t("AE", "阿联酋", "United Arab Emirates", "uae", "阿联酋", "ae"),
    _t("AU", "澳大利亚", "Australia", "澳大利亚", "au"),
    _t("CA", "加拿大", "Canada", "加拿大", "ca"),
    _t("RU", "俄罗斯", "Russia", "russian federation", "俄罗斯", "ru"),
    _t("BR", "巴西", "Brazil", "巴西", "br"),
    _t("EU", "欧盟（多国）", "European Union (several states)", "eu", "european union", "欧盟"),
)  # fmt: skip

# Who the handler is (§4.8: a public-security purpose needs a public security organ or its written commission).
HANDLER_KINDS: tuple[Term, ...] = (
    _t("enterprise", "企业", "enterprise", "company", "business", "corporation", "企业", "公司"),
    _t("public_security_organ", "公安机关", "public security organ", "police", "public security bureau",
       "public security", "police department", "railway public security", "公安机关", "公安局", "公安",
       "派出所", "铁路公安"),
    _t("state_organ", "其他国家机关", "state organ", "government agency", "government", "国家机关", "政府部门",
       "行政机关"),
    _t("public_institution", "事业单位", "public institution", "public hospital", "public school", "事业单位"),
    _t("social_organisation", "社会组织", "social organisation", "association", "ngo", "社会组织", "协会"),
    _t("individual", "个人", "individual", "个人"),
)  # fmt: skip

# Small enums of the spec contract, accepted in Chinese too, with labels for documents.
SETTINGS: tuple[Term, ...] = (
    _t("public_place", "公共场所", "public place", "公共场所", "public"),
    _t("private_premises", "非公共场所（自有或内部场所）", "private premises", "内部场所", "非公共场所", "private"),
    _t("online", "线上", "online", "线上", "互联网"),
)
MODALITIES: tuple[Term, ...] = (
    _t("verification", "1:1 人脸验证", "1:1 verification", "1:1", "1to1", "验证", "人脸验证", "验证个人身份"),
    _t("identification", "1:N 人脸辨识", "1:N identification", "1:n", "1ton", "辨识", "人脸辨识", "辨识特定个人"),
)
LEGAL_BASES: tuple[Term, ...] = (
    _t("separate_consent", "单独同意", "separate consent", "consent", "单独同意", "同意"),
    _t("written_consent", "书面同意", "written consent", "书面同意"),
    _t("statutory", "履行法定职责或法定义务所必需", "statutory duty or obligation", "law", "legal obligation",
       "法定", "法定职责", "法定义务"),
    _t("contract", "订立、履行合同或人力资源管理所必需", "contract or human-resources management", "contract",
       "employment", "合同", "人力资源管理"),
)
STORAGE_LOCATIONS: tuple[Term, ...] = (
    _t("device", "人脸识别设备内", "in the recognition device", "on device", "device_only", "设备", "设备内",
       "终端"),
    _t("on_premises", "处理者自有服务器", "the handler's own servers", "on premises", "server", "local server",
       "本地服务器", "自有服务器"),
    _t("cloud", "云服务", "a cloud service", "云", "云端", "云服务"),
)
RAW_IMAGES: tuple[Term, ...] = (
    _t("discard", "比对后删除原始图像", "raw images discarded after matching", "delete", "删除", "不保留"),
    _t("retain_with_consent", "经单独同意保留原始图像", "raw images kept with separate consent", "同意后保留"),
    _t("retain_by_law", "依法律规定保留原始图像", "raw images kept as a law requires", "依法保留"),
)
TRANSFER_MECHANISMS: tuple[Term, ...] = (
    _t("security_assessment", "数据出境安全评估", "CAC security assessment", "security assessment", "安全评估",
       "数据出境安全评估"),
    _t("standard_contract", "个人信息出境标准合同", "CAC standard contract", "standard contract", "scc", "标准合同",
       "个人信息出境标准合同"),
    _t("certification", "个人信息保护认证", "personal information protection certification", "certification",
       "个人信息保护认证", "认证"),
    _t("other_law", "法律、行政法规规定的其他条件", "other conditions set by law", "other", "其他条件"),
)
CLAIMS: tuple[Term, ...] = (
    _t("statutory_basis", "法定职责或义务作为处理依据", "a statutory duty as the legal basis", "statutory",
       "legal_basis"),
    _t("sole_method", "国家规定人脸识别为唯一方式", "a state provision making face recognition the sole method",
       "sole_method_ref"),
    _t("public_security", "维护公共安全的目的", "a public-security purpose", "public_security_purpose"),
    _t("raw_images_by_law", "依法保留原始图像", "raw images kept by law", "retain_by_law"),
    _t("notice_exemption", "免于告知", "exemption from notice", "no_notice"),
    _t("public_security_commission", "公安机关书面委托", "a written commission from a public security organ",
       "commission"),
)

VOCABULARIES: dict[str, tuple[Term, ...]] = {
    "location_type": LOCATION_TYPES,
    "premises_type": PREMISES_TYPES,
    "purpose": PURPOSES,
    "analysis": ANALYSES,
    "alternative": ALTERNATIVES,
    "country": COUNTRIES,
    "handler_kind": HANDLER_KINDS,
    "setting": SETTINGS,
    "modality": MODALITIES,
    "legal_basis": LEGAL_BASES,
    "storage_location": STORAGE_LOCATIONS,
    "raw_images": RAW_IMAGES,
    "transfer_mechanism": TRANSFER_MECHANISMS,
    "claim": CLAIMS,
}

_CJK = re.compile(r"[\u3400-\u9fff]")
# Words that start a modifier after the head noun in English ("lift lobby by the guest room").
_PREPOSITIONS = frozenset({
    "by", "near", "beside", "next", "outside", "opposite", "facing", "at", "in", "inside", "of", "on", "for", "to",
    "from", "within", "behind", "along", "serving", "leading", "towards", "toward", "adjacent", "across", "between",
    "under", "over", "above", "below",
})  # fmt: skip
_LOCATIVES = re.compile(r"旁边|旁|附近|外侧|外面|门外|对面|周边|边上|隔壁")
# Heads that are part of the room they follow: a device on a guest room's door or lock is in the guest room.
_PART_OF = frozenset({"door", "lock", "doorlock", "interior", "inside", "bedside", "bed"})
_PART_OF_ZH = ("门", "门锁", "锁", "内", "里", "床头", "床旁")
_ARTICLES = frozenset({"the", "a", "an", "each", "every", "all", "our"})


def has_chinese(text: str) -> bool:
    """Whether the text contains Chinese characters."""
    return bool(_CJK.search(text))


def _word(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and len(word) > 3 and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _key(text: str) -> str:
    text = re.sub(r"[\s_\-/,.;:()（）'’\"]+", " ", text.lower()).strip()
    text = re.sub(r"\bcheck in\b", "checkin", text)
    return " ".join(_word(w) for w in text.split() if w not in _ARTICLES)


def _compact(text: str) -> str:
    return re.sub(r"[\s_\-/,.;:()（）'’\"、，。；：]+", "", text.lower())


@dataclass(frozen=True)
class _Index:
    terms: dict[str, Term]
    english: dict[str, Term]
    chinese: tuple[tuple[str, Term], ...]


def _index(terms: tuple[Term, ...]) -> _Index:
    english: dict[str, Term] = {}
    chinese: list[tuple[str, Term]] = []
    for term in terms:
        for name in (term.value, term.en, term.zh, *term.synonyms):
            if has_chinese(name):
                chinese.append((_compact(name), term))
            else:
                english.setdefault(_key(name), term)
    chinese.sort(key=lambda item: -len(item[0]))
    return _Index({t.value: t for t in terms}, english, tuple(chinese))


_INDEXES = {kind: _index(terms) for kind, terms in VOCABULARIES.items()}
_BY_VALUE: dict[str, Term] = {}
for _terms in VOCABULARIES.values():
    for _term in _terms:
        _BY_VALUE.setdefault(_term.value, _term)


def _english_head(key: str, index: _Index, prefer: str | None) -> Term | None:
    words = key.split()
    for i, word in enumerate(words):
        if i and word in _PREPOSITIONS:
            words = words[:i]
            break
    exact = index.english.get(" ".join(words))
    if exact is not None:
        return exact
    if prefer is not None and words and words[-1] in _PART_OF:  # the room's own door is the room ("guest room door")
        for start in range(len(words)):
            for end in range(len(words), start, -1):
                term = index.english.get(" ".join(words[start:end]))
                if term is not None and prefer in term.tags:
                    return term
    for start in range(len(words)):  # the longest tail: "staff changing room" is a changing room
        term = index.english.get(" ".join(words[start:]))
        if term is not None:
            return term
    for end in range(len(words), 0, -1):  # else the longest head: "turnstiles main hall" is a turnstile
        term = index.english.get(" ".join(words[:end]))
        if term is not None:
            return term
    return None


def _chinese_head(text: str, index: _Index, prefer: str | None) -> Term | None:
    head = re.sub(r"[（(].*?[)）]", "", text).split("的")[-1]
    # A locative ("客房旁电梯厅": the lift lobby beside the guest rooms) leaves the head noun after it.
    head = _compact([part for part in _LOCATIVES.split(head) if part.strip()][-1] if head.strip() else head)
    exact = next((t for name, t in index.chinese if name == head), None)
    if exact is not None:
        return exact
    if prefer is not None and head.endswith(_PART_OF_ZH) and not head.endswith(("门口", "大门", "入口", "出入口")):
        for name, term in index.chinese:
            if prefer in term.tags and name in head:
                return term
    best: tuple[int, int, Term] | None = None
    for name, term in index.chinese:  # the word that ends last is the head noun; longer wins a tie
        at = head.rfind(name)
        if at >= 0:
            rank = (at + len(name), len(name), term)
            if best is None or rank[:2] > best[:2]:
                best = rank
    return best[2] if best else None


def resolve(kind: str, text: str, *, prefer: str | None = None) -> Term | None:
    """The term a free-text value names in vocabulary `kind`, or None when it names none."""
    index = _INDEXES[kind]
    if text in index.terms:
        return index.terms[text]
    key = _key(text)
    if key in index.english:
        return index.english[key]
    compact = _compact(text)
    for name, term in index.chinese:
        if name == compact:
            return term
    if has_chinese(text):
        term = _chinese_head(text, index, prefer)
        if term is not None:
            return term
        key = _key(_CJK.sub(" ", text))
    return _english_head(key, index, prefer) if key else None


def canonical(kind: str, text: str, *, field: str, prefer: str | None = None) -> str:
    """The canonical value of `text` in vocabulary `kind`; an unknown value is an input error naming the nearest."""
    term = resolve(kind, str(text), prefer=prefer)
    if term is None:
        raise InputError(f"{field}: {text!r} is not a known {kind.replace('_', ' ')}; {nearest_hint(kind, text)}")
    return term.value


def nearest_hint(kind: str, text: str) -> str:
    """A hint naming the allowed values nearest to `text` (and where the full list is)."""
    index = _INDEXES[kind]
    names = {**{k: t for k, t in index.english.items()}, **{n: t for n, t in index.chinese}}
    probe = _compact(text) if has_chinese(text) else _key(text)
    close = difflib.get_close_matches(probe, list(names), n=8, cutoff=0.4)
    values = list(dict.fromkeys(names[c].value for c in close))[:4]
    if not values:
        values = [t.value for t in VOCABULARIES[kind][:4]]
    shown = ", ".join(f"{v} ({index.terms[v].zh} / {index.terms[v].en})" for v in values)
    return f"nearest allowed values: {shown}; `facegate vocabulary {kind}` lists them all"


def term(value: str) -> Term | None:
    """The term with this canonical value, in any vocabulary."""
    return _BY_VALUE.get(value)


def label(value: str | None, language: str = "zh") -> str:
    """The label of a canonical value in `language` ('zh', 'en' or 'both'); an unknown value comes back as is."""
    if value is None:
        return ""
    found = _BY_VALUE.get(value)
    if found is None:
        return value.replace("_", " ") if language == "en" else value
    if language == "en":
        return found.en
    if language == "both":
        return f"{found.zh} / {found.en}"
    return found.zh


def labels(values: list[str] | tuple[str, ...], language: str = "zh") -> str:
    """Labels of several values, joined in the language's list style."""
    return ("、" if language == "zh" else ", ").join(label(v, language) for v in values)


def tagged(kind: str, tag: str) -> tuple[str, ...]:
    """The values of vocabulary `kind` that carry `tag` (e.g. premises where children are likely)."""
    return tuple(t.value for t in VOCABULARIES[kind] if tag in t.tags)


def term_dict(found: Term) -> dict[str, object]:
    """A term as `facegate vocabulary --json` and the API show it."""
    return {"value": found.value, "zh": found.zh, "en": found.en, "synonyms": list(found.synonyms),
            "tags": sorted(found.tags)}  # fmt: skip


_TOKEN = re.compile(r"(?<![\w.\[`/-])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w(\[`/-])")


def humanise(text: str) -> str:
    """Text with each enum token (e.g. on_premises) replaced by its labels; field paths (storage.location) stay."""

    def swap(match: re.Match[str]) -> str:
        found = _BY_VALUE.get(match.group(1))
        return f"{found.zh}（{found.en}）" if found is not None else match.group(1)

    return _TOKEN.sub(swap, text)


def enum_tokens() -> frozenset[str]:
    """Every canonical value that reads as a code token (it holds an underscore): what documents must not show."""
    return frozenset(v for v in _BY_VALUE if "_" in v)
