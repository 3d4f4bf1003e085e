"""Content categories → detailed types → repository (brief §4, usage notice §4).

One table the gateway serves as-is, so that every screen shows the same bilingual labels and the
same accession rules the backups service enforces.
"""
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Repository:
    code: str            # also its display name
    accession_pattern: str
    accession_example: str
    url: str

    def accepts(self, accession: str) -> bool:
        # fullmatch, not match: "$" alone would let a trailing newline through.
        return re.fullmatch(self.accession_pattern, accession) is not None


@dataclass(frozen=True)
class DetailedType:
    code: str
    label_zh: str
    label_en: str
    repository: str


@dataclass(frozen=True)
class Category:
    code: str
    label_zh: str
    label_en: str
    detailed_types: tuple[str, ...]


REPOSITORIES: dict[str, Repository] = {r.code: r for r in (
    Repository("GSA-Human", r"^HRA\d{6}$", "HRA000567", "https://ngdc.cncb.ac.cn/gsa-human/"),
    Repository("GWH", r"^GWH[A-Z]{4}\d{8}(\.\d+)?$", "GWHAAAA00000000", "https://ngdc.cncb.ac.cn/gwh/"),
    Repository("GVM", r"^GVM\d{6}$", "GVM000404", "https://ngdc.cncb.ac.cn/gvm/"),
    Repository("GenBase", r"^C_[A-Z]{2}\d{6}\.\d+$", "C_AA004835.1", "https://ngdc.cncb.ac.cn/genbase/"),
    Repository("OMIX", r"^OMIX\d{6}(-\d{2})?$", "OMIX001226", "https://ngdc.cncb.ac.cn/omix/"),
)}

DETAILED_TYPES: dict[str, DetailedType] = {t.code: t for t in (
    DetailedType("raw_sequencing", "组学原始测序数据", "Omics raw sequencing data", "GSA-Human"),
    DetailedType("genome_assembly", "基因组组装数据", "Genome assembly data", "GWH"),
    DetailedType("genome_variation", "基因组变异数据", "Genome variation data", "GVM"),
    DetailedType("variation_chip", "变异芯片数据", "Variation chip data", "GVM"),
    DetailedType("gwas", "全基因组关联分析数据", "GWAS data", "GVM"),
    DetailedType("sequence_biomarker", "核酸序列类生物标志物", "Nucleic-acid sequence biomarkers", "GenBase"),
    DetailedType("chip_raw", "基因组芯片原始数据", "Chip raw data", "OMIX"),
    DetailedType("chip_analysis", "芯片统计与分析数据", "Chip statistics and analysis data", "OMIX"),
    DetailedType("other_biomarker", "其它核酸类生物标志物", "Other nucleic-acid biomarkers", "OMIX"),
    DetailedType("analysis_statistics", "各类统计与分析数据", "Statistics and analysis data", "OMIX"),
)}

CATEGORIES: dict[str, Category] = {c.code: c for c in (
    Category("wgs", "全基因组测序相关数据", "Whole-genome sequencing data",
             ("raw_sequencing", "genome_assembly", "genome_variation", "gwas", "analysis_statistics")),
    Category("chip", "全基因组芯片相关数据", "Genome-wide chip data",
             ("chip_raw", "variation_chip", "chip_analysis", "gwas")),
    Category("wes", "全外显子组测序相关数据", "Whole-exome sequencing data",
             ("raw_sequencing", "genome_variation", "analysis_statistics")),
    Category("targeted", "基因组靶向测序相关数据", "Targeted genome sequencing data",
             ("raw_sequencing", "sequence_biomarker", "other_biomarker", "analysis_statistics")),
    Category("epigenome", "表观组测序相关数据", "Epigenome sequencing data",
             ("raw_sequencing", "sequence_biomarker", "other_biomarker", "analysis_statistics")),
    Category("transcriptome", "转录组测序相关数据", "Transcriptome sequencing data",
             ("raw_sequencing", "sequence_biomarker", "other_biomarker", "analysis_statistics")),
)}


def allowed_types(categories) -> set[str]:
    """Detailed types a backup of these categories may hold (the union over its categories)."""
    return {code for category in categories for code in CATEGORIES[category].detailed_types}


def repository_of(detailed_type: str) -> Repository:
    return REPOSITORIES[DETAILED_TYPES[detailed_type].repository]


def as_dict() -> dict:
    """The taxonomy as ``backups.taxonomy()`` serves it (contract shape)."""
    return {
        "categories": [{"code": c.code, "label_zh": c.label_zh, "label_en": c.label_en,
                        "detailed_types": list(c.detailed_types)} for c in CATEGORIES.values()],
        "detailed_types": [{"code": t.code, "label_zh": t.label_zh, "label_en": t.label_en,
                            "repository": t.repository} for t in DETAILED_TYPES.values()],
        "repositories": [{"code": r.code, "name": r.code, "accession_pattern": r.accession_pattern,
                          "accession_example": r.accession_example, "url": r.url}
                         for r in REPOSITORIES.values()],
    }
