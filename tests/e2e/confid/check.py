#!/usr/bin/env python3
"""check.py consistency|roles DIR -- e2e.confid.* against the fixture of
server.sh (anxin-central on 127.0.0.1, its port in DIR/port).

Every expected figure is computed here from the raw record lines the
fixture sent (DIR/demo.jsonl, wave.jsonl, dontknow.jsonl), the roster CSV and the
survey and pack files -- never from the store or its derived columns.
The rules, as content/README.md and docs/architecture.md state them:

  * a response counts when complete and not flagged "fast"; per household,
    survey and wave only the earliest completed (ties by id), and a report
    over a period counts a household once per survey whatever its waves
    (the earliest); anonymous ones each; it belongs to its household's grid (anonymous: its region)
    and to the China-time day of its completion;
  * 知晓率 per topic: right answers of the rule's questions (those drawn,
    when the record says) >= pass_share of them, unanswered = wrong;
  * 满意度: the official survey's rule (safety-ceping, which the fixture
    designates); satisfaction.json's different rule is its own rate
    "sat@satisfaction"; 说不清 answers out of the denominator, counted;
  * further rates (安全感, 巡逻队知晓率/满意度): positive / answered - 说不清;
  * coverage: active households with a delivered, replied, kiosk or visit
    contact in the window;
  * the funnel: households of the campaign's region with a phone, and the
    evidence of each stage in the campaign window (funnel.h).

consistency: the dashboard HTML, the /api/v1/report JSON and the XLSX 汇总
for one filter (石桥镇 and its villages, a window of 30 days) against those
figures, metric by metric; the funnel from the HTML.
roles: below the county role no output (dashboard pages, JSON, CSV, XLSX
cells) holds a per-household answer, and every answer-based cell of fewer
than 5 respondents reads "<5"; the county user does see the answers.

TAP-like output; exit 1 on any failure.
"""
import csv
import datetime
import glob
import http.cookiejar
import io
import json
import os
import re
import sys
import threading
import urllib.parse
import urllib.request
import zipfile

MODE, DIR = sys.argv[1], sys.argv[2]
SRC = os.environ["ANXIN_SOURCE"]
URL = "http://127.0.0.1:%s" % open(os.path.join(DIR, "port")).read().strip()
TOWN = "439901101000"  # 石桥镇
OFFICIAL = "safety-ceping"
CST = datetime.timezone(datetime.timedelta(hours=8))
DEFAULT_KINDS = {"sms_delivered", "sms_replied", "kiosk_session", "visit"}
TOPIC_NAMES = {"family_safety": "平安家庭", "anti_drug": "禁毒", "anti_cult": "反邪教",
               "anti_pyramid": "反传销", "anti_fraud": "反诈骗"}
SUPPRESS = 5

n = fails = 0


def ok(cond, what):
    global n, fails
    n += 1
    if cond:
        print("ok %d - %s" % (n, what))
    else:
        fails += 1
        print("not ok %d - %s" % (n, what))


def same(got, want, what):
    ok(got == want, what if got == want else "%s (got %r, want %r)" % (what, got, want))


