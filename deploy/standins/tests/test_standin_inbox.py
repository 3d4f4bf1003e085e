"""The sinks' inbox pages: mail sent over real SMTP and SMS posted over HTTP, read back over HTTP, decoded.

What a person trying the platform does to read a verification code: open the page, read the newest message.
"""
import os
import re
import smtplib
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from html import unescape

import requests

MANUAL_TEXT = """人类遗传资源信息管理备份平台数据集验证码

zhangxx@big.ac.cn

您好，您的验证码为：320000

该验证码由张晓寒通过人类遗传资源信息管理备份平台向您发送，用于确认您在OMIX (https://ngdc.cncb.ac.cn/omix/) \
系统中提交的编号为 OMIX001226 的数据集在人类遗传资源信息管理备份平台中使用。

此验证码有效期48小时，请勿外泄。
"""   # as the verification service words it; its long line makes the email package pick base64


def start_mail(standin, free_port):
    web = f"127.0.0.1:{free_port()}"
    address, process = standin(["hgrip_standins.smtp_sink"], "HGRIP_SMTP_ADDRESS",
                               extra_env={"HGRIP_MAIL_WEB_ADDRESS": web})
    host, port = address.split(":")
    return (host, int(port)), f"http://{web}", process


def mail(subject, text, to="zhangxx@big.ac.cn", sender="人类遗传资源信息管理备份平台 <hgrip@localhost>", cte=None):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message.set_content(text, charset="utf-8", **({"cte": cte} if cte else {}))
    return message


def articles(html: str) -> list[str]:
    return re.findall(r"<article\b.*?</article>", html, re.S)


def assert_page_headers(answer):
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    csp = answer.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script" not in csp
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Cache-Control"] == "no-store"
    assert "<script" not in answer.text.lower()                       # no script of our own, and none let in
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", answer.text)   # nothing loaded from elsewhere


def test_mail_page_lists_decoded_messages_newest_first(standin, free_port):
    (host, port), web, _ = start_mail(standin, free_port)
    assert requests.get(web + "/", timeout=5).status_code == 200       # empty inbox before any mail
    assert "暂无数据" in requests.get(web + "/mail/", timeout=5).text
    with smtplib.SMTP(host, port, timeout=10) as client:
        # As the platform sends it: UTF-8 text, which the email package encodes as base64.
        client.send_message(mail("【人类遗传资源信息管理备份平台】数据集验证码", MANUAL_TEXT))
        time.sleep(0.01)
        client.send_message(mail("quoted-printable 正文", "第二封：验证码为：654321\n", to="data-admin@big.ac.cn",
                                 cte="quoted-printable"))

    answer = requests.get(web + "/", timeout=5)
    assert_page_headers(answer)
    found = articles(answer.text)
    assert len(found) == 2 and "共 2 封" in answer.text
    newest, oldest = (unescape(a) for a in found)
    assert "quoted-printable 正文" in newest and "第二封：验证码为：654321" in newest   # newest first, decoded
    assert "data-admin@big.ac.cn" in newest
    assert "您好，您的验证码为：320000" in oldest                                        # base64 decoded
    assert "【人类遗传资源信息管理备份平台】数据集验证码" in oldest and "zhangxx@big.ac.cn" in oldest
    assert "北京时间" in oldest

    listing = requests.get(web + "/mail/messages", timeout=5).json()
    assert listing["count"] == 2
    first, second = listing["items"]
    assert second["text"] == MANUAL_TEXT and second["to"] == ["zhangxx@big.ac.cn"]
    assert second["subject"] == "【人类遗传资源信息管理备份平台】数据集验证码"
    assert second["from"] == "人类遗传资源信息管理备份平台 <hgrip@localhost>"
    assert first["received_at"] > second["received_at"] and first["received_at"].endswith("Z")

    only = requests.get(web + "/mail/messages", params={"to": "ZHANGXX@big.ac.cn"}, timeout=5).json()
    assert [item["id"] for item in only["items"]] == [second["id"]]
    assert requests.get(web + "/mail/messages", params={"to": "nobody@x.cn"}, timeout=5).json() \
        == {"items": [], "count": 0}
    filtered = requests.get(web + "/", params={"to": "zhangxx@big.ac.cn"}, timeout=5).text
    assert len(articles(filtered)) == 1 and "320000" in filtered and "654321" not in filtered

    # The raw message as received (base64 on the wire), shown as text; nothing else under that path.
    source = requests.get(f"{web}/mail/messages/{second['id']}.eml", timeout=5)
    assert source.status_code == 200 and source.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "Content-Transfer-Encoding: base64" in source.text and "320000" not in source.text
    for bad in ("../index.jsonl", "x", second["id"] + "0", "%2e%2e%2findex"):
        assert requests.get(f"{web}/mail/messages/{bad}.eml", timeout=5).status_code == 404, bad
    assert requests.get(web + "/mail/healthz", timeout=5).json()["status"] == "ok"
    health = subprocess.run([sys.executable, "-m", "hgrip_standins.health", "mail-web"], timeout=20,
                            env={**os.environ, "HGRIP_MAIL_WEB_ADDRESS": web.removeprefix("http://")})
    assert health.returncode == 0
    assert requests.post(web + "/mail/messages", timeout=5).status_code == 405


