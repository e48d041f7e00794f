"""Generate a province's indicators for the 指标库: counties × departments × projects × indicators.

    python -m benchmarks.province --counties 170 --departments 100 --projects 20 --indicators 15 \
        --parquet out/province/exports --workbooks out/province/workbooks --workbook-counties 20

Writes one Parquet export per county (the library's raw columns, store.COLUMNS: ≈ 5.1 M rows at the
defaults) and, for the first ``--workbook-counties`` counties, one canonical county workbook each (as
`wbe merge` makes them). Variation that real tables show: project names with county and year prefixes or a
项目/经费 suffix, values drawn around a sector's typical target (a few set far too low), units written as %
or ％, operators as ≥, >= or 不低于, typos in 三级 names, framework synonyms (环境效益指标, 数量 without 指标,
满意率 for 满意度) and, for the year before, 实际完成值 and 得分. Deterministic for a given --seed.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.generate import CODE_ALPHABET

# (二级, 三级, operator or None, low, high, unit) — operator None: ``low`` is the qualitative text.
Spec = tuple[str, str, str | None, Any, Any, str]
COMMON: list[Spec] = [
    ("服务对象满意度指标", "服务对象满意度", "≥", 85, 98, "%"),
    ("时效指标", "完成时限", None, "{year}年12月底前", None, ""),
    ("成本指标", "项目总成本", "≤", 0, 0, "万元"),
    ("质量指标", "验收合格率", "≥", 90, 100, "%"),
    ("可持续影响指标", "长效机制建立", None, "长期", None, ""),
    ("社会效益指标", "群众知晓率", "≥", 80, 95, "%"),
    ("时效指标", "资金支付及时率", "≥", 90, 100, "%"),
    ("经济效益指标", "带动相关投入", "≥", 5, 50, "万元"),
    ("社会效益指标", "受益群众人数", "≥", 500, 5000, "人"),
    ("质量指标", "工作任务完成率", "≥", 90, 100, "%"),
    ("可持续影响指标", "设施持续使用年限", "≥", 3, 10, "年"),
    ("生态效益指标", "对生态环境的影响", None, "无明显负面影响", None, ""),
]
SECTORS: list[tuple[str, list[tuple[str, str, str, list[Spec]]]]] = [
    ("应急管理局", [
        ("安全生产专家会诊服务费", "主要用于化工企业开展每季度一次的事故隐患专家会诊工作，对重点行业和作业场所加强行政执法监察",
         "开展专家会诊，排查整改事故隐患，预防和减少生产安全事故",
         [("数量指标", "组织专家会诊次数", "≥", 4, 12, "次"), ("数量指标", "抽查企业数量", "≥", 20, 80, "家"),
          ("质量指标", "隐患整改率", "≥", 90, 100, "%"), ("社会效益指标", "生产安全事故起数下降率", "≥", 5, 20, "%")]),
        ("应急防汛经费及救援", "确保安全度汛，最大限度保护人民群众生命财产安全，购置防汛物资并组织演练",
         "完成防汛物资储备和应急演练，确保全县安全度汛",
         [("数量指标", "防汛天数", "≥", 90, 120, "天"), ("数量指标", "应急演练次数", "≥", 2, 6, "次"),
          ("质量指标", "防汛预案规范实现率", "≥", 90, 100, "%"), ("社会效益指标", "因灾死亡人数", "≤", 0, 2, "人")]),
        ("自然灾害救助资金", "用于自然灾害受灾群众生活救助和倒损房屋恢复重建",
         "及时救助受灾群众，保障基本生活",
         [("数量指标", "救助受灾群众人数", "≥", 200, 3000, "人次"), ("质量指标", "救助资金发放准确率", "≥", 95, 100, "%"),
          ("时效指标", "救助及时率", "≥", 90, 100, "%"), ("社会效益指标", "受灾群众基本生活保障率", "≥", 95, 100, "%")]),
        ("应急物资储备", "采购和储备应急救灾物资，提高防灾减灾救灾能力",
         "储备充足的应急物资，提高应急保障能力",
         [("数量指标", "储备物资种类", "≥", 10, 40, "种"), ("质量指标", "储备物资合格率", "≥", 95, 100, "%"),
          ("社会效益指标", "应急保障率", "≥", 90, 100, "%")]),
    ]),
    ("农业农村局", [
        ("高标准农田建设", "建设高标准农田，完善田间灌排、道路等基础设施，提高粮食综合生产能力",
         "新建高标准农田，亩均粮食产能提高",
         [("数量指标", "新建高标准农田面积", "≥", 5000, 30000, "亩"), ("质量指标", "工程验收合格率", "≥", 95, 100, "%"),
          ("经济效益指标", "亩均粮食产能提高", "≥", 50, 150, "公斤"), ("成本指标", "亩均建设成本", "≤", 1500, 3000, "元/亩")]),
        ("动物疫病防控", "开展重大动物疫病强制免疫、监测和应急处置，保障畜牧业生产安全",
         "重大动物疫病免疫密度达标，不发生区域性重大动物疫情",
         [("数量指标", "免疫畜禽数量", "≥", 10, 200, "万头"), ("质量指标", "免疫密度", "≥", 90, 100, "%"),
          ("社会效益指标", "区域性重大动物疫情发生次数", "≤", 0, 0, "次")]),
        ("农业技术推广", "开展农业新技术、新品种示范推广和农民培训",
         "推广农业主推技术，提高农民科学种田水平",
         [("数量指标", "培训农民人数", "≥", 300, 3000, "人次"), ("数量指标", "示范基地数量", "≥", 2, 10, "个"),
          ("质量指标", "主推技术到位率", "≥", 90, 98, "%")]),
    ]),
    ("卫生健康局", [
        ("基本公共卫生服务", "为城乡居民免费提供基本公共卫生服务，开展健康教育和慢病管理",
         "居民电子健康档案建档率和慢病规范管理率达到要求",
         [("数量指标", "健康教育讲座次数", "≥", 12, 60, "次"), ("质量指标", "电子健康档案建档率", "≥", 85, 95, "%"),
          ("质量指标", "高血压患者规范管理率", "≥", 60, 80, "%"), ("社会效益指标", "居民健康素养水平", "≥", 20, 30, "%")]),
        ("家庭医生签约服务", "开展家庭医生签约服务，为重点人群提供健康管理",
         "重点人群签约服务覆盖率达到要求",
         [("数量指标", "签约居民人数", "≥", 5000, 50000, "人"), ("质量指标", "重点人群签约覆盖率", "≥", 70, 90, "%")]),
    ]),
    ("教育局", [
        ("学生营养改善计划", "为农村义务教育阶段学生提供营养膳食补助",
         "保障学生营养膳食，提高学生健康水平",
         [("数量指标", "受益学生人数", "≥", 3000, 30000, "人"), ("质量指标", "食品安全事故发生次数", "≤", 0, 0, "次"),
          ("成本指标", "生均补助标准", "≤", 4, 5, "元/人·天")]),
        ("校舍维修改造", "对中小学老旧校舍进行维修改造，消除安全隐患",
         "完成校舍维修改造，改善办学条件",
         [("数量指标", "维修改造面积", "≥", 2000, 20000, "平方米"), ("质量指标", "工程验收合格率", "≥", 95, 100, "%")]),
    ]),
    ("民政局", [
        ("城乡低保资金", "为符合条件的城乡困难群众发放最低生活保障金",
         "应保尽保，保障困难群众基本生活",
         [("数量指标", "保障人数", "≥", 2000, 20000, "人"), ("质量指标", "低保资金发放准确率", "≥", 95, 100, "%"),
          ("时效指标", "低保金按月发放率", "≥", 95, 100, "%")]),
        ("村务公开工作经费", "用于村务公开栏维护和村务公开工作指导",
         "村务公开规范化，群众监督渠道畅通",
         [("数量指标", "村务公开栏维护数量", "≥", 50, 400, "个"), ("质量指标", "村务公开规范率", "≥", 90, 100, "%")]),
    ]),
    ("水利局", [
        ("农村饮水安全工程维修养护", "对农村集中供水工程进行维修养护，保障农村饮水安全",
         "农村自来水普及率和水质达标率达到要求",
         [("数量指标", "维修养护供水工程处数", "≥", 10, 100, "处"), ("质量指标", "水质达标率", "≥", 90, 100, "%"),
          ("社会效益指标", "受益人口", "≥", 5000, 80000, "人")]),
        ("河道清淤治理", "开展河道清淤疏浚和堤防加固，提高防洪能力",
         "完成河道清淤，河道行洪能力提高",
         [("数量指标", "清淤河道长度", "≥", 5, 50, "公里"), ("生态效益指标", "河道水质达标率", "≥", 80, 100, "%")]),
    ]),
    ("生态环境局", [
        ("大气污染防治", "开展大气污染源监测、散乱污企业整治和扬尘治理",
         "空气质量优良天数比例提高，PM2.5浓度下降",
         [("数量指标", "监测点位数量", "≥", 5, 30, "个"), ("生态效益指标", "空气质量优良天数比例", "≥", 65, 85, "%"),
          ("生态效益指标", "PM2.5平均浓度", "≤", 30, 50, "微克/立方米")]),
    ]),
    ("交通运输局", [
        ("农村公路养护", "对农村公路进行日常养护和路面修复",
         "农村公路优良中等路率达到要求",
         [("数量指标", "养护里程", "≥", 100, 1500, "公里"), ("质量指标", "优良中等路率", "≥", 75, 95, "%")]),
    ]),
    ("文化广电和旅游局", [
        ("公共文化服务", "开展送戏下乡、公益电影放映和全民阅读活动",
         "丰富群众文化生活，公共文化服务效能提升",
         [("数量指标", "送戏下乡场次", "≥", 20, 200, "场"), ("数量指标", "公益电影放映场次", "≥", 100, 1000, "场")]),
    ]),
    ("住房和城乡建设局", [
        ("城镇老旧小区改造", "对老旧小区水电气暖、道路和绿化进行改造",
         "完成老旧小区改造，改善居民居住条件",
         [("数量指标", "改造小区数量", "≥", 5, 40, "个"), ("数量指标", "受益居民户数", "≥", 500, 8000, "户"),
          ("质量指标", "工程验收合格率", "≥", 95, 100, "%")]),
    ]),
]
SYNONYMS_L2 = {"生态效益指标": "环境效益指标", "数量指标": "数量", "质量指标": "质量"}
SYNONYMS_L3 = {"服务对象满意度": "服务对象满意率", "群众知晓率": "群众知晓度"}
BASES = ["计划标准", "行业标准", "历史标准", "根据年初工作计划安排", "其他标准"]
LEVEL1 = {"数量指标": "产出指标", "质量指标": "产出指标", "时效指标": "产出指标", "成本指标": "产出指标",
          "经济效益指标": "效益指标", "社会效益指标": "效益指标", "生态效益指标": "效益指标",
          "可持续影响指标": "效益指标", "服务对象满意度指标": "满意度指标"}


@dataclass
class Shape:
    counties: int = 170
    departments: int = 100
    projects: int = 20
    indicators: int = 15
    years: tuple[int, ...] = (2024,)
    seed: int = 23


def region_code(county: int) -> str:
    return f"{130101 + county:06d}"


def project_code(region: str, year: int, n: int) -> str:
    tail = ""
    for _ in range(12):
        n, rem = divmod(n, len(CODE_ALPHABET))
        tail = CODE_ALPHABET[rem] + tail
    return f"{region}{year % 100:02d}P{tail}"


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(len(text) - 1)
    return text[:i] + text[i + 1] + text[i] + text[i + 2:] if rng.random() < 0.5 else text[:i] + text[i + 1:]


def _value(rng: random.Random, spec: Spec, year: int, budget: float) -> tuple[str, float | None, str]:
    """The 指标值 text, its number and its direction."""
    level2, _, op, low, high, unit = spec
    if op is None:
        return str(low).format(year=year), None, ""
    if level2 == "成本指标" and unit == "万元":
        number: float = round(budget, 2)
    elif isinstance(low, int) and isinstance(high, int) and high - low >= 5:
        number = rng.randint(low, high)
        if rng.random() < 0.03:  # a target set far too low
            number = max(0, int(low * 0.6))
    else:
        number = round(rng.uniform(float(low), float(high)), 1) if high != low else float(low)
    shown_unit = "％" if unit == "%" and rng.random() < 0.1 else unit
    shown_op = op if rng.random() < 0.9 else {"≥": rng.choice([">=", "不低于"]), "≤": "<="}.get(op, op)
    text = f"{shown_op}{int(number) if float(number).is_integer() else number}{shown_unit}"
    return text, float(number), op


def county_rows(county: int, shape: Shape, year: int) -> dict[str, list[Any]]:
    """The raw columns of one county's indicators (store.RAW) for one year."""
    rng = random.Random(f"{shape.seed}/{county}/{year}")
    region = region_code(county)
    county_name = f"第{county + 1}县"
    rows: dict[str, list[Any]] = {k: [] for k in ("year", "region", "dept_code", "dept_name", "project_code",
                                                  "project_name", "purpose", "goal", "seq", "level1", "level2",
                                                  "level3", "description", "value", "basis", "actual", "score", "budget")}
    made = 0
    for d in range(shape.departments):
        sector, templates = SECTORS[d % len(SECTORS)]
        dept_code = f"{450001 + d:06d}"
        dept_name = f"{county_name}{sector}" + ("本级" if d < len(SECTORS) else f"下属单位{d // len(SECTORS)}")
        for p in range(shape.projects):
            name, purpose, goal, specific = templates[(p + d) % len(templates)]
            style = rng.random()
            shown = (f"{year}年{name}" if style < 0.3 else f"{county_name}{name}" if style < 0.5
                     else f"{name}项目" if style < 0.7 else f"{name}{p + 1}")
            code = project_code(region, year, made)
            budget = round(rng.uniform(5, 500), 2)
            specs = (specific + COMMON)[: shape.indicators]
            while len(specs) < shape.indicators:
                extra = COMMON[len(specs) % len(COMMON)]
                specs.append((extra[0], f"{extra[1]}（{len(specs) // len(COMMON) + 1}）", *extra[2:]))
            for seq, spec in enumerate(specs, 1):
                level2, level3 = spec[0], spec[1]
                if rng.random() < 0.05:
                    level2 = SYNONYMS_L2.get(level2, level2)
                if rng.random() < 0.1:
                    level3 = SYNONYMS_L3.get(level3, level3)
                if rng.random() < 0.02:
                    level3 = _typo(rng, level3)
                value, number, op = _value(rng, spec, year, budget)
                actual, score = "", None
                if year < max(shape.years) and number is not None:
                    factor = rng.uniform(0.9, 1.15)
                    got = number * factor if op == "≥" else number / factor
                    actual = f"{round(got, 1)}{spec[5]}"
                    score = round(min(10.0, 10.0 * factor), 2)
                values = (year, region, dept_code, dept_name, code, shown, f"{purpose}（{county_name}）", goal, seq,
                          LEVEL1[spec[0]], level2, level3, level3, value, rng.choice(BASES), actual, score, budget)
                for column, item in zip(rows, values):
                    rows[column].append(item)
            made += 1
    return rows


