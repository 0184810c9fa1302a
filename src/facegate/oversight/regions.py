"""Province-level regions by ISO 3166-2:CN code, for naming the filing authority in Chinese (CN25-15c)."""

PROVINCES: dict[str, tuple[str, str]] = {
    "CN-BJ": ("北京市", "Beijing"), "CN-TJ": ("天津市", "Tianjin"), "CN-HE": ("河北省", "Hebei"),
    "CN-SX": ("山西省", "Shanxi"), "CN-NM": ("内蒙古自治区", "Inner Mongolia"), "CN-LN": ("辽宁省", "Liaoning"),
    "CN-JL": ("吉林省", "Jilin"), "CN-HL": ("黑龙江省", "Heilongjiang"), "CN-SH": ("上海市", "Shanghai"),
    "CN-JS": ("江苏省", "Jiangsu"), "CN-ZJ": ("浙江省", "Zhejiang"), "CN-AH": ("安徽省", "Anhui"),
    "CN-FJ": ("福建省", "Fujian"), "CN-JX": ("江西省", "Jiangxi"), "CN-SD": ("山东省", "Shandong"),
    "CN-HA": ("河南省", "Henan"), "CN-HB": ("湖北省", "Hubei"), "CN-HN": ("湖南省", "Hunan"),
    "CN-GD": ("广东省", "Guangdong"), "CN-GX": ("广西壮族自治区", "Guangxi"), "CN-HI": ("海南省", "Hainan"),
    "CN-CQ": ("重庆市", "Chongqing"), "CN-SC": ("四川省", "Sichuan"), "CN-GZ": ("贵州省", "Guizhou"),
    "CN-YN": ("云南省", "Yunnan"), "CN-XZ": ("西藏自治区", "Tibet"), "CN-SN": ("陕西省", "Shaanxi"),
    "CN-GS": ("甘肃省", "Gansu"), "CN-QH": ("青海省", "Qinghai"), "CN-NX": ("宁夏回族自治区", "Ningxia"),
    "CN-XJ": ("新疆维吾尔自治区", "Xinjiang"),
}  # fmt: skip


def authority_name(level: str, region: str | None) -> str:
    """The filing authority in Chinese and English, e.g. 上海市互联网信息办公室 for a provincial filing in CN-SH."""
    province = PROVINCES.get((region or "").strip().upper())
    if level == "provincial" and province is not None:
        zh, en = province
        return f"{zh}互联网信息办公室 / Cyberspace Administration of {en} (provincial level, where the handler is)"
    if level == "municipal":
        where = f"{province[0]}内" if province else ""
        return f"{where}设区的市级以上网信部门 / the municipal-level (or higher) cyberspace administration"
    return "省级网信部门（处理者所在地） / the provincial-level cyberspace administration where the handler is"
