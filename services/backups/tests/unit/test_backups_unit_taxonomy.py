"""The taxonomy of brief §4, in the contract's shape (plain Python)."""
from hgrip_backups.domain import taxonomy
from hgrip_kernel.contracts.backups import CATEGORY_CODES, DETAILED_TYPE_CODES, REPOSITORY_CODES


def test_categories_and_their_detailed_types():
    served = taxonomy.as_dict()
    assert [(c["code"], c["label_zh"], c["detailed_types"]) for c in served["categories"]] == [
        ("wgs", "全基因组测序相关数据",
         ["raw_sequencing", "genome_assembly", "genome_variation", "gwas", "analysis_statistics"]),
        ("chip", "全基因组芯片相关数据", ["chip_raw", "variation_chip", "chip_analysis", "gwas"]),
        ("wes", "全外显子组测序相关数据", ["raw_sequencing", "genome_variation", "analysis_statistics"]),
        ("targeted", "基因组靶向测序相关数据",
         ["raw_sequencing", "sequence_biomarker", "other_biomarker", "analysis_statistics"]),
        ("epigenome", "表观组测序相关数据",
         ["raw_sequencing", "sequence_biomarker", "other_biomarker", "analysis_statistics"]),
        ("transcriptome", "转录组测序相关数据",
         ["raw_sequencing", "sequence_biomarker", "other_biomarker", "analysis_statistics"]),
    ]
    assert all(c["label_en"] for c in served["categories"])


def test_detailed_types_decide_the_repository():
    served = taxonomy.as_dict()
    assert {t["code"]: (t["label_zh"], t["repository"]) for t in served["detailed_types"]} == {
        "raw_sequencing": ("组学原始测序数据", "GSA-Human"),
        "genome_assembly": ("基因组组装数据", "GWH"),
        "genome_variation": ("基因组变异数据", "GVM"),
        "variation_chip": ("变异芯片数据", "GVM"),
        "gwas": ("全基因组关联分析数据", "GVM"),
        "sequence_biomarker": ("核酸序列类生物标志物", "GenBase"),
        "chip_raw": ("基因组芯片原始数据", "OMIX"),
        "chip_analysis": ("芯片统计与分析数据", "OMIX"),
        "other_biomarker": ("其它核酸类生物标志物", "OMIX"),
        "analysis_statistics": ("各类统计与分析数据", "OMIX"),
    }
    assert all(t["label_en"] for t in served["detailed_types"])


def test_repositories_with_patterns_examples_and_urls():
    served = taxonomy.as_dict()["repositories"]
    assert [(r["code"], r["name"], r["accession_pattern"], r["accession_example"]) for r in served] == [
        ("GSA-Human", "GSA-Human", r"^HRA\d{6}$", "HRA000567"),
        ("GWH", "GWH", r"^GWH[A-Z]{4}\d{8}(\.\d+)?$", "GWHAAAA00000000"),
        ("GVM", "GVM", r"^GVM\d{6}$", "GVM000404"),
        ("GenBase", "GenBase", r"^C_[A-Z]{2}\d{6}\.\d+$", "C_AA004835.1"),
        ("OMIX", "OMIX", r"^OMIX\d{6}(-\d{2})?$", "OMIX001226"),
    ]
    assert all(r["url"].startswith("https://ngdc.cncb.ac.cn/") for r in served)
    for repository in taxonomy.REPOSITORIES.values():
        assert repository.accepts(repository.accession_example)


def test_allowed_types_is_the_union_over_categories():
    assert taxonomy.allowed_types(["chip", "wes"]) == {
        "chip_raw", "variation_chip", "chip_analysis", "gwas", "raw_sequencing", "genome_variation",
        "analysis_statistics"}
    assert taxonomy.allowed_types([]) == set()


def test_the_published_contract_knows_the_same_codes():
    assert tuple(taxonomy.CATEGORIES) == CATEGORY_CODES
    assert tuple(taxonomy.DETAILED_TYPES) == DETAILED_TYPE_CODES
    assert tuple(taxonomy.REPOSITORIES) == REPOSITORY_CODES
