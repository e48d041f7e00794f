"""Deterministic Chinese text similarity for the relatedness rules (WBE-R118, WBE-R119): character bigrams.

Chinese has no spaces, and a segmenter (jieba) brings a dictionary whose version changes results; character
bigrams need neither and are what IR systems for Chinese fall back on. Words that every performance table
uses (完成、工作、效益、满意度、提高 …) say nothing about a project, so they are cut out before the bigrams
are taken: what remains is the indicator's *content* (秸秆, 污水, 视频监控). Everything here is linear in the
length of the text; callers index each project once (a set of bigrams) and test each indicator against its
own project's set, so a county's review never compares all pairs of indicators.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Vocabulary of performance tables in general (not of any one project): removed before taking bigrams.
GENERIC_WORDS: tuple[str, ...] = tuple(sorted({
    "绩效", "指标", "目标", "反映", "考核", "情况", "工作", "任务", "完成", "项目", "资金", "预算", "支出", "执行",
    "实施", "开展", "组织", "落实", "推进", "提高", "提升", "增加", "增强", "加强", "减少", "降低", "改善", "完善",
    "保障", "保证", "确保", "能力", "水平", "效率", "效果", "效益", "经济", "社会", "生态", "环境", "可持续", "持续",
    "影响", "长期", "满意", "满意度", "满意率", "服务", "对象", "群众", "公众", "人民", "受益", "人员", "按时", "及时",
    "准时", "时效", "时间", "时限", "期限", "年度", "全年", "当年", "数量", "质量", "成本", "合格", "达标", "覆盖",
    "比例", "比率", "占比", "总数", "数目", "个数", "次数", "人数", "合规", "规范", "管理", "制度", "建设", "维护",
    "稳定", "发展", "促进", "推动", "有效", "相关", "部门", "单位", "全县", "本县", "县级", "我县", "全市", "全省",
    "乡镇", "运行", "正常", "使用", "实现", "功能", "程度", "明显", "显著", "逐步", "进一步", "不断",
    "主要", "用于", "通过", "全部", "全面", "各类", "各项", "有关", "日常", "业务", "基本", "所需",
    "合理", "科学", "规定", "要求", "标准", "按照", "根据", "计划", "安排", "及时性", "准确", "准确性", "完整",
    "完好", "正确", "到位", "有序", "顺利", "良好", "较好", "提质", "增效", "投入", "产出", "财政", "政府",
    "年底", "年末", "月底", "项目区", "设施", "设备", "工程", "设计", "年限", "寿命", "面积", "长度", "里程", "新增",
    "农户", "居民", "人口", "户数", "人次", "机制", "长效", "体系", "政策", "状况", "条件", "生活", "负担", "宣传", "培训",
    "检查", "知晓", "普及", "安全", "农村", "城乡", "城区", "县城", "县域", "增长", "增长率", "提升值", "以上", "以下", "不低于", "不少于", "不高于", "达到", "总体", "整体", "其中",
}, key=len, reverse=True))
# Topic words by spending sector (after the functional classification of expenditure, 支出功能分类): an
# indicator that names a sector's things (秸秆, 公路, 污水) in a project whose texts name nothing of that
# sector is about something else. Words that many projects use for a side task or a customary effect (培训,
# 就业, 应急, 消防, 火灾, 安全, 服务) are not listed: they would relate nothing and flag much.
SECTORS: dict[str, tuple[str, ...]] = {
    "农业": ("秸秆", "农田", "耕地", "灌溉", "粮食", "种植", "农作物", "化肥", "农药", "畜禽", "养殖", "农机", "良种",
           "种子", "还田", "亩产", "果园", "大棚", "温棚", "蔬菜", "种薯", "作物", "农产品", "土壤", "病虫害"),
    "林业": ("森林", "林地", "造林", "林区", "林草", "苗木", "植树", "绿化", "林业", "护林", "扑火"),
    # Wetland repair is a line of its own (issue 24: a forestry-pest rate in wetland repair is unrelated).
    "湿地": ("湿地",),
    "水利": ("河道", "河湖", "水库", "堤防", "防洪", "防汛", "度汛", "抗旱", "清淤", "疏浚", "护岸", "水土", "灌区",
           "供水", "饮水", "自来水", "水源", "水厂", "灌溉"),
    "环保": ("污水", "垃圾", "废水", "废气", "排放", "污染", "空气", "扬尘", "噪声", "固废", "危废", "无害化",
           "保洁", "清扫", "清运", "环境卫生", "厕所", "水体", "出水", "减排", "碳排放", "水质"),
    "城建": ("雨水", "径流", "海绵", "管网", "路灯", "市政", "园林", "棚户", "燃气", "供热", "停车", "物业", "小区"),
    "交通": ("公路", "道路", "路面", "桥梁", "客运", "公交", "车辆", "里程", "养护", "通行", "路段"),
    "教育": ("学生", "学校", "教师", "幼儿", "课堂", "教学", "校舍", "营养餐", "膳食", "就餐", "入学", "辍学",
           "学前", "义务教育", "食堂", "食品安全"),
    "卫生": ("医疗", "医生", "医院", "卫生院", "患者", "疫苗", "接种", "诊疗", "病人", "住院", "门诊",
           "公共卫生", "乡村医生", "传染病"),
    "社保": ("低保", "特困", "救助", "优抚", "抚恤", "养老", "退役", "残疾", "孤儿", "困难群众", "临时救助", "医保",
           "参保", "保险"),
    "文化": ("演出", "电影", "放映", "文艺", "图书", "文物", "非遗", "博物馆", "文化", "送戏", "观众", "体育", "健身"),
    "市场监管": ("食品", "食品安全", "药品", "抽检", "检测", "药械", "特种设备", "计量", "市场主体", "经营户", "消费者"),
    "应急": ("救灾", "救助", "受灾", "灾害", "地震", "危险化学品", "烟花爆竹", "救援", "扑火", "应急物资"),
}
# Sectors whose projects routinely include another sector's things (a 高标准农田 project builds 田间道路 and 灌排
# 渠系; flood control and stormwater go together): an indicator of a neighbouring sector is not "unrelated".
# Not symmetric: farmland projects build irrigation, but a sewage plant does not grow straw.
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "农业": ("水利", "林业", "交通"),
    "林业": ("农业", "应急", "湿地"),  # the forestry bureau's projects include wetland work; not the reverse
    "湿地": ("水利", "环保"),
    "水利": ("环保", "城建", "应急"),
    "环保": ("水利", "城建"),
    "城建": ("交通", "环保", "水利"),
    "交通": ("城建", "农业"),
    "教育": ("卫生", "市场监管"),
    "卫生": ("社保", "教育"),
    "社保": ("卫生", "应急"),
    "应急": ("林业", "水利", "社保"),
    "市场监管": ("教育",),
}


def with_neighbours(sectors: frozenset[str]) -> frozenset[str]:
    """The sectors and their neighbours (NEIGHBOURS): what a project's texts make related."""
    return frozenset(sectors).union(*(NEIGHBOURS.get(s, ()) for s in sectors))


