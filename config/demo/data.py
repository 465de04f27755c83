"""The demo's reference tables: real cities, categories and belts from the source article
(``shared/seed/industrial-belts-article.txt``), operation centers, the five support programs and
their first rule sets, cohorts, logistics providers and what the demo's delivery-and-installation
chains are drawn from.

Everything here is plain data keyed by natural keys (city name, category slug, belt slug, center
name, program code, ...) so the builder can write it with ``update_or_create`` any number of times.
Coordinates are approximate city centres. Where the article gives no figure (most centers' opening
dates), the field is left empty rather than invented.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class CitySpec:
    name: str
    name_zh: str
    province: str
    province_zh: str
    latitude: Decimal
    longitude: Decimal
    is_prefecture_level: bool = True


@dataclass(frozen=True, slots=True)
class CategorySpec:
    slug: str
    name: str
    name_zh: str
    # What a maker of this category calls itself in a legal name: "Foshan Hongtai Furniture Co.".
    company_noun: str
    # Typical order value (CNY) and refund rate, and a size factor for merchants' GMV.
    average_order_value: int
    refund_rate: float
    gmv_scale: float
    # Which mix of merchant types the category has: "factory", "brand" or "trade".
    maker_mix: str = "factory"


@dataclass(frozen=True, slots=True)
class BeltSpec:
    slug: str
    name: str
    name_zh: str
    city: str
    category: str
    description: str
    # Rank by number of merchants (1 = most): merchants are spread Zipf-like over the ranks.
    size_rank: int
    # Mean year-on-year GMV growth of the belt's merchants over the metric window.
    growth: float
    # The town merchants put in their legal names when it is not the city (Baigou, Shunde, ...).
    place: str = ""


@dataclass(frozen=True, slots=True)
class CenterSpec:
    name: str
    name_zh: str
    city: str
    belts: tuple[str, ...]
    opened_on: str | None = None


@dataclass(frozen=True, slots=True)
class RuleSetSpec:
    version: int
    published: bool
    criteria: list[dict[str, Any]]
    notes: str = ""


@dataclass(frozen=True, slots=True)
class ProgramSpec:
    code: str
    name: str
    name_zh: str
    description: str
    rule_sets: tuple[RuleSetSpec, ...]
    description_zh: str = ""
    # What a merchant gets from the program, shown beside its standing on the portal.
    benefits: str = ""
    benefits_zh: str = ""


@dataclass(frozen=True, slots=True)
class CohortSpec:
    program: str
    name: str
    seats: int
    # Relative to the start of the day the command runs: the window is open then.
    opened_days_ago: int
    closes_in_days: int
    belt: str | None = None
    graduation_criteria: list[dict[str, Any]] = field(default_factory=list)
    name_zh: str = ""


@dataclass(frozen=True, slots=True)
class EnrollmentSpec:
    """An enrollment to create: in which cohort, for which kind of merchant, in which state."""

    cohort: str  # cohort name; names are unique across the demo's programs
    state: str
    # Filters on the merchant chosen (Django lookups on Merchant), the first demo merchant by key
    # that matches and is not already taken by another spec of the same program.
    merchant_filter: dict[str, Any] = field(default_factory=dict)
    flagship: bool = False  # the merchant the "merchant" demo login owns


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    name: str
    name_zh: str
    kind: str


def _d(value: str) -> Decimal:
    return Decimal(value)


CITIES: tuple[CitySpec, ...] = (
    CitySpec("Hangzhou", "杭州", "Zhejiang", "浙江", _d("30.274085"), _d("120.155070")),
    CitySpec("Jinhua", "金华", "Zhejiang", "浙江", _d("29.079059"), _d("119.647445")),
    CitySpec("Yiwu", "义乌", "Zhejiang", "浙江", _d("29.306863"), _d("120.075058"), False),
    CitySpec("Wenzhou", "温州", "Zhejiang", "浙江", _d("27.994267"), _d("120.699367")),
    CitySpec("Huzhou", "湖州", "Zhejiang", "浙江", _d("30.893000"), _d("120.088000")),
    CitySpec("Haining", "海宁", "Zhejiang", "浙江", _d("30.509581"), _d("120.680757"), False),
    CitySpec("Pinghu", "平湖", "Zhejiang", "浙江", _d("30.675919"), _d("121.015666"), False),
    CitySpec("Tongxiang", "桐乡", "Zhejiang", "浙江", _d("30.630173"), _d("120.565099"), False),
    CitySpec("Guangzhou", "广州", "Guangdong", "广东", _d("23.129110"), _d("113.264385")),
    CitySpec("Foshan", "佛山", "Guangdong", "广东", _d("23.021478"), _d("113.121435")),
    CitySpec("Dongguan", "东莞", "Guangdong", "广东", _d("23.020673"), _d("113.751799")),
    CitySpec("Nantong", "南通", "Jiangsu", "江苏", _d("31.980172"), _d("120.894291")),
    CitySpec("Nanjing", "南京", "Jiangsu", "江苏", _d("32.060255"), _d("118.796877")),
    CitySpec("Baoding", "保定", "Hebei", "河北", _d("38.873891"), _d("115.464806")),
    CitySpec("Xingtai", "邢台", "Hebei", "河北", _d("37.070589"), _d("114.504844")),
    CitySpec("Dehong", "德宏", "Yunnan", "云南", _d("24.433735"), _d("98.588641")),
    CitySpec("Xuchang", "许昌", "Henan", "河南", _d("34.035771"), _d("113.852454")),
    CitySpec("Zhengzhou", "郑州", "Henan", "河南", _d("34.746600"), _d("113.625368")),
    CitySpec("Ganzhou", "赣州", "Jiangxi", "江西", _d("25.831829"), _d("114.933546")),
    CitySpec("Jingdezhen", "景德镇", "Jiangxi", "江西", _d("29.268945"), _d("117.178443")),
    CitySpec("Ji'an", "吉安", "Jiangxi", "江西", _d("27.111699"), _d("114.986373")),
    CitySpec("Beihai", "北海", "Guangxi", "广西", _d("21.481291"), _d("109.119927")),
)

CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        "beauty", "Beauty and skin care", "美妆个护", "Cosmetics", 120, 0.05, 1.2, "brand"
    ),
    CategorySpec("furniture", "Residential furniture", "住宅家具", "Furniture", 2600, 0.05, 1.4),
    CategorySpec(
        "mobile-phones",
        "Mobile phones",
        "手机",
        "Communication Technology",
        1800,
        0.05,
        2.5,
        "brand",
    ),
    CategorySpec("childrens-clothing", "Children's clothing", "童装", "Garments", 110, 0.16, 0.8),
    CategorySpec("womens-shoes", "Women's shoes", "女鞋", "Shoes", 220, 0.20, 0.9),
    CategorySpec("home-textiles", "Home textiles", "家纺", "Home Textiles", 260, 0.08, 1.0),
    CategorySpec("chemicals", "Chemicals", "化工", "Chemical", 900, 0.02, 1.5, "trade"),
    CategorySpec("leather", "Leather goods", "皮革皮具", "Leather Products", 350, 0.08, 0.9),
    CategorySpec("jewelry", "Jewelry", "珠宝首饰", "Jewelry", 1500, 0.10, 1.3, "trade"),
    CategorySpec("wigs", "Wigs and hair products", "假发", "Hair Products", 300, 0.10, 0.9),
    CategorySpec("textiles", "Textiles and fabrics", "纺织面料", "Textile", 180, 0.05, 0.9),
    CategorySpec("luggage", "Luggage and bags", "箱包", "Luggage", 160, 0.07, 0.9),
    CategorySpec("fur", "Fur apparel", "皮草", "Fur Garments", 2200, 0.14, 1.2),
    CategorySpec("down", "Down apparel", "羽绒服", "Down Garments", 450, 0.15, 1.0),
    CategorySpec("cashmere", "Cashmere and knitwear", "羊毛衫", "Knitwear", 280, 0.14, 0.9),
    CategorySpec(
        "small-appliances",
        "Small home appliances",
        "小家电",
        "Electric Appliances",
        260,
        0.06,
        1.3,
        "brand",
    ),
    CategorySpec("porcelain", "Porcelain", "陶瓷", "Ceramics", 320, 0.06, 0.7),
    CategorySpec(
        "small-commodities", "Small commodities", "小商品", "Commodities", 35, 0.05, 0.7, "trade"
    ),
    CategorySpec("apparel", "Apparel", "服装", "Garments", 160, 0.18, 1.0, "brand"),
    CategorySpec("electronics", "Consumer electronics", "电子产品", "Electronics", 300, 0.06, 1.1),
    CategorySpec(
        "kids-bikes",
        "Children's bicycles and strollers",
        "童车",
        "Children's Vehicles",
        380,
        0.05,
        0.8,
    ),
)

# The 20 belts the article names, then the growth-belt cities it lists (Zhengzhou, Beihai, Ji'an;
# Xingtai again, with its Pingxiang children's bicycles) and Hangzhou, one of the 21 cities.
BELTS: tuple[BeltSpec, ...] = (
    BeltSpec(
        "yiwu-small-commodities",
        "Yiwu small commodities",
        "义乌小商品",
        "Yiwu",
        "small-commodities",
        "Small commodities around Yiwu International Trade City, a barometer of China's "
        "e-commerce.",
        2,
        0.10,
    ),
    BeltSpec(
        "guangzhou-apparel",
        "Guangzhou apparel",
        "广州服装",
        "Guangzhou",
        "apparel",
        "Apparel makers returning to Taobao; the Guangdong apparel center has served them since "
        "September 2023.",
        1,
        0.12,
    ),
    BeltSpec(
        "foshan-furniture",
        "Foshan furniture",
        "佛山家具",
        "Foshan",
        "furniture",
        "China's leading residential furniture belt: bulky goods shipped with delivery and "
        "installation.",
        3,
        0.25,
    ),
    BeltSpec(
        "guangzhou-beauty",
        "Guangzhou beauty",
        "广州美妆",
        "Guangzhou",
        "beauty",
        "The country's largest cosmetics OEM base, from raw materials to packaging: "
        "'Chinese beauty looks at Guangzhou'.",
        4,
        0.14,
    ),
    BeltSpec(
        "jinhua-textiles",
        "Jinhua textiles",
        "金华纺织",
        "Jinhua",
        "textiles",
        "Cotton fabrics and basic wear backed by Yiwu's market; first in the country for "
        "pure-cotton grey fabric.",
        5,
        0.06,
    ),
    BeltSpec(
        "baoding-baigou-luggage",
        "Baoding-Baigou luggage",
        "保定白沟箱包",
        "Baoding",
        "luggage",
        "4,000+ luggage makers, 800 million bags a year, 40% of national output; live streaming is "
        "now a third of some makers' sales.",
        6,
        0.18,
        place="Baigou",
    ),
    BeltSpec(
        "shunde-small-appliances",
        "Shunde small appliances",
        "顺德小家电",
        "Foshan",
        "small-appliances",
        "Small home appliances iterated from platform sales data, moving from 'me too' to "
        "'me only'.",
        7,
        0.16,
        place="Shunde",
    ),
    BeltSpec(
        "dongguan-mobile-phones",
        "Dongguan mobile phones",
        "东莞手机",
        "Dongguan",
        "mobile-phones",
        "Mobile phone brands and their component makers in the Pearl River Delta.",
        8,
        0.05,
    ),
    BeltSpec(
        "hangzhou-apparel",
        "Hangzhou apparel",
        "杭州服装",
        "Hangzhou",
        "apparel",
        "Women's apparel brands and live-stream studios around the platform's headquarters.",
        9,
        0.09,
    ),
    BeltSpec(
        "wenzhou-womens-shoes",
        "Wenzhou women's shoes",
        "温州女鞋",
        "Wenzhou",
        "womens-shoes",
        "Women's shoe factories and brands of Wenzhou.",
        10,
        0.04,
    ),
    BeltSpec(
        "huzhou-childrens-clothing",
        "Huzhou children's clothing",
        "湖州童装",
        "Huzhou",
        "childrens-clothing",
        "Children's clothing from the workshops of Zhili, Huzhou.",
        11,
        0.11,
        place="Zhili",
    ),
    BeltSpec(
        "nantong-home-textiles",
        "Nantong home textiles",
        "南通家纺",
        "Nantong",
        "home-textiles",
        "Bedding and home textiles; its makers value the platform's support for new accounts.",
        12,
        0.07,
    ),
    BeltSpec(
        "ganzhou-furniture",
        "Ganzhou furniture",
        "赣州家具",
        "Ganzhou",
        "furniture",
        "Second only to Foshan; high logistics cost for bulky furniture, served by Cainiao's "
        "self-operated delivery-and-installation chain.",
        13,
        0.15,
        place="Nankang",
    ),
    BeltSpec(
        "haining-fur",
        "Haining fur",
        "海宁皮草",
        "Haining",
        "fur",
        "Fur and leather apparel, one of Zhejiang's textile and apparel belts.",
        14,
        0.03,
    ),
    BeltSpec(
        "pinghu-down",
        "Pinghu down",
        "平湖羽绒服",
        "Pinghu",
        "down",
        "Down jackets and coats from Pinghu, Jiaxing.",
        15,
        0.10,
    ),
    BeltSpec(
        "puyuan-cashmere",
        "Puyuan cashmere",
        "濮院羊毛衫",
        "Tongxiang",
        "cashmere",
        "Cashmere and woollen knitwear from Puyuan town, Tongxiang.",
        16,
        0.09,
        place="Puyuan",
    ),
    BeltSpec(
        "dehong-jewelry",
        "Dehong jewelry",
        "德宏珠宝",
        "Dehong",
        "jewelry",
        "Jadeite and jewelry traded at the Myanmar border, much of it sold live.",
        17,
        0.25,
        place="Ruili",
    ),
    BeltSpec(
        "xingtai-leather",
        "Xingtai leather",
        "邢台皮革",
        "Xingtai",
        "leather",
        "Leather and leather goods; Xingtai is one of the growth-belt cities.",
        18,
        0.45,
    ),
    BeltSpec(
        "jingdezhen-porcelain",
        "Jingdezhen porcelain",
        "景德镇陶瓷",
        "Jingdezhen",
        "porcelain",
        "Porcelain from the 'Jingpiao', young potters opening shops and live rooms.",
        19,
        0.22,
    ),
    BeltSpec(
        "xuchang-wigs",
        "Xuchang wigs",
        "许昌假发",
        "Xuchang",
        "wigs",
        "Wigs and hair products for markets at home and abroad.",
        20,
        0.20,
    ),
    BeltSpec(
        "nanjing-chemical",
        "Nanjing chemical",
        "南京化工",
        "Nanjing",
        "chemicals",
        "Chemical raw materials and daily chemicals sold to businesses and households.",
        21,
        -0.02,
    ),
    BeltSpec(
        "zhengzhou-apparel",
        "Zhengzhou apparel",
        "郑州服装",
        "Zhengzhou",
        "apparel",
        "Women's trousers and apparel; Zhengzhou is one of the growth-belt cities.",
        22,
        0.55,
    ),
    BeltSpec(
        "beihai-pearls",
        "Beihai pearls",
        "北海珍珠",
        "Beihai",
        "jewelry",
        "South Sea pearls from Beihai, a growth-belt city.",
        23,
        0.60,
    ),
    BeltSpec(
        "jian-electronics",
        "Ji'an electronics",
        "吉安电子",
        "Ji'an",
        "electronics",
        "Electronic components and consumer electronics; Ji'an is one of the growth-belt cities.",
        24,
        0.70,
    ),
    BeltSpec(
        "xingtai-pingxiang-kids-bikes",
        "Xingtai-Pingxiang children's bicycles",
        "邢台平乡童车",
        "Xingtai",
        "kids-bikes",
        "Children's bicycles and strollers from Pingxiang county, Xingtai.",
        25,
        0.50,
        place="Pingxiang",
    ),
)

# The belt of the flagship demo merchant: the one the "merchant" login owns and the "reviewer"
# login's center serves.
FLAGSHIP_BELT = "foshan-furniture"
REVIEWER_CENTER = "Foshan furniture center"


@dataclass(frozen=True, slots=True)
class FlagshipProfile:
    merchant_type: str
    brand_stage: str
    opened_on: datetime.date
    monthly_gmv: float  # CNY at the end of the metric window, before seasonality
    growth: float
    live_share: float  # at the end of the window; half of it at the start
    live_sessions: float  # a month


# The flagship merchant: an SMB source factory that started live streaming but goes live a few
# times a month, a couple of sessions short of Source Power's 20 in 90 days: an instructive
# "not yet" it can act on. At the default demo size (2,000 merchants) Foshan furniture, the
# largest belt, is the one belt past CNY 1 bn a year, so it is a growth belt under the default
# tier policy, and the flagship (an SMB of it) is eligible for Star Origin, whose intake is open.
FLAGSHIP_PROFILE = FlagshipProfile(
    merchant_type="source_factory",
    brand_stage="me_better",
    opened_on=datetime.date(2019, 3, 18),
    monthly_gmv=620_000.0,
    growth=0.18,
    live_share=0.28,
    live_sessions=5.5,
)

CENTERS: tuple[CenterSpec, ...] = (
    CenterSpec(
        "Hangzhou headquarters",
        "杭州总部",
        "Hangzhou",
        (
            "hangzhou-apparel",
            "haining-fur",
            "pinghu-down",
            "puyuan-cashmere",
            "huzhou-childrens-clothing",
            "dehong-jewelry",
            "nanjing-chemical",
        ),
    ),
    CenterSpec(
        "Guangdong apparel center",
        "广东服装运营中心",
        "Guangzhou",
        ("guangzhou-apparel",),
        opened_on="2023-09-01",
    ),
    CenterSpec(
        "Pearl River Delta center",
        "珠三角运营中心",
        "Dongguan",
        ("guangzhou-beauty", "dongguan-mobile-phones", "shunde-small-appliances", "beihai-pearls"),
    ),
    CenterSpec(REVIEWER_CENTER, "佛山家具运营中心", "Foshan", ("foshan-furniture",)),
    CenterSpec(
        "Baoding luggage center",
        "保定箱包运营中心",
        "Baoding",
        ("baoding-baigou-luggage", "xingtai-leather", "xingtai-pingxiang-kids-bikes"),
    ),
    CenterSpec(
        "Jinhua-Yiwu center",
        "金华义乌运营中心",
        "Yiwu",
        ("yiwu-small-commodities", "jinhua-textiles"),
    ),
    CenterSpec("Wenzhou center", "温州运营中心", "Wenzhou", ("wenzhou-womens-shoes",)),
    CenterSpec(
        "Ganzhou home center",
        "赣州家居运营中心",
        "Ganzhou",
        ("ganzhou-furniture", "jingdezhen-porcelain", "jian-electronics"),
    ),
    CenterSpec(
        "Nantong center",
        "南通运营中心",
        "Nantong",
        ("nantong-home-textiles", "nanjing-chemical"),
    ),
    CenterSpec(
        "Central China center", "华中运营中心", "Zhengzhou", ("zhengzhou-apparel", "xuchang-wigs")
    ),
)


def _criterion(type_: str, **params: Any) -> dict[str, Any]:
    return {"type": type_, "params": params}


# Criteria in the eligibility engine's format: a list of {"type": ..., "params": {...}}; money
# and rates as decimal strings, months and session counts as integers. The engine ANDs them.
PROGRAMS: tuple[ProgramSpec, ...] = (
    ProgramSpec(
        "source_power",
        "Source Power",
        "源力计划",
        "Live-stream incubation for industrial-belt factories: builds local live-stream operating "
        "capacity, incubates new belt live teams and uses live commerce to scale the belt so its "
        "makers earn more.",
        (
            RuleSetSpec(
                1,
                True,
                [
                    _criterion("merchant_type_in", types=["source_factory", "oem"]),
                    _criterion("live_sessions_at_least", min=20, days=90),
                    _criterion("store_age_at_least", months=6),
                    _criterion("refund_rate_at_most", max="0.15"),
                ],
                "Factories that already go live at least every few days.",
            ),
        ),
        description_zh="面向产业带工厂的直播孵化计划：培养本地直播运营能力，孵化产业带新的直播团队，用直播电商带动产业带规模增长，让工厂多赚钱。",
        benefits=(
            "Live-stream operator training, a local live-stream base to broadcast from, and "
            "traffic support for the factory's first live sessions."
        ),
        benefits_zh="直播运营培训、可直接开播的本地直播基地，以及新开播场次的流量扶持。",
    ),
    ProgramSpec(
        "star_origin",
        "Star Origin",
        "星源计划",
        "Launched in September 2023 for small and medium businesses in the national trend belts: "
        "tens of billions of traffic impressions, good-price festivals, live streams and search "
        "recommendations to surface quality sources from new and dynamic belts.",
        (
            RuleSetSpec(
                1,
                True,
                [
                    _criterion("smb", value=True),
                    _criterion("belt_tier_in", tiers=["growth"]),
                    _criterion("gmv_between", min="100000.00", max="30000000.00"),
                    _criterion("refund_rate_at_most", max="0.20"),
                ],
                "SMBs of growth belts with a trailing-12-month GMV of CNY 0.1 M to 30 M.",
            ),
        ),
        description_zh="2023年9月面向全国潮流产业带的中小商家推出：拿出百亿级流量，结合好价节、直播、搜索推荐等平台资源，挖掘并扶持新兴、有活力的产业带优质货源。",
        benefits=(
            "A share of tens of billions of traffic impressions, and places in good-price "
            "festivals, live streams and search recommendations."
        ),
        benefits_zh="百亿级流量曝光，以及好价节、直播和搜索推荐的资源位。",
    ),
    ProgramSpec(
        "thousand_stars",
        "Thousand Stars",
        "千星计划",
        "Released in 2023 to support new brands and trend tracks: helps start-up brands find the "
        "right track and build word of mouth.",
        (
            RuleSetSpec(
                1,
                True,
                [
                    _criterion("merchant_type_in", types=["brand"]),
                    _criterion("brand_stage_in", stages=["me_better", "me_only"]),
                    _criterion("store_age_at_most", months=36),
                    _criterion("yoy_growth_at_least", min="0.20"),
                    _criterion("gmv_between", min="300000.00", max=None),
                ],
                "Young brands past 'me too' that grow at least 20% a year.",
            ),
        ),
        description_zh="2023年发布，扶持新品牌和潮流赛道：帮助初创品牌找准赛道、积累口碑。",
        benefits=(
            "Advice on track and positioning, launch campaigns for new products, and word of "
            "mouth built with reviews and content."
        ),
        benefits_zh="赛道与定位指导、新品首发活动，以及借助评价和内容积累口碑。",
    ),
    ProgramSpec(
        "star_generation",
        "Star Generation",
        "星生代计划",
        "Released in 2023 to incubate new merchants, and a way back for merchants returning to "
        "the platform.",
        (
            RuleSetSpec(
                1,
                True,
                [
                    _criterion("store_age_at_most", months=12),
                    _criterion("smb", value=True),
                ],
                "New small merchants in their first year.",
            ),
            # Criteria are ANDed, so returning merchants need their own rule set: a draft to
            # simulate before it replaces version 1.
            RuleSetSpec(
                2,
                False,
                [
                    _criterion("returned_within", months=12),
                    _criterion("smb", value=True),
                ],
                "Draft: merchants who came back to the platform within the last year.",
            ),
        ),
        description_zh="2023年发布，孵化新商家，也为回归平台的商家提供回归通道。",
        benefits=(
            "A first-year growth plan, fee reductions for new stores and a dedicated "
            "onboarding contact."
        ),
        benefits_zh="首年成长计划、新店费用减免和专属入驻对接人。",
    ),
    ProgramSpec(
        "blue_star",
        "Blue Star",
        "蓝星计划",
        "Released in 2023 for new brands on trend tracks: traffic and services for young brands "
        "that already sell through live streams.",
        (
            RuleSetSpec(
                1,
                True,
                [
                    _criterion("brand_stage_in", stages=["me_better", "me_only"]),
                    _criterion(
                        "category_in",
                        categories=[
                            "beauty",
                            "small-appliances",
                            "apparel",
                            "jewelry",
                            "porcelain",
                            "electronics",
                        ],
                    ),
                    _criterion("store_age_at_most", months=24),
                    _criterion("live_share_at_least", min="0.10"),
                ],
                "Young differentiated brands of trend categories selling at least 10% live.",
            ),
        ),
        description_zh="2023年发布，面向潮流赛道的新品牌：为已经通过直播销售的年轻品牌提供流量和服务。",
        benefits=(
            "Traffic for live sessions, introductions to partner live-stream hosts, and brand"
            " services for young brands."
        ),
        benefits_zh="直播场次流量、合作主播对接，以及面向年轻品牌的品牌服务。",
    ),
)

COHORTS: tuple[CohortSpec, ...] = (
    CohortSpec(
        "source_power",
        "Foshan furniture live-stream class",
        seats=12,
        opened_days_ago=10,
        closes_in_days=45,
        belt=FLAGSHIP_BELT,
        name_zh="佛山家具直播班",
    ),
    CohortSpec(
        "source_power",
        "Belt factories live-stream class",
        40,
        opened_days_ago=20,
        closes_in_days=40,
        name_zh="产业带工厂直播班",
    ),
    CohortSpec(
        "star_origin",
        "Trend-belt SMB intake",
        50,
        opened_days_ago=14,
        closes_in_days=60,
        name_zh="潮流产业带中小商家招募",
    ),
    CohortSpec(
        "thousand_stars",
        "New brand track intake",
        30,
        opened_days_ago=7,
        closes_in_days=30,
        name_zh="新品牌赛道招募",
    ),
    CohortSpec(
        "star_generation",
        "New merchant intake",
        50,
        opened_days_ago=30,
        closes_in_days=90,
        name_zh="新商家招募",
    ),
    CohortSpec(
        "blue_star",
        "Trend track intake",
        10,
        opened_days_ago=5,
        closes_in_days=25,
        name_zh="潮流赛道招募",
    ),
)

ENROLLMENTS: tuple[EnrollmentSpec, ...] = (
    # The flagship merchant has no application yet: it can apply to Star Origin's open intake.
    EnrollmentSpec(
        "Foshan furniture live-stream class",
        "submitted",
        {"belt__slug": FLAGSHIP_BELT, "merchant_type__in": ["source_factory", "oem"]},
    ),
    EnrollmentSpec(
        "Foshan furniture live-stream class",
        "in_review",
        {"belt__slug": FLAGSHIP_BELT, "merchant_type__in": ["source_factory", "oem"]},
    ),
    EnrollmentSpec("Foshan furniture live-stream class", "approved", {"belt__slug": FLAGSHIP_BELT}),
    EnrollmentSpec(
        "Belt factories live-stream class", "active", {"merchant_type": "source_factory"}
    ),
    EnrollmentSpec("Belt factories live-stream class", "waitlisted", {"merchant_type": "oem"}),
    EnrollmentSpec("Trend-belt SMB intake", "in_review", {"is_smb": True}),
    EnrollmentSpec(
        "Trend-belt SMB intake", "approved", {"is_smb": True, "returned_on__isnull": True}
    ),
    EnrollmentSpec(
        "New brand track intake",
        "submitted",
        {"merchant_type": "brand", "brand_stage__in": ["me_better", "me_only"]},
    ),
    EnrollmentSpec("New brand track intake", "active", {"merchant_type": "brand"}),
    EnrollmentSpec("New merchant intake", "submitted", {"is_smb": True}),
    EnrollmentSpec("New merchant intake", "approved", {"is_smb": True}),
    EnrollmentSpec("Trend track intake", "waitlisted", {"brand_stage": "me_only"}),
    EnrollmentSpec(
        "Trend track intake", "in_review", {"brand_stage__in": ["me_better", "me_only"]}
    ),
)

# The transitions that lead to each state, in order, from a new draft.
ENROLLMENT_PATHS: dict[str, tuple[str, ...]] = {
    "submitted": ("draft", "submitted"),
    "in_review": ("draft", "submitted", "in_review"),
    "approved": ("draft", "submitted", "in_review", "approved"),
    "waitlisted": ("draft", "submitted", "in_review", "waitlisted"),
    "active": ("draft", "submitted", "in_review", "approved", "active"),
}

SELF_OPERATED = "Cainiao Home Delivery & Installation"

# Cainiao's self-operated home-furnishing network is in the article; the contracted carriers are
# fictional, so demo incidents blame no real company.
PROVIDERS: tuple[ProviderSpec, ...] = (
    ProviderSpec(SELF_OPERATED, "菜鸟家装自营", "self_operated"),
    ProviderSpec("Lingnan Line-haul Freight", "岭南干线物流", "contracted"),
    ProviderSpec("Ganjiang Furniture Logistics", "赣江家具物流", "contracted"),
    ProviderSpec("Jiangnan Last-mile Express", "江南末端配送", "contracted"),
    ProviderSpec("Pearl River Installers", "珠江安装服务", "contracted"),
)

# Delivery-and-installation chains -------------------------------------------------------------
# The demo's shipments are drawn (config.demo.chains) for the furniture and home belts: bulky
# goods picked up from the maker, hauled, delivered and, for most, installed at the buyer's.


@dataclass(frozen=True, slots=True)
class ItemSpec:
    description: str
    # Declared value range (CNY).
    low: int
    high: int
    installed: bool = True  # whether an installation leg follows the delivery


@dataclass(frozen=True, slots=True)
class ChainBeltSpec:
    belt: str
    weight: float  # the belt's share of the drawn shipments
    items: tuple[ItemSpec, ...]


CHAIN_SHIPMENTS = 360
# The first shipments drawn are the flagship merchant's (the "merchant" login's): the first a
# mixed chain whose line haul damaged the goods, resolved by sending a new one; the second on
# its way.
FLAGSHIP_SHIPMENTS = 8
ORDER_PREFIX = "DEMO-ORD-"

CHAIN_BELTS: tuple[ChainBeltSpec, ...] = (
    ChainBeltSpec(
        FLAGSHIP_BELT,
        0.42,
        (
            ItemSpec("Solid wood bathroom cabinet", 2200, 4800),
            ItemSpec("Fabric three-seat sofa", 3200, 7800),
            ItemSpec("Leather sectional sofa", 6800, 16800),
            ItemSpec("Oak bed frame, 1.8 m", 2400, 5200),
            ItemSpec("Marble-top dining table", 3600, 9800),
            ItemSpec("TV cabinet with glass doors", 1600, 3800),
            ItemSpec("Six-drawer chest", 1200, 2900),
            ItemSpec("Rattan lounge chair", 900, 2200, installed=False),
        ),
    ),
    ChainBeltSpec(
        "ganzhou-furniture",
        0.28,
        (
            ItemSpec("Solid wood wardrobe, three doors", 4200, 8800),
            ItemSpec("Solid wood dining table with six chairs", 5200, 9600),
            ItemSpec("Pine bunk bed", 2100, 4200),
            ItemSpec("Walnut bookcase", 2600, 5600),
            ItemSpec("Solid wood desk", 1500, 3600),
            ItemSpec("Camphor wood chest", 1800, 4400, installed=False),
        ),
    ),
    ChainBeltSpec(
        "shunde-small-appliances",
        0.14,
        (
            ItemSpec("Built-in dishwasher", 3200, 6200),
            ItemSpec("Range hood", 1800, 4200),
            ItemSpec("Gas water heater", 1600, 3900),
            ItemSpec("Built-in steam oven", 3600, 7200),
        ),
    ),
    ChainBeltSpec(
        "nantong-home-textiles",
        0.09,
        (
            ItemSpec("Latex mattress, 1.8 m", 2600, 6800, installed=False),
            ItemSpec("Pocket-spring mattress, 1.5 m", 1800, 4200, installed=False),
            ItemSpec("Motorised curtain set", 1500, 3800),
        ),
    ),
    ChainBeltSpec(
        "jingdezhen-porcelain",
        0.07,
        (
            ItemSpec("Hand-painted porcelain floor vase", 1800, 6800, installed=False),
            ItemSpec("Porcelain tea table set", 2400, 5800, installed=False),
            ItemSpec("Ceramic wall mural, six tiles", 2200, 5200),
        ),
    ),
)

# A leg's SLA, in hours from its start.
LEG_SLA_HOURS: dict[str, tuple[int, int]] = {
    "pickup": (24, 24),
    "line_haul": (48, 96),
    "last_mile": (36, 60),
    "installation": (48, 72),
}
# Who runs each leg of a mixed chain, the most likely first; a single chain is the self-operated
# network end to end.
SINGLE_CHAIN_SHARE = 0.4
LEG_PROVIDERS: dict[str, tuple[tuple[str, float], ...]] = {
    "pickup": (
        ("Lingnan Line-haul Freight", 0.45),
        ("Ganjiang Furniture Logistics", 0.35),
        (SELF_OPERATED, 0.20),
    ),
    "line_haul": (
        ("Lingnan Line-haul Freight", 0.55),
        ("Ganjiang Furniture Logistics", 0.35),
        (SELF_OPERATED, 0.10),
    ),
    "last_mile": (
        ("Jiangnan Last-mile Express", 0.65),
        (SELF_OPERATED, 0.25),
        ("Ganjiang Furniture Logistics", 0.10),
    ),
    "installation": (("Pearl River Installers", 0.75), (SELF_OPERATED, 0.25)),
}
# The chance that a leg damages the goods: the self-operated network, then a contracted carrier.
DAMAGE_RATES: dict[str, tuple[float, float]] = {
    "pickup": (0.006, 0.025),
    "line_haul": (0.012, 0.06),
    "last_mile": (0.01, 0.045),
    "installation": (0.006, 0.025),
}
DAMAGED_BEFORE_PICKUP = 0.005  # the pickup check finds the goods already damaged
# The chance that a hand-over is made without looking (graded "not checked"): within one
# provider's network, then between two providers.
NOT_CHECKED_RATES = (0.02, 0.16)
# The chance that a leg overruns its SLA: the self-operated network, then a contracted carrier.
LATE_RATES = (0.05, 0.11)
# The chance that a leg due in the last four days is stuck, still open past its SLA.
STALLED_RATES = (0.04, 0.15)
MISSING_PART_RATE = 0.025  # parts missing, mostly at packing (sealed cartons), some lost later
PACKING_SHARE = 0.6
INSTALLATION_DEFECT_RATES = (0.012, 0.035)
DELAY_REPORT_RATE = 0.12  # of the shipments with a leg past its SLA, how many buyers complain
RESOLVED_RATE = 0.85  # of the incidents older than two days
# What is done about an incident, by kind: (resolution, weight).
RESOLUTION_WEIGHTS: dict[str, tuple[tuple[str, float], ...]] = {
    "damage": (
        ("resend_new", 0.66),
        ("return_refund", 0.12),
        ("repair", 0.12),
        ("partial_refund", 0.10),
    ),
    "missing_part": (("resend_new", 0.8), ("repair", 0.2)),
    "installation_defect": (("repair", 0.65), ("resend_new", 0.25), ("partial_refund", 0.10)),
    "delay": (("partial_refund", 1.0),),
}
# Who bears an unattributed incident's cost, with the reason written down.
UNATTRIBUTED_BEARERS: tuple[tuple[str, float, str], ...] = (
    (
        "platform",
        0.65,
        "No check recorded between the last intact hand-over and the damage: the platform covers "
        "the cost and has reminded the carriers to grade every hand-over.",
    ),
    (
        "merchant",
        0.35,
        "Unattributed: the merchant agreed to bear the cost to keep the buyer; the carriers were "
        "asked to grade every hand-over.",
    ),
)
BEFORE_CHAIN_NOTE = (
    "The pickup check recorded the damage: the goods left the merchant damaged, so the merchant "
    "bears the cost."
)

DAMAGE_NOTES: tuple[str, ...] = (
    "Carton crushed at one corner; panel cracked.",
    "Deep scratches along the top surface.",
    "Glass door shattered inside the wrap.",
    "One leg snapped off at the joint.",
    "Water stains on the carton; veneer lifting.",
    "Edge chipped, visible through the torn foam.",
)
DAMAGE_DESCRIPTIONS: tuple[str, ...] = (
    "Damaged on arrival: the buyer refuses the item.",
    "Cracked panel found before installation.",
    "Buyer reports scratches and a dented corner after delivery.",
    "Broken glass found when the wrap was opened.",
)
NOT_CHECKED_NOTES: tuple[str, ...] = (
    "",
    "Handed over at night, wrap not opened.",
    "Driver in a hurry: no inspection.",
    "Loaded straight from the dock, not looked at.",
)
SEALED_NOTE = "Sealed carton, not opened."
MISSING_PART_NOTES: tuple[str, ...] = (
    "Two hinge brackets missing.",
    "Screw pack missing.",
    "One shelf board missing.",
    "Slat brackets missing.",
)
MISSING_PART_DESCRIPTIONS: tuple[str, ...] = (
    "Parts missing at installation: the installer could not finish.",
    "Buyer reports a missing screw pack after delivery.",
)
INSTALLATION_DEFECT_DESCRIPTIONS: tuple[str, ...] = (
    "Doors hang crooked after installation.",
    "Installer drilled into a pipe behind the wall.",
    "Unit not level; drawer rubs against the frame.",
    "Wall mount loose a day after installation.",
)
DELAY_DESCRIPTIONS: tuple[str, ...] = (
    "Customer reports no delivery appointment a day after the promised date.",
    "Buyer complains the installation was postponed twice.",
    "No movement on the tracking for three days.",
)

# Monthly GMV seasonality (1 = an ordinary month): Spring Festival dip in February, 618 in June,
# Double 11 in November.
SEASONALITY: dict[int, float] = {
    1: 1.00,
    2: 0.72,
    3: 0.95,
    4: 0.95,
    5: 1.02,
    6: 1.35,
    7: 0.90,
    8: 0.92,
    9: 1.00,
    10: 1.10,
    11: 1.95,
    12: 1.20,
}

# Syllables for merchants' trade names ("Hongtai", "Jinlong", ...).
NAME_SYLLABLES: tuple[str, ...] = (
    "An",
    "Bao",
    "Bo",
    "Chang",
    "Cheng",
    "Da",
    "De",
    "Fa",
    "Feng",
    "Fu",
    "Guang",
    "Hai",
    "Hao",
    "Heng",
    "Hong",
    "Hua",
    "Hui",
    "Jia",
    "Jin",
    "Jing",
    "Kai",
    "Kang",
    "Le",
    "Li",
    "Long",
    "Mei",
    "Ming",
    "Nuo",
    "Pin",
    "Qi",
    "Rui",
    "Sheng",
    "Shun",
    "Tai",
    "Tian",
    "Wei",
    "Xin",
    "Xing",
    "Ya",
    "Yi",
    "Yuan",
    "Yue",
    "Zhi",
    "Zhong",
)

# Merchant-type weights per category mix, in MerchantType order:
# source factory, OEM, brand, distributor, live-stream studio.
MERCHANT_TYPE_WEIGHTS: dict[str, tuple[float, ...]] = {
    "factory": (0.42, 0.18, 0.15, 0.15, 0.10),
    "brand": (0.20, 0.20, 0.35, 0.12, 0.13),
    "trade": (0.25, 0.05, 0.10, 0.40, 0.20),
}

SHOP_SUFFIXES: dict[str, str] = {
    "source_factory": "Source Factory Store",
    "oem": "Factory Outlet",
    "brand": "Flagship Store",
    "distributor": "Wholesale",
    "live_studio": "Live",
}

# The channels a merchant of each type sells on, most likely first.
STOREFRONT_CHANNELS: dict[str, tuple[str, ...]] = {
    "source_factory": ("1688", "taobao", "taobao_live"),
    "oem": ("1688", "taobao", "tmall"),
    "brand": ("tmall", "taobao_live", "taobao"),
    "distributor": ("taobao", "1688", "taobao_live"),
    "live_studio": ("taobao_live", "taobao", "tmall"),
}


@dataclass(frozen=True, slots=True)
class DemoLogin:
    username: str
    secret: str
    description: str


# Demo-only credentials, printed by seed_demo and reset on every run so they always work.
DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("admin", "admin-belt-ops", "superuser: the whole console"),
    DemoLogin(
        "reviewer", "review-belt-ops", "staff reviewer of the Foshan furniture center (console)"
    ),
    DemoLogin("merchant", "merchant-belt-ops", "owner of a Foshan furniture merchant (portal)"),
)
REVIEWERS_GROUP = "Reviewers"


# The demo's tier policy, every year. Its two thousand merchants are a sample of a platform of
# millions: at the source's thresholds (CNY 10 bn, CNY 1 bn and the top 30) one demo belt would be
# a growth belt and every other one standard. Scaled down (CNY 1 bn, CNY 0.1 bn, the top 8) so the
# sample's belts spread over the three tiers as the source's do; TierPolicy rows are data, and an
# installation keeps the model's defaults (the source's thresholds).
DEMO_TIER_POLICY = {
    "ten_billion_gmv": Decimal("1000000000"),
    "growth_min_gmv": Decimal("100000000"),
    "growth_top_n": 8,
}
