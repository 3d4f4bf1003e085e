"""The HTML inbox pages of the mail and SMS sinks (like Mailpit's): what a person trying the platform reads.

Self-contained pages: UTF-8, no script, no external resource, every value HTML-escaped. A meta refresh
keeps a page current while someone waits for a code; the CSP forbids everything but the inline style.
"""
from datetime import datetime, timedelta, timezone
from html import escape
from urllib.parse import urlencode

from hgrip_standins.common import Response

REFRESH_SECONDS = 10
PAGE_LIMIT = 500   # newest messages shown on a page; the JSON listing has them all
BEIJING = timezone(timedelta(hours=8), "UTC+8")
PAGE_HEADERS = (
    ("Content-Security-Policy",
     "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),   # the pages hold verification codes
)

_STYLE = """
body{font:15px/1.5 system-ui,"Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;margin:0 auto;max-width:60rem;
padding:1rem 1.5rem;color:#1f2329;background:#f5f7fa}
h1{font-size:1.4rem;margin:.2rem 0}header p{margin:.3rem 0;color:#555}
form{margin:.8rem 0;display:flex;gap:.5rem;align-items:center;flex-wrap:wrap}
input{font:inherit;padding:.2rem .4rem;min-width:16rem}button{font:inherit}
.count{color:#555}
article{background:#fff;border:1px solid #dcdfe6;border-radius:6px;margin:.8rem 0;padding:.6rem 1rem}
article h2{font-size:1.05rem;margin:.2rem 0 .4rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:0 0 .4rem;font-size:.9rem}
dt{color:#606266}dd{margin:0;word-break:break-all}
pre{white-space:pre-wrap;word-break:break-word;background:#f7f8fa;padding:.6rem;margin:.4rem 0;
font:14px/1.5 ui-monospace,"WenQuanYi Micro Hei Mono",monospace}
.empty{color:#909399;padding:2rem 0;text-align:center}a{color:#2f6fde}
"""


def beijing_time(received_at: str) -> str:
    """'2026-12-02T03:09:21.5Z' → '2026-12-02 11:09:21 北京时间' (the platform's users read Beijing time)."""
    try:
        moment = datetime.fromisoformat(received_at.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return received_at or ""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") + " 北京时间"


def details(rows: list[tuple[str, str]]) -> str:
    """A <dl> of (label, already-escaped value) pairs."""
    return "<dl>" + "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows) + "</dl>"


def article(message_id: str, rows: list[tuple[str, str]], text: str, *, heading: str = "", footer: str = "") -> str:
    """One message: its heading and footer already rendered, the id and text escaped here."""
    return (f'<article class="message" data-id="{escape(message_id)}">{heading}{details(rows)}'
            f'<pre class="text">{escape(text)}</pre>{footer}</article>')


def received(received_at: str) -> str:
    return f'<time datetime="{escape(received_at or "")}">{escape(beijing_time(received_at))}</time>'


def page(*, title: str, intro: str, filter_name: str, filter_label: str, filter_value: str | None,
         total: int, noun: tuple[str, str], articles: list[str]) -> Response:
    """The whole inbox page; `articles` are the newest-first messages, already rendered and escaped."""
    refresh = "?" + urlencode({filter_name: filter_value}) if filter_value else "?"
    shown = articles[:PAGE_LIMIT]
    zh_unit, en_noun = noun
    count = f"共 {total} {zh_unit} · {total} {en_noun}{'' if total == 1 else 's'}"
    if filter_value:
        count += f" — 筛选 · filter: {escape(filter_value)}"
    if total > len(shown):
        count += f" — 显示最新 {len(shown)} 条 · newest {len(shown)} shown"
    body = "\n".join(shown) if shown else '<p class="empty">暂无数据 · No messages yet</p>'
    html = f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{REFRESH_SECONDS}">
<title>{escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<header>
<h1>{escape(title)}</h1>
<p>{intro}</p>
<p>最新的在最上面，每 {REFRESH_SECONDS} 秒自动刷新 · Newest first, refreshed every {REFRESH_SECONDS} s.
<a href="{escape(refresh)}">刷新 · Refresh</a></p>
</header>
<form method="get" action="">
<label for="{filter_name}">{escape(filter_label)}</label>
<input id="{filter_name}" name="{filter_name}" value="{escape(filter_value or "")}">
<button type="submit">筛选 · Filter</button>
<a href="?">全部 · All</a>
</form>
<p class="count">{count}</p>
<main>
{body}
</main>
</body>
</html>
"""
    return Response(html.encode("utf-8"), "text/html; charset=utf-8", PAGE_HEADERS)