def write_parquet(shape: Shape, folder: Path) -> list[Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for county in range(shape.counties):
        for year in shape.years:
            path = folder / f"{region_code(county)}-{year}.parquet"
            rows = county_rows(county, shape, year)
            del rows["budget"]
            pq.write_table(pa.table(rows), path, compression="zstd")
            paths.append(path)
    return paths


def county_book(county: int, shape: Shape, year: int) -> Any:
    """One county's generated indicators as a canonical Book (the input of `wbe library build`)."""
    from workbook_engine.model import Book, Goal, Indicator, Project

    rows = county_rows(county, shape, year)
    book = Book()
    seen_dept: set[str] = set()
    seen_project: set[str] = set()
    seqs: dict[str, int] = {}
    for n in range(len(rows["value"])):
        dept, code = rows["dept_code"][n], rows["project_code"][n]
        if dept not in seen_dept:
            seen_dept.add(dept)
            book.goals.append(Goal(dept, rows["dept_name"][n], year, "总体绩效目标", 1, "", "做好本部门职责范围内的各项工作。"))
        if code not in seen_project:
            seen_project.add(code)
            seqs[dept] = seqs.get(dept, 0) + 1
            budget = Decimal(str(rows["budget"][n]))
            book.projects.append(Project(dept, seqs[dept], code, rows["project_name"][n], "", budget, budget, None,
                                         rows["purpose"][n], Decimal(25), Decimal(50), Decimal(75), Decimal(100),
                                         rows["goal"][n]))
        book.indicators.append(Indicator(dept, code, rows["seq"][n], rows["level1"][n], rows["level2"][n],
                                         rows["level3"][n], rows["description"][n], rows["value"][n],
                                         rows["basis"][n]))
    return book


def write_workbooks(shape: Shape, folder: Path, counties: int) -> list[Path]:
    from workbook_engine.canonical_writer import write_book

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for county in range(min(counties, shape.counties)):
        for year in shape.years:
            path = folder / f"{region_code(county)}-{year}.xlsx"
            write_book(county_book(county, shape, year), path, overwrite=True)
            paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--counties", type=int, default=170)
    parser.add_argument("--departments", type=int, default=100)
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--indicators", type=int, default=15)
    parser.add_argument("--years", type=int, nargs="+", default=[2024])
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--parquet", type=Path, help="write one Parquet export per county into this folder")
    parser.add_argument("--workbooks", type=Path, help="write county workbooks into this folder")
    parser.add_argument("--workbook-counties", type=int, default=20)
    args = parser.parse_args()
    shape = Shape(args.counties, args.departments, args.projects, args.indicators, tuple(args.years), args.seed)
    if args.parquet:
        paths = write_parquet(shape, args.parquet)
        print(f"{args.parquet}/: {len(paths)} Parquet exports")
    if args.workbooks:
        paths = write_workbooks(shape, args.workbooks, args.workbook_counties)
        print(f"{args.workbooks}/: {len(paths)} county workbooks")


if __name__ == "__main__":
    main()
