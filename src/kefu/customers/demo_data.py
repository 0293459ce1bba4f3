"""Realistic, deterministic demo customers (pure: no Django imports).

`customer_rows(n, seed=…, places=…)` yields rows shaped like an import file (field → text):
Chinese names drawn from a surname frequency list, valid 18-digit ID numbers (real region
codes, real birth dates, GB 11643 check digit) whose sequence digit matches the gender of the
given name, mobiles with real operator prefixes, landlines with the city's area code,
addresses in the unit's city, products with account numbers, monthly spend drawn from a
log-normal (most customers basic, very few diamond) and ~5 % government/enterprise customers
with valid unified social credit codes in series A or B. Same seed, same rows.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from kefu.core.cn_validation import id_check_char


@dataclass(frozen=True)
class Place:
    """Where a demo customer lives: the owning unit and its geography."""

    unit_code: str
    city: str  # 金陵市
    district: str  # 玄武区
    area_code: str  # 025
    region_code: str  # 320102 (ID number region of people born here)


# Surname and share of the population (per mille, rounded; 2020 census order).
SURNAMES = (
    ("王", 71), ("李", 70), ("张", 67), ("刘", 54), ("陈", 45), ("杨", 32), ("黄", 23),
    ("赵", 22), ("吴", 20), ("周", 19), ("徐", 18), ("孙", 15), ("马", 15), ("朱", 13),
    ("胡", 13), ("郭", 12), ("何", 12), ("林", 11), ("罗", 11), ("高", 11), ("郑", 10),
    ("梁", 9), ("谢", 8), ("宋", 8), ("唐", 8), ("许", 7), ("韩", 7), ("邓", 7), ("冯", 7),
    ("曹", 7), ("彭", 6), ("曾", 6), ("肖", 6), ("田", 6), ("董", 5), ("潘", 5), ("袁", 5),
    ("蔡", 5), ("蒋", 5), ("余", 5), ("于", 5), ("杜", 5), ("叶", 5), ("程", 5), ("魏", 4),
    ("苏", 4), ("吕", 4), ("丁", 4), ("任", 4), ("卢", 4), ("姚", 4), ("沈", 4), ("钟", 4),
    ("姜", 4), ("崔", 4), ("谭", 4), ("陆", 3), ("范", 3), ("汪", 3), ("廖", 3), ("石", 3),
    ("金", 3), ("韦", 3), ("贾", 3), ("夏", 3), ("付", 3), ("方", 3), ("邹", 3), ("熊", 3),
    ("白", 3), ("孟", 2), ("秦", 2), ("邱", 2), ("侯", 2), ("江", 2), ("尹", 2), ("薛", 2),
    ("闫", 2), ("段", 2), ("雷", 2), ("龙", 2), ("黎", 2), ("史", 2), ("陶", 2), ("贺", 2),
    ("毛", 2), ("郝", 2), ("顾", 2), ("龚", 2), ("邵", 2), ("万", 2), ("钱", 2), ("戴", 2),
    ("严", 2), ("莫", 1), ("孔", 1), ("向", 1), ("常", 1), ("欧阳", 1), ("上官", 1),
)  # fmt: skip
MALE_CHARS = (
    "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳建国峰亮成志文博晨轩"
    "然睿哲昊天泽航铭毅诚康荣"
)
FEMALE_CHARS = (
    "芳娜敏静丽艳秀娟英慧巧美玉萍红玲霞燕琳雪梅婷倩颖洁琴云莉丹欣怡佳悦思雨涵萱诗梓晴瑶蕾薇月兰"
)
ROADS = (
    "中山路", "人民路", "解放路", "建设路", "和平路", "新华路", "长江路", "文化路", "东风路",
    "健康路", "青年路", "胜利路", "湖滨路", "朝阳路", "园林路", "学府路", "运河路", "北京路",
    "上海路", "江南大道", "滨江大道", "科技大道", "丽水街", "鼓楼街", "桃源街",
)  # fmt: skip
ESTATES = (
    "阳光花园", "翠苑小区", "锦绣家园", "金色港湾", "书香苑", "幸福里", "世纪新城", "绿洲小区",
    "紫荆苑", "东方明珠城", "和谐家园", "水岸名都", "银河湾", "桂花园", "梧桐苑",
)  # fmt: skip
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "145", "147",
    "150", "151", "152", "153", "155", "156", "157", "158", "159", "166", "173", "175",
    "176", "177", "178", "180", "181", "182", "183", "184", "185", "186", "187", "188",
    "189", "191", "198", "199",
)  # fmt: skip
# People born elsewhere: region codes of real districts across the country.
OTHER_REGIONS = (
    "110101", "110105", "310104", "310115", "330106", "340102", "370102", "420102",
    "430102", "440106", "500103", "510104", "410102", "360102", "350102", "320102",
)  # fmt: skip
COMPANY_WORDS = (
    "宏达", "华信", "恒通", "瑞丰", "博远", "天成", "鼎新", "锦程", "汇智", "中联", "安泰",
    "永盛", "德润", "嘉禾", "新桥", "同创", "华晟", "启明",
)  # fmt: skip
COMPANY_KINDS = (
    "科技有限公司", "贸易有限公司", "建设工程有限公司", "物流有限公司", "餐饮管理有限公司",
    "电子有限公司", "物业服务有限公司", "酒店管理有限公司",
)  # fmt: skip
GOVERNMENT_BODIES = (
    "教育局", "人民医院", "公安分局", "税务局", "自来水公司", "第一中学", "财政局",
    "交通运输局", "供电所", "人民法院", "疾病预防控制中心", "实验小学",
)  # fmt: skip
INDIVIDUAL_TAGS = ("老年客户", "高价值", "投诉敏感", "校园客户", "新装客户", "商务客户")
GOV_TAGS = ("重点客户", "专线客户")
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

_SURNAME_CUM = list(itertools.accumulate(w for _, w in SURNAMES))
_BIRTH_START = dt.date(1940, 1, 1).toordinal()
_BIRTH_SPAN = dt.date(2005, 12, 31).toordinal() - _BIRTH_START


def uscc(region_code: str, body: str, kind: str = "91") -> str:
    """A unified social credit code (GB 32100) with valid org-code and final check chars."""
    org_sum = sum(int(c) * w for c, w in zip(body, ORG_CODE_WEIGHTS, strict=True))
    org_check = 11 - org_sum % 11
    org_code = body + {10: "X", 11: "0"}.get(org_check, str(org_check))
    first17 = f"{kind}{region_code}{org_code}"
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return first17 + USCC_CHARS[(31 - total % 31) % 31]


class _Generator:
    def __init__(self, seed: int, places: list[Place]):
        if not places:
            raise ValueError("demo customers need at least one place")
        self.rng = random.Random(seed)
        self.places = places

    def digits(self, n: int) -> str:
        return str(self.rng.randrange(10 ** (n - 1), 10**n))

    def person(self) -> tuple[str, bool]:
        rng = self.rng
        surname = SURNAMES[bisect.bisect(_SURNAME_CUM, rng.random() * _SURNAME_CUM[-1])][0]
        male = rng.random() < 0.5
        pool = MALE_CHARS if male else FEMALE_CHARS
        given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.72 else "")
        return surname + given, male

    def id_number(self, place: Place, male: bool) -> str:
        rng = self.rng
        region = place.region_code if rng.random() < 0.7 else rng.choice(OTHER_REGIONS)
        birth = dt.date.fromordinal(_BIRTH_START + rng.randrange(_BIRTH_SPAN))
        seq = rng.randrange(0, 100) * 10 + rng.randrange(0, 5) * 2 + (1 if male else 0)
        first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
        return first17 + id_check_char(first17)

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + self.digits(8)

    def landline(self, place: Place) -> str:
        return f"{place.area_code}-{self.rng.randint(5, 8)}{self.digits(7)}"

    def address(self, place: Place) -> str:
        rng = self.rng
        street = f"{place.city}{place.district}{rng.choice(ROADS)}{rng.randint(1, 399)}号"
        if rng.random() < 0.75:
            street += (
                f"{rng.choice(ESTATES)}{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元"
                f"{rng.randint(1, 28)}{rng.randint(1, 4):02d}室"
            )
        return street

    def products(self, place: Place, phone: str, gov: bool) -> list[tuple[str, str]]:
        rng = self.rng
        chances = (0.5, 0.9, 0.8, 0.3) if gov else (0.85, 0.55, 0.2, 0.15)
        out = []
        if rng.random() < chances[0]:
            out.append(("移动", phone if phone.startswith("1") else self.mobile()))
        if rng.random() < chances[1]:
            out.append(("宽带", f"{place.area_code}{self.digits(8)}@kd"))
        if rng.random() < chances[2]:
            landline = phone if "-" in phone else self.landline(place)
            out.append(("固话", landline.replace("-", "")))
        if rng.random() < chances[3]:
            out.append(("增值业务", f"VAS{self.digits(10)}"))
        return out

    def row(self, index: int, code_prefix: str | None) -> dict[str, str]:
        rng = self.rng
        place = self.places[rng.randrange(len(self.places))]
        gov = rng.random() < 0.05
        series = ""
        if gov:
            series = "A" if rng.random() < 0.35 else "B"
            if series == "A":
                name = f"{place.city}{place.district}{rng.choice(GOVERNMENT_BODIES)}"
                id_number = uscc(place.region_code, self.digits(8), "11")
            else:
                name = f"{place.city}{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_KINDS)}"
                id_number = uscc(place.region_code, self.digits(8))
            phone = self.landline(place) if rng.random() < 0.6 else self.mobile()
            value = math.exp(rng.gauss(math.log(3000), 1.3))
            tags = GOV_TAGS
        else:
            name, male = self.person()
            id_number = self.id_number(place, male)
            phone = self.mobile() if rng.random() < 0.9 else self.landline(place)
            value = math.exp(rng.gauss(math.log(60), 0.8))
            tags = INDIVIDUAL_TAGS
        products = self.products(place, phone, gov)
        row = {
            "kind": "政企" if gov else "个人",
            "name": name,
            "id_number": id_number,
            "phone": phone,
            "address": self.address(place),
            "org_unit": place.unit_code,
            "monthly_value": f"{min(value, 9_999_999):.2f}",
            "gov_series": series,
            "product_kind": ";".join(k for k, _ in products),
            "account_number": ";".join(a for _, a in products),
            "tags": rng.choice(tags) if rng.random() < 0.08 else "",
        }
        if code_prefix is not None:
            row["code"] = f"{code_prefix}{index:08d}"
        return row


def customer_rows(
    count: int, *, seed: int, places: list[Place], code_prefix: str | None = None
) -> Iterator[dict[str, str]]:
    """`count` demo customer rows; with `code_prefix` each gets a customer number."""
    generator = _Generator(seed, list(places))
    for index in range(1, count + 1):
        yield generator.row(index, code_prefix)


def people_names(count: int, *, seed: int) -> list[str]:
    """Names for demo staff."""
    generator = _Generator(seed, [Place("", "", "", "010", "110101")])
    return [generator.person()[0] for _ in range(count)]