_SECTOR_WORDS = sorted({w for words in SECTORS.values() for w in words}, key=len, reverse=True)
_SECTOR_RE = re.compile("|".join(map(re.escape, _SECTOR_WORDS)))
_SECTOR_OF: dict[str, frozenset[str]] = {
    w: frozenset(name for name, words in SECTORS.items() if w in words) for w in _SECTOR_WORDS}


@lru_cache(maxsize=65536)
def sectors_of(text: str) -> frozenset[str]:
    """The sectors whose topic words a text names (秸秆综合利用率 -> 农业)."""
    folded = unicodedata.normalize("NFKC", text or "")
    found: set[str] = set()
    for match in _SECTOR_RE.finditer(folded):
        found |= _SECTOR_OF[match.group(0)]
    return frozenset(found)


_GENERIC_RE = re.compile("|".join(map(re.escape, GENERIC_WORDS)))
_NON_HAN = re.compile(r"[^\u4e00-\u9fff]+")


@lru_cache(maxsize=65536)
def content_bigrams(text: str) -> frozenset[str]:
    """The bigrams of a text's Chinese content: generic table words and non-Han characters cut out first."""
    folded = unicodedata.normalize("NFKC", text or "")
    runs = _NON_HAN.split(_GENERIC_RE.sub(" ", folded))
    return frozenset(run[i:i + 2] for run in runs for i in range(len(run) - 1))


@lru_cache(maxsize=1 << 16)  # one per project text: a county's projects fit, R119 and R120 share them
def all_bigrams(text: str) -> frozenset[str]:
    """Every Han bigram of a text (the side a content bigram is looked up in: nothing is cut out)."""
    folded = unicodedata.normalize("NFKC", text or "")
    return frozenset(run[i:i + 2] for run in _NON_HAN.split(folded) for i in range(len(run) - 1))


# A long name is judged on its first few content bigrams' worth: one shared word (保险 in 购买保险公司承办救助
# 案例数量) relates it as well as it relates a short name; bigrams across word boundaries (买保, 险公) dilute.
OVERLAP_CAP = 4


def overlap(content: frozenset[str], reference: frozenset[str], cap: int | None = OVERLAP_CAP) -> float:
    """Similarity of a text to a reference: shared content bigrams / min(content bigrams, cap), at most 1.0
    (1.0 also when the text has no content of its own to judge). ``cap=None`` compares two long texts
    (two projects' purposes) by the plain share."""
    if not content:
        return 1.0
    return min(1.0, len(content & reference) / (min(len(content), cap) if cap else len(content)))
