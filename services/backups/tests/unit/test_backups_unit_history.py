"""Timeline summaries of backup events, in both languages, without e-mail addresses (plain Python)."""
import re

from hgrip_backups.domain.history import summarise


def test_every_event_of_a_backup_has_a_summary_in_both_languages(domain):
    backup = domain.backup(categories=["targeted"])
    hra = domain.add(backup)
    omix = domain.add(backup, detailed_type="analysis_statistics", accession="OMIX001226",
                      cases=10, mb_per_case=5, submission_account="zhangxx@big.ac.cn")
    backup.update_file(omix.id, {"cases": 12, "submission_account": "wangwu@big.ac.cn"},
                       domain.now, domain.confirmed)
    backup.dataset_verified(omix.id, "OMIX", "OMIX001226", "2023-06-28T10:03:53+00:00")
    extra = domain.add(backup, accession="HRA000568")
    backup.delete_file(extra.id, domain.now)
    backup.update(name="新名称", categories=["targeted", "wgs"])
    backup.submit(domain.now, lambda day: 16036)
    assert hra.progress == "complete"

    lines = [summarise(e.type, e.data) for e in backup.pending]
    assert lines == [
        ("创建备份“三例样本（父母子）的测序数据对外提供”（项目“三例样本（父母子）的测序数据开放共享备案”），"
         "涉及内容：基因组靶向测序相关数据",
         "Created backup “三例样本（父母子）的测序数据对外提供” in project "
         "“三例样本（父母子）的测序数据开放共享备案”, covering: Targeted genome sequencing data"),
        ("添加文件 HRA000567（组学原始测序数据，GSA-Human，50 例 × 2000 MB/例），进度：完成",
         "Added file HRA000567 (Omics raw sequencing data, GSA-Human, 50 cases × 2000 MB per case), "
         "progress: complete"),
        ("添加文件 OMIX001226（各类统计与分析数据，OMIX，10 例 × 5 MB/例），进度：待验证",
         "Added file OMIX001226 (Statistics and analysis data, OMIX, 10 cases × 5 MB per case), "
         "progress: awaiting verification"),
        ("修改文件 OMIX001226：合计例数、数据库提交账号（进度：待验证）",
         "Changed file OMIX001226: total cases, submission account (progress: awaiting verification)"),
        ("文件 OMIX001226 已由提交者通过邮箱验证码确认，进度：完成",
         "File OMIX001226 was confirmed by its submitter with the e-mailed code; progress: complete"),
        ("添加文件 HRA000568（组学原始测序数据，GSA-Human，50 例 × 2000 MB/例），进度：完成",
         "Added file HRA000568 (Omics raw sequencing data, GSA-Human, 50 cases × 2000 MB per case), "
         "progress: complete"),
        ("删除文件 HRA000568", "Deleted file HRA000568"),
        ("备份名称由“三例样本（父母子）的测序数据对外提供”改为“新名称”",
         "Renamed the backup from “三例样本（父母子）的测序数据对外提供” to “新名称”"),
        ("涉及内容改为：基因组靶向测序相关数据、全基因组测序相关数据",
         "Changed the content categories to: Targeted genome sequencing data, Whole-genome sequencing data"),
        ("提交备份，获得备份号 BF2023062816036（2 个文件，共 100060 MB），备份已锁定",
         "Submitted the backup: backup number BF2023062816036 (2 files, 100060 MB); the backup is now locked"),
    ]
    assert not any(re.search(r"\S+@\S+", zh + en) for zh, en in lines)


def test_an_unknown_event_type_is_named_not_dropped():
    assert summarise("SomethingNew", {}) == ("SomethingNew", "SomethingNew")