# ---- raw inputs ---------------------------------------------------------
def load_roster():
    hh = {}
    with open(os.path.join(SRC, "content/demo/jiangzhou-roster.csv"), encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            hh[row["户号"]] = {"grid": row["网格代码"], "phone": bool(row["联系电话"].strip()),
                              "village": row["村（社区）代码"], "vname": row["村（社区）"]}
    return hh


def load_content():
    packs = {}
    for p in glob.glob(os.path.join(SRC, "content/packs/*/pack.json")):
        pk = json.load(open(p, encoding="utf-8"))
        for q in pk.get("questions", []):
            packs["%s/%s" % (pk["id"], q["id"])] = q
    surveys = {}
    for p in glob.glob(os.path.join(SRC, "content/surveys/*.json")):
        sv = json.load(open(p, encoding="utf-8"))
        qs = {}
        for q in sv["questions"]:
            qs[q["id"]] = packs[q["ref"]] if "ref" in q else q
        sv["qmap"] = qs
        surveys[sv["id"]] = sv
    return surveys


def when(s):
    return datetime.datetime.fromisoformat(s)


def day(s):
    return when(s).astimezone(CST).date()


def load_records():
    seen, out = set(), []
    for name in ("demo.jsonl", "wave.jsonl", "dontknow.jsonl"):
        for line in open(os.path.join(DIR, name), encoding="utf-8"):
            r = json.loads(line)
            if r["id"] in seen:
                continue  # a resend counts once
            seen.add(r["id"])
            out.append(r)
    return out


ROSTER = load_roster()
SURVEYS = load_content()
RECORDS = load_records()


def region_of(r):
    return ROSTER[r["household"]]["grid"] if r.get("household") else r["region"]


def counted(records):
    """The counted responses: complete, not fast, earliest per household,
    survey and wave (ties by id), every anonymous one."""
    best, out = {}, []
    for r in records:
        if r["type"] != "response" or r["status"] != "complete" or "fast" in r.get("flags", []):
            continue
        if not r.get("household"):
            out.append(r)
            continue
        k = (r["household"], r["survey"], r.get("wave", ""))
        key = (when(r["completed_at"]).timestamp(), r["id"])
        if k not in best or key < best[k][0]:
            best[k] = (key, r)
    return out + [v[1] for v in best.values()]


COUNTED = counted(RECORDS)


def covers(code, region):
    """region lies in code (county 6, township 9, village 12 digits)."""
    sig = {1: 6, 2: 9, 3: 12}.get(level(code), len(code))
    return region.startswith(code[:sig])


def level(code):
    if code.endswith("000000") and len(code) == 12:
        return 1
    if code.endswith("000") and len(code) == 12:
        return 2
    return 3 if len(code) == 12 else 4


def tally(acc, key, num, den=1):
    a = acc.setdefault(key, [0, 0])
    a[0] += num
    a[1] += den


def option_of(sv, qid, code):
    q = sv["qmap"][qid]
    for o in q.get("options", []):
        if o["code"] == code:
            return o
    # scale5 defaults: 1 非常满意 (5) .. 5 非常不满意 (1)
    return {"code": code, "score": 6 - int(code)} if q.get("type") == "scale5" else {"code": code}


def derive(r, m):
    """Add one counted response's results to metrics m."""
    sv = SURVEYS[r["survey"]]
    ans = r.get("answers", {})
    rules = sv["metrics"]
    for rule in rules.get("awareness", []):
        asked = [q for q in rule["questions"] if "drawn" not in r or q in r["drawn"]]
        if not asked:
            continue
        right = sum(1 for q in asked if ans.get(q) == sv["qmap"][q]["answer"])
        share = rule.get("pass_share", 0.6)
        tally(m["aw"], rule["topic"], 1 if right * 1e6 >= share * 1e6 * len(asked) - 0.5 else 0)
    sat = rules.get("satisfaction")
    if sat and sat["question"] in ans:
        code = ans[sat["question"]]
        key = "" if r["survey"] == OFFICIAL else "sat@" + r["survey"]
        if code in sat.get("dont_know", []):
            m["dk"][key] = m["dk"].get(key, 0) + 1
        else:
            tally(m["rates"], key, 1 if code in sat["satisfied"] else 0)
            if key == "":
                m["score"] += option_of(sv, sat["question"], code).get("score", 0)
    for rr in rules.get("rates", []):
        code = ans.get(rr["question"])
        if code is None:
            continue
        if code in rr.get("dont_know", []):
            m["dk"][rr["id"]] = m["dk"].get(rr["id"], 0) + 1
        else:
            tally(m["rates"], rr["id"], 1 if code in rr["positive"] else 0)


def expected(code, frm=None, to=None):
    """Every figure of one report row, from the raw records."""
    lo = datetime.datetime.combine(frm, datetime.time(), CST) if frm else None
    hi = datetime.datetime.combine(to + datetime.timedelta(days=1), datetime.time(), CST) if to else None
    m = {"households": 0, "reached": 0, "resp": 0, "chan": {"kiosk": 0, "sms": 0, "visit": 0},
         "aw": {}, "rates": {}, "dk": {}, "score": 0.0}
    mine = {h for h, v in ROSTER.items() if covers(code, v["grid"])}
    m["households"] = len(mine)
    reached = set()
    for r in RECORDS:
        if r["type"] == "contact" and r["household"] in mine and r["kind"] in DEFAULT_KINDS:
            t = when(r["at"])
            if (not lo or t >= lo) and (not hi or t < hi):
                reached.add(r["household"])
    m["reached"] = len(reached)
    once = set()  # a period counts a household once per survey, whatever its waves
    for r in sorted(COUNTED, key=lambda r: (when(r["completed_at"]).timestamp(), r["id"])):
        d = day(r["completed_at"])
        if not covers(code, region_of(r)) or (frm and d < frm) or (to and d > to):
            continue
        if r.get("household"):
            if (r["household"], r["survey"]) in once:
                continue
            once.add((r["household"], r["survey"]))
        m["resp"] += 1
        m["chan"][r["channel"]] += 1
        derive(r, m)
    return m


# ---- HTTP ------------------------------------------------------------------
def session(user):
    jar = http.cookiejar.CookieJar()
    op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = op.open(URL + "/login").read().decode()
    tok = re.search(r'name="csrf" value="([^"]*)"', page).group(1)
    pw = open(os.path.join(DIR, user + ".pw")).read().strip()
    data = urllib.parse.urlencode({"csrf": tok, "user": user, "password": pw}).encode()
    op.open(URL + "/login", data)  # follows the 303 to the user's region
    return op


def get(op, path):
    return op.open(URL + path).read()


def xlsx_sheets(blob):
    """{sheet name: [[cell text or number, ...], ...]} read with zipfile."""
    z = zipfile.ZipFile(io.BytesIO(blob))
    book = z.read("xl/workbook.xml").decode()
    rels = z.read("xl/_rels/workbook.xml.rels").decode()
    target = dict(re.findall(r'Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
    target.update({k: v for v, k in re.findall(r'Target="([^"]+)"[^>]*Id="([^"]+)"', rels)})
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        shared = [unesc(re.sub(r"<[^>]+>", "", si)) for si in
                  re.findall(r"<si>(.*?)</si>", z.read("xl/sharedStrings.xml").decode(), re.S)]
    out = {}
    for name, rid in re.findall(r'<sheet name="([^"]+)" sheetId="\d+" r:id="([^"]+)"', book):
        xml = z.read("xl/" + target[rid].lstrip("/").replace("xl/", "")).decode()
        rows = []
        for rown, body in re.findall(r'<row r="(\d+)"[^>]*>(.*?)</row>', xml, re.S):
            row = {}
            for ref, attrs, inner in re.findall(r'<c r="([A-Z]+)\d+"([^>]*?)(?:/>|>(.*?)</c>)', body, re.S):
                if 't="inlineStr"' in attrs:
                    v = unesc(re.sub(r"<[^>]+>", "", inner))
                elif 't="s"' in attrs:
                    v = shared[int(re.search(r"<v>(.*?)</v>", inner).group(1))]
                elif "<v>" in (inner or ""):
                    v = float(re.search(r"<v>(.*?)</v>", inner).group(1))
                else:
                    continue
                row[col_index(ref)] = v
            rows.append([row.get(i) for i in range(max(row) + 1)] if row else [])
        out[unesc(name)] = rows
    return out


def col_index(ref):
    i = 0
    for ch in ref:
        i = i * 26 + ord(ch) - 64
    return i - 1


def unesc(s):
    return (s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


def text(h):
    return unesc(re.sub(r"<[^>]+>", "", h))


def html_table(page):
    """(header texts, {code: [cell html, ...]}) of the rates table."""
    t = re.search(r"<table><thead><tr>(.*?)</tr></thead><tbody>(.*?)</tbody></table>", page, re.S)
    heads = [text(re.split(r"<br>", h)[0]) for h in re.findall(r"<th[^>]*>(.*?)</th>", t.group(1), re.S)]
    rows = {}
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", t.group(2), re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        m = re.search(r'href="/region/(\d+)', cells[0])
        rows[m.group(1) if m else "self"] = cells
    return heads, rows


def cell_nd(cell):
    """(num, den, 说不清) of a rate cell; None when it shows no figures."""
    m = re.search(r'<span class="ci">(\d+)/(\d+)</span>', cell)
    dk = re.search(r"说不清 (\d+) 人", cell)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(dk.group(1)) if dk else None


# ---- consistency -----------------------------------------------------------
def consistency():
    frm, to = (datetime.date.fromisoformat(x) for x in open(os.path.join(DIR, "window")).read().split())
    q = "scope=%s&depth=1&from=%s&to=%s" % (TOWN, frm, to)
    op = session("county")
    rep = json.loads(get(op, "/api/v1/report?" + q))
    book = xlsx_sheets(get(op, "/api/v1/report?format=xlsx&" + q))
    parallel_exports(op, q)
    page = get(op, "/region/%s?from=%s&to=%s" % (TOWN, frm, to)).decode()
    heads, hrows = html_table(page)
    summary = book["汇总"]
    xh = summary[0]
    xrows = {r[0]: r for r in summary[1:] if r and isinstance(r[0], str) and r[0].isdigit()}
    names = {r["id"]: r["name"] for r in rep.get("rates", [])}
    same(rep.get("satisfaction_survey"), OFFICIAL, "JSON: 满意度 follows the official survey")
    codes = [TOWN] + sorted({v["village"] for v in ROSTER.values() if v["village"].startswith(TOWN[:9])})
    same(sorted(r["code"] for r in rep["rows"]), sorted(codes), "JSON: the township and its villages")
    # the metrics the raw records hold answers for
    want_rates = set()
    for c in codes:
        e = expected(c, frm, to)
        want_rates |= set(e["rates"]) | set(e["dk"])
    want_rates.discard("")
    same(set(names), want_rates, "JSON: rates = what the records define (安全感, patrol, sat@satisfaction)")
    for code in codes:
        e = expected(code, frm, to)
        row = next(r for r in rep["rows"] if r["code"] == code)
        xr = xrows.get(code)
        hr = hrows.get("self" if code == TOWN else code)
        ok(xr is not None and hr is not None, "%s: a row in the XLSX and the HTML" % code)
        if xr is None or hr is None:
            continue

        def x(title):
            return xr[xh.index(title)] if title in xh and xh.index(title) < len(xr) else None

        def h(title):
            return hr[heads.index(title)] if title in heads else ""

        tag = "%s %s" % (code, row["name"])
        # coverage and respondents
        same((row["households"], row["reached"]), (e["households"], e["reached"]), tag + " JSON 户数/已覆盖")
        same((x("户数"), x("已覆盖户")), (e["households"], e["reached"]), tag + " XLSX 户数/已覆盖户")
        same((text(h("户数")), text(h("已覆盖"))), (str(e["households"]), str(e["reached"])), tag + " HTML 户数/已覆盖")
        same(row["respondents"], e["resp"], tag + " JSON 答卷")
        same(row["respondents_by_channel"], e["chan"], tag + " JSON 答卷 by channel")
        same(x("答卷数"), e["resp"], tag + " XLSX 答卷数")
        same(text(h("答卷")), str(e["resp"]), tag + " HTML 答卷")
        # awareness per topic
        same({t for t, v in row["awareness"].items() if v["den"]}, set(e["aw"]), tag + " JSON topics")
        for topic, (num, den) in e["aw"].items():
            a = row["awareness"].get(topic, {})
            same((a.get("num"), a.get("den")), (num, den), "%s 知晓率·%s JSON" % (tag, topic))
            name = TOPIC_NAMES[topic]
            xv, xn = x("知晓率(%s)" % name), x("知晓率(%s)人数" % name)
            ok(xn == den and abs(xv - num / den) < 1e-9,
               "%s 知晓率·%s XLSX %r of %r = %d/%d" % (tag, topic, xv, xn, num, den))
            same(cell_nd(h("知晓率·" + name))[:2], (num, den), "%s 知晓率·%s HTML" % (tag, topic))
        # the headline 满意度 and its mean score
        num, den = e["rates"].get("", [0, 0])
        dk = e["dk"].get("", 0)
        s = row["satisfaction"]
        same((s["num"], s["den"], s.get("dont_know")), (num, den, dk), tag + " 满意度 JSON")
        if den:
            ok(abs(s["mean_score"] - e["score"] / den) < 1e-4, "%s 平均分 JSON %r = %.4f" % (tag, s["mean_score"], e["score"] / den))
            ok(abs(x("满意度") - num / den) < 1e-9 and x("满意度人数") == den and x("满意度说不清") == dk,
               tag + " 满意度 XLSX")
            ok(abs(x("满意度平均分") - e["score"] / den) < 1e-9, tag + " 平均分 XLSX")
            same(cell_nd(h("满意度")), (num, den, dk), tag + " 满意度 HTML")
            same(text(h("平均分")), "%.2f" % (e["score"] / den + 1e-12), tag + " 平均分 HTML")
        # 安全感, the patrol team's rates, the other survey's 满意度
        for rid in sorted(want_rates):
            num, den = e["rates"].get(rid, [0, 0])
            dk = e["dk"].get(rid, 0)
            jr = row.get("rates", {}).get(rid, {})
            same((jr.get("num"), jr.get("den"), jr.get("dont_know")), (num, den, dk), "%s %s JSON" % (tag, rid))
            nm = names.get(rid, rid)
            if den:
                ok(abs(x(nm) - num / den) < 1e-9 and x(nm + "人数") == den and x(nm + "说不清") == dk,
                   "%s %s XLSX %r %r %r" % (tag, nm, x(nm), x(nm + "人数"), x(nm + "说不清")))
                got = cell_nd(h(nm))
                same(got[:2] if got else None, (num, den), "%s %s HTML" % (tag, nm))
                if got and got[2] is not None:
                    same(got[2], dk, "%s %s HTML 说不清" % (tag, nm))
    contacts_sheet(book, frm, to, heads, hrows)
    funnel(page)


def contacts_sheet(book, frm, to, heads, hrows):
    """The XLSX 入户宣传明细 for the same filter: one row per contact of the
    township in the window (oldest first, ties by id), each with its 计入
    worked out here from the raw lines: the household's first contact of a
    counting kind counts, later ones are 重复, a send alone is 仅发送未送达
    (the fixture deactivates nobody); its 计入 rows are the township's
    reached households, one each, as the dashboard and 汇总 say.  Before
    issue 14 the sheet had no 计入 column and its rows were not households."""
    lo = datetime.datetime.combine(frm, datetime.time(), CST)
    hi = datetime.datetime.combine(to + datetime.timedelta(days=1), datetime.time(), CST)
    raw = sorted((when(r["at"]).timestamp(), r["id"], r) for r in RECORDS
                 if r["type"] == "contact" and covers(TOWN, ROSTER[r["household"]]["grid"])
                 and lo <= when(r["at"]) < hi)
    seen, want = set(), []
    for _, rid, r in raw:
        if r["kind"] not in DEFAULT_KINDS:
            why = "不计入（仅发送未送达）" if r["kind"] == "sms_sent" else "不计入（类型不计）"
        elif r["household"] in seen:
            why = "不计入（重复，该户已计入）"
        else:
            seen.add(r["household"])
            why = "计入"
        want.append((rid, r["household"], why))
    sheet = book.get("入户宣传明细", [[]])
    head = sheet[0]
    ok("计入" in head and "记录编号" in head and "户号" in head, "入户宣传明细 has 户号, 计入 and 记录编号")
    if "计入" not in head:
        return
    ci, ri, hi_ = head.index("计入"), head.index("记录编号"), head.index("户号")
    got = [(r[ri], r[hi_], r[ci]) for r in sheet[1:] if len(r) > ri and r[ri]]
    same(len(got), len(want), "入户宣传明细: a row per contact of 石桥镇 in the window")
    bad = [(g, w) for g, w in zip(got, want) if g != w]
    same(bad[:3], [], "入户宣传明细: each row's record, household and 计入 as the raw lines give")
    counted = [h for _, h, why in got if why == "计入"]
    e = expected(TOWN, frm, to)
    same((len(counted), len(set(counted))), (e["reached"], e["reached"]),
         "入户宣传明细: 计入 rows = reached households from the raw lines, one each")
    same(text(hrows["self"][heads.index("已覆盖")]) if "self" in hrows else None, str(len(counted)),
         "入户宣传明细 计入 rows = the dashboard's 已覆盖")
    summary = book["汇总"]
    xr = next((r for r in summary[1:] if r and r[0] == TOWN), [])
    xh = summary[0]
    same(xr[xh.index("已覆盖户")] if xr else None, len(counted), "入户宣传明细 计入 rows = 汇总 已覆盖户")
    note = next((r[0] for r in sheet[1:] if r and isinstance(r[0], str) and r[0].startswith("合计")), "")
    ok(("合计 %d 条：计入 %d 条" % (len(want), len(counted))) in note and "生成时间" in note,
       "入户宣传明细 note: totals and generation time (%s)" % note[:40])


def funnel(page):
    cid, survey, scope, start, end = open(os.path.join(DIR, "campaign")).read().split()
    lo = datetime.datetime.combine(datetime.date.fromisoformat(start), datetime.time(), CST)
    hi = datetime.datetime.combine(datetime.date.fromisoformat(end) + datetime.timedelta(days=1),
                                   datetime.time(), CST)
    mine = {h for h, v in ROSTER.items() if covers(scope, v["grid"])}
    ev = {h: set() for h in mine}
    for r in RECORDS:
        h = r.get("household")
        if h not in ev:
            continue
        if r["type"] == "contact" and r["kind"] in ("sms_sent", "sms_delivered", "sms_replied"):
            if lo <= when(r["at"]) < hi:
                ev[h].add(r["kind"])
        elif (r["type"] == "response" and r["survey"] == survey and r.get("wave") == cid
              and r["channel"] == "sms" and r["status"] in ("partial", "complete")):
            ev[h].add("ans")
    for r in COUNTED:
        h = r.get("household")
        if h in ev and r["survey"] == survey and r.get("wave") == cid:
            ev[h].add("cany")
            if r["channel"] == "sms":
                ev[h].add("cmp")
    ph = {h for h in mine if ROSTER[h]["phone"]}
    later = [{"sms_sent", "sms_delivered", "sms_replied", "ans", "cmp"},
             {"sms_delivered", "sms_replied", "ans", "cmp"}, {"sms_replied", "ans", "cmp"},
             {"ans", "cmp"}, {"cmp"}]
    want = [len(ph)] + [sum(1 for h in ph if ev[h] & s) for s in later]
    sec = page[page.index("<h3>石桥镇安全感测评</h3>"):]
    sec = sec[:sec.index("</div></div>") + 12]
    got = [int(v) for v in re.findall(r'<div class="val">(\d+) 户', sec)]
    labels = re.findall(r'<div class="lab">([^<]+)</div>', sec)
    same(labels, ["目标户", "已发送", "已送达", "已回复", "已答题", "短信完成问卷"], "funnel: its stages")
    same(got, want, "funnel: 目标户 已发送 已送达 已回复 已答题 短信完成问卷")
    m = re.search(r"完成本次问卷共 (\d+) 户", page[page.index("<h3>石桥镇安全感测评</h3>"):])
    same(int(m.group(1)) if m else None, sum(1 for h in mine if "cany" in ev[h]), "funnel: completed on any channel")


# ---- roles -----------------------------------------------------------------
ANSWER = re.compile(r"\b(q\d+|overall|safety|patrol|patrol_sat)=\d")


def answer_cells(book):
    return [c for rows in book.values() for r in rows for c in r if isinstance(c, str) and ANSWER.search(c)]


def respondents_of(code, rid):
    """Those who answered rate rid's question in code (说不清 included)."""
    e = expected(code)
    return e["rates"].get(rid, [0, 0])[1] + e["dk"].get(rid, 0)


def roles():
    county = session("county")
    same(bool(answer_cells(xlsx_sheets(get(county, "/api/v1/report?format=xlsx&scope=" + TOWN)))), True,
         "county: the XLSX 问卷结果 lists the answers")
    for user, scope in (("town", TOWN), ("grid1", "439901101001001")):
        op = session(user)
        depth = "2" if user == "town" else "0"  # down to the grids
        rep = json.loads(get(op, "/api/v1/report?depth=%s&scope=%s" % (depth, scope)))
        csvt = get(op, "/api/v1/report?format=csv&depth=%s&scope=%s" % (depth, scope)).decode("utf-8-sig")
        book = xlsx_sheets(get(op, "/api/v1/report?format=xlsx&depth=%s&scope=%s" % (depth, scope)))
        page = get(op, "/region/" + scope).decode()
        pages = [page]
        for g in re.findall(r'href="(/grid/\d+/unreached)"', page)[:3]:
            pages.append(get(op, g).decode())
        ok(not ANSWER.search(json.dumps(rep)), user + ": no per-household answer in the JSON")
        ok(not ANSWER.search(csvt), user + ": none in the CSV")
        same(answer_cells(book), [], user + ": none in any XLSX cell")
        ok(len(book["问卷结果"]) > 1, user + ": the 问卷结果 sheet still lists who answered (coverage)")
        ok(not any(ANSWER.search(p) for p in pages), user + ": none on the dashboard pages")
        tables = {}

        def page_row(code):
            """The row of code on its own page (the row of the scope)."""
            if code not in tables:
                tables[code] = html_table(get(op, "/region/" + code).decode())
            heads, rows = tables[code]
            return heads, rows.get("self")

        small = big = hidden_big = 0
        for row in rep["rows"]:
            code = row["code"]
            n_sat = respondents_of(code, "")
            s = row["satisfaction"]
            if 0 < n_sat < SUPPRESS:
                small += 1
                same((s["num"], s["den"], s["rate"], s["mean_score"]), ("<5",) * 4,
                     "%s: %s 满意度 of %d respondents is <5 in the JSON" % (user, code, n_sat))
                line = next(l for l in csvt.splitlines() if l.startswith(code + ","))
                ok(",<5,<5,<5,<5,<5," in line, "%s: %s <5 in the CSV" % (user, code))
                xr = next(r for r in book["汇总"] if r and r[0] == code)
                ok(xr[book["汇总"][0].index("满意度")] == "<5", "%s: %s <5 in the XLSX" % (user, code))
                heads, hr = page_row(code)
                cell = hr[heads.index("满意度")] if hr else ""
                ok(cell_nd(cell) is None and ">&lt;5<" in cell,
                   "%s: %s <5 on its page" % (user, code))
            elif n_sat >= SUPPRESS and s["num"] == "<5":
                hidden_big += 1  # hidden with a small sibling: checked below
            elif n_sat >= SUPPRESS:
                big += 1
                e = expected(code)
                same((s["num"], s["den"]), tuple(e["rates"].get("", [0, 0])),
                     "%s: %s 满意度 of %d respondents shown" % (user, code, n_sat))
            same(row["households"], expected(code)["households"], "%s: %s coverage stays visible" % (user, code))
        ok(small > 0, "%s: the fixture has cells under 5 (%d), shown ones (%d) and hidden with them (%d)"
           % (user, small, big, hidden_big))
        # no hidden cell comes back by subtraction: under a shown parent whose
        # answers are all its children's, never exactly one child hidden
        shown = {r["code"]: r["satisfaction"]["num"] != "<5" for r in rep["rows"]}
        for parent in [c for c in shown if level(c) < 4]:
            kids = [c for c in shown if c != parent and covers(parent, c) and level(c) == level(parent) + 1
                    and respondents_of(c, "") > 0]
            if not kids or not all(c in shown for c in kids):
                continue
            own = respondents_of(parent, "") - sum(respondents_of(c, "") for c in kids)
            nhid = sum(1 for c in kids if not shown[c])
            ok(own != 0 or nhid != (0 if not shown[parent] else 1) or not kids,
               "%s: %s: %d of %d children hidden, own answers %d: none can be subtracted out"
               % (user, parent, nhid, len(kids), own))


def parallel_exports(op, q):
    """Three staff download the 台账 at once: each gets the workbook (the
    server waits for the export being made, it does not turn them away)."""
    got = [None] * 3

    def one(i):
        try:
            got[i] = xlsx_sheets(get(op, "/api/v1/report?format=xlsx&" + q)).get("汇总")
        except Exception as e:  # an HTTP 503 is the failure looked for
            got[i] = "%s" % e
    ts = [threading.Thread(target=one, args=(i,)) for i in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for i, g in enumerate(got):
        ok(isinstance(g, list) and len(g) > 1, "parallel export %d: a workbook with 汇总, got %s" % (i, str(g)[:80]))


{"consistency": consistency, "roles": roles}[MODE]()
print("1..%d" % n)
sys.exit(1 if fails else 0)