def test_mail_page_escapes_what_senders_write(standin, free_port):
    (host, port), web, _ = start_mail(standin, free_port)
    with smtplib.SMTP(host, port, timeout=10) as client:
        client.send_message(mail('<script>alert("subject")</script>', "<img src=x onerror=alert(1)> & 验证码",
                                 sender='"<b>evil</b>" <evil@x.example>'))
        html_only = EmailMessage()
        html_only["From"], html_only["To"], html_only["Subject"] = "a@x.example", "b@y.example", "html only"
        html_only.set_content("<p>您的验证码为：<b>777777</b></p><script>steal()</script>", subtype="html")
        client.send_message(html_only)
    page = requests.get(web + "/", timeout=5)
    assert_page_headers(page)
    assert '&lt;script&gt;alert(&quot;subject&quot;)&lt;/script&gt;' in page.text   # shown as text
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; 验证码" in page.text
    assert "&lt;b&gt;evil&lt;/b&gt;" in page.text
    assert "<img" not in page.text and "<b>" not in page.text
    items = requests.get(web + "/mail/messages", timeout=5).json()["items"]
    assert "您的验证码为：777777" in items[0]["text"]                 # an HTML-only body, as its text
    # The filter's value is echoed into the form and the refresh link: escaped there too.
    echoed = requests.get(web + "/", params={"to": '"><script>x()</script>'}, timeout=5).text
    assert "<script>x()" not in echoed and "&quot;&gt;&lt;script&gt;x()" in echoed


def test_sms_page_lists_messages_newest_first(standin):
    address, _ = standin(["hgrip_standins.sms_sink"], "HGRIP_SMS_ADDRESS")
    base = f"http://{address}"
    assert "暂无数据" in requests.get(base + "/", timeout=5).text
    texts = ["【人类遗传资源信息管理备份平台】刘浩然正在认领原系统备份，验证码为 123456，10分钟内有效。",
             "second 654321", "<script>alert(1)</script> 验证码 111111"]
    mobiles = ["13912345678", "15811112222", "13912345678"]
    for mobile, text in zip(mobiles, texts, strict=True):
        requests.post(f"{base}/sms/send", json={"mobile": mobile, "text": text, "sender": "HGRIP"},
                      timeout=5).raise_for_status()
        time.sleep(0.01)

    for path in ("/", "/sms/"):
        page = requests.get(base + path, timeout=5)
        assert_page_headers(page)
        found = [unescape(a) for a in articles(page.text)]
        assert len(found) == 3 and "共 3 条" in page.text
        assert texts[2] in found[0] and texts[1] in found[1] and texts[0] in found[2]   # newest first
        assert "15811112222" in found[1] and "北京时间" in found[1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert" not in page.text
    mine = requests.get(base + "/", params={"mobile": "13912345678"}, timeout=5).text
    assert len(articles(mine)) == 2 and "654321" not in mine
    # The JSON listing keeps its order (oldest first): clients read the latest as the last item.
    listed = requests.get(f"{base}/sms/messages", timeout=5).json()["items"]
    assert [item["text"] for item in listed] == texts


def test_smtp_sink_runs_without_its_page_when_only_the_default_address_is_taken(free_port, tmp_path):
    """Tests that start a bare sink (no HGRIP_MAIL_WEB_ADDRESS) must not fail while `make run` holds 8027."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = f"127.0.0.1:{taken.getsockname()[1]}"
        # The default, not an explicit address: a wrapper points the module's default at the taken port.
        wrapper = tmp_path / "sink_with_busy_default.py"
        wrapper.write_text("from hgrip_standins import smtp_sink\n"
                           f"smtp_sink.DEFAULT_WEB_ADDRESS = {busy!r}\nsmtp_sink.main()\n")
        env = {k: v for k, v in os.environ.items() if k != "HGRIP_MAIL_WEB_ADDRESS"}
        port = free_port()
        process = subprocess.Popen([sys.executable, str(wrapper)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   env={**env, "HGRIP_VAR": str(tmp_path / "var"),
                                        "HGRIP_SMTP_ADDRESS": f"127.0.0.1:{port}"})
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
                        client.send_message(mail("still delivered", "验证码为：101010"))
                    break
                except OSError:
                    assert process.poll() is None and time.monotonic() < deadline, "the sink did not come up"
                    time.sleep(0.1)
            assert (tmp_path / "var" / "mail" / "index.jsonl").read_text(encoding="utf-8").count("\n") == 1
        finally:
            process.terminate()
            output = process.communicate(timeout=10)[0].decode()
        assert "no inbox page" in output and process.returncode == 0

    # Asked for explicitly, a taken address is an error, not a silent absence.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        failed = subprocess.run([sys.executable, "-m", "hgrip_standins.smtp_sink"], capture_output=True, timeout=20,
                                env={**os.environ, "HGRIP_VAR": str(tmp_path / "var2"),
                                     "HGRIP_SMTP_ADDRESS": f"127.0.0.1:{free_port()}",
                                     "HGRIP_MAIL_WEB_ADDRESS": f"127.0.0.1:{taken.getsockname()[1]}"})
    assert failed.returncode != 0 and b"Address already in use" in failed.stderr
