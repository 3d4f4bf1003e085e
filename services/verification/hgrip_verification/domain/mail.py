"""The verification-code e-mail, worded as in the manual (数据集授权流程), Chinese first, then English."""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .repositories import REPOSITORIES

SUBJECT = "【人类遗传资源信息管理备份平台】数据集验证码"
PLATFORM_URL = "https://ngdc.cncb.ac.cn/hgrip/"
BEIJING = timezone(timedelta(hours=8))   # the date line is the recipient's calendar day

_TEXT = """人类遗传资源信息管理备份平台数据集验证码

{account}

您好，您的验证码为：{code}

该验证码由{requester}通过人类遗传资源信息管理备份平台向您发送，用于确认您在{repository} ({url}) 系统中提交的编号为 {accession} 的数据集在人类遗传资源信息管理备份平台中使用，相关项目名称为“{project}”。

此验证码有效期48小时，请勿外泄。

人类遗传资源信息管理备份平台网址：{platform}

{date}

注意：这封邮件是由系统自动发送，请不要直接回复它。

------------------------------------------------------------

Human Genetic Resources Information Backup Platform (HGRIP): dataset verification code

Hello {account},

Your verification code is: {code}

{requester} sent you this code through the Human Genetic Resources Information Backup Platform to confirm that the dataset {accession}, which you submitted to {repository} ({url}), may be used in the platform for the project "{project}".

The code is valid for 48 hours. Do not share it with anyone.

HGRIP: {platform}

{date}

Note: this e-mail was sent automatically; please do not reply to it.
"""  # noqa: E501 (the mail's paragraphs are one line each)


@dataclass(frozen=True)
class CodeMail:
    to: str
    subject: str
    text: str


def compose_code_mail(*, to: str, code: str, requester_name: str, project_name: str,
                      repository: str, accession: str, issued_at: datetime) -> CodeMail:
    text = _TEXT.format(account=to, code=code, requester=requester_name, project=project_name,
                        repository=repository, url=REPOSITORIES[repository].url, accession=accession,
                        platform=PLATFORM_URL, date=issued_at.astimezone(BEIJING).date().isoformat())
    return CodeMail(to=to, subject=SUBJECT, text=text)
