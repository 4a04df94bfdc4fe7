#!/usr/bin/env python3
"""check.py DIR -- e2e.verdict.outputs: for every region of the fixture
(server.sh: the 12 households of tests/cases/report), the verdict of
宣传入户率, 知晓率 (禁毒, the only topic) and 满意度 in the CLI table, CSV
and JSON, the XLSX 汇总 and the dashboard's cards, against the verdicts
below, worked out by hand from the dataset (0002-csv.case describes it):

  coverage is a census: 达标 only at 100 %, never 样本不足;
  an answer rate on fewer than 30 answers is 样本不足 while the top of its
  95 % Wilson interval reaches 90 %, 未达标 when even the top is short,
  无数据 without answers.  Wilson tops used (z = 1.96): 1/1 1.000,
  3/3 1.000, 1/2 0.906, 3/4 0.954, 3/5 0.882, 1/3 0.792, 0/1 0.793,
  0/2 0.658 (s_n = sqrt(p(1-p)/n + z^2/4n^2), top = (p + z^2/2n + z s_n)
  / (1 + z^2/n)).

Before issue 14 the CSV, JSON, XLSX and table said 是/true/满 for
样本不足 cells (e.g. 石桥村 满意度 1/1) where the dashboard said 样本不足.

宣传入户率 is a full count of the roster, not a sample: no output gives it
a confidence interval or a small-sample mark (the dashboard said 全数统计
while the table printed 66.7% [39,86]*, the CSV and XLSX 下限/上限 columns
and the JSON low/high).  Its rate is reached/households exactly.
TAP-like output; exit 1 on any failure.
"""
import csv
import http.cookiejar
import io
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile

DIR = sys.argv[1]
URL = "http://127.0.0.1:%s" % open(os.path.join(DIR, "port")).read().strip()
M, U, S, N = "达标", "未达标", "样本不足", "无数据"
# code: (coverage reached/households, 知晓率 right/answered, 满意度 satisfied/answered)
EXPECT = {
    "439901000000": (U, U, U),                # 8/12, 4/7 (top .842), 3/5 (.882)
    "439901001000": (U, S, U),                # 4/5, 3/4 (.954), 1/3 (.792)
    "439901001001": (U, S, U),                # same households as its township
    "439901001001001": (U, S, S),             # 2/3, 3/3 (1.0), 1/2 (.906)
    "439901001001002": (M, U, U),             # 2/2 census, 0/1 (.793), 0/1
    "439901002000": (U, U, S),                # 4/7, 1/3 (.792), 2/2 (1.0)
    "439901002001": (U, S, S),                # 2/3, 1/1, 1/1
    "439901002001001": (U, S, S),             # its only grid
    "439901002002": (U, U, S),                # 2/4, 0/2 (.658), 1/1
    "439901002002001": (U, N, S),             # 1/2, no 禁毒 answer, 1/1
    "439901002002002": (U, U, N),             # 1/2, 0/1, no 满意度 answer
}
MEASURES = ("宣传入户率", "知晓率", "满意度")
n = fails = 0


def same(got, want, what):
    global n, fails
    n += 1
    if got == want:
        print("ok %d - %s: %s" % (n, what, want))
    else:
        fails += 1
        print("not ok %d - %s: got %r, want %r" % (n, what, got, want))


def read(name):
    return open(os.path.join(DIR, name), encoding="utf-8-sig").read()


# --- CLI CSV ---
rows = list(csv.DictReader(io.StringIO(read("report.csv"))))
by_code = {r["代码"]: r for r in rows}
same(sorted(by_code), sorted(EXPECT), "CSV: every region once")
for code, want in EXPECT.items():
    r = by_code.get(code, {})
    got = tuple(r.get(k) for k in ("入户率达标", "知晓率达标", "满意度达标"))
    same(got, want, "CSV %s" % code)

# coverage is a census: the rate and nothing of an interval (hand counts)
REACHED = {"439901000000": (8, 12), "439901001000": (4, 5), "439901001001": (4, 5),
           "439901001001001": (2, 3), "439901001001002": (2, 2), "439901002000": (4, 7),
           "439901002001": (2, 3), "439901002001001": (2, 3), "439901002002": (2, 4),
           "439901002002001": (1, 2), "439901002002002": (1, 2)}
same([h for h in rows[0] if h.startswith("宣传入户率")],
     ["宣传入户率分子", "宣传入户率分母", "宣传入户率"], "CSV: coverage without 下限/上限/样本不足")
for code, (num, den) in REACHED.items():
    r = by_code.get(code, {})
    same((r.get("宣传入户率分子"), r.get("宣传入户率分母"), r.get("宣传入户率")),
         (str(num), str(den), "%.4f" % (num / den)), "CSV %s coverage %d/%d" % (code, num, den))

# --- CLI JSON: "verdict", and "met" true only when 达标 ---
ids = {"met": M, "unmet": U, "small": S, "none": N}
doc = json.loads(read("report.json"))
for row in doc["rows"]:
    want = EXPECT.get(row["code"])
    v = row.get("verdict", {})
    same(tuple(ids.get(v.get(k)) for k in ("coverage", "awareness", "satisfaction")),
         want, "JSON verdict %s" % row["code"])
    same(tuple(row["met"][k] for k in ("coverage", "awareness", "satisfaction")),
         tuple(x == M for x in want), "JSON met %s" % row["code"])
    num, den = REACHED[row["code"]]
    same(row["coverage"], {"num": num, "den": den, "rate": round(num / den, 4), "census": True},
         "JSON %s coverage: a census, no low/high/small_sample" % row["code"])

# --- CLI table: 户/知/满 达标, ? 样本不足, · 未达标, - 无数据 ---
chars = {U: "·", S: "?", N: "-"}
lines = [l for l in read("report.table").splitlines()
         if re.search(r"\s(\S{3})$", l) and re.match(r"\s*\S+\s+\d+\s+\d+\s", l)]
same(len(lines), len(rows), "table: a line per CSV row")
for line, r in zip(lines, rows):
    want = "".join(m if v == M else chars[v]
                   for m, v in zip("户知满", EXPECT[r["代码"]]))
    same(line.split()[-1], want, "table %s %s" % (r["代码"], line.split()[0]))
    num, den = REACHED[r["代码"]]
    same(line.split()[3:5], ["%.1f%%" % (100 * num / den), r["答卷数"]],
         "table %s: coverage, then 答卷 (no [low,high] between)" % r["代码"])
same("宣传入户率按花名册全数统计" in read("report.table"), True, "table footnote: coverage is a full count")

# --- the dashboard and its XLSX, as the county user ---
jar = http.cookiejar.CookieJar()
op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
tok = re.search(r'name="csrf" value="([^"]*)"', op.open(URL + "/login").read().decode()).group(1)
op.open(URL + "/login", urllib.parse.urlencode(
    {"csrf": tok, "user": "county",
     "password": read("county.pw").strip()}).encode())

book = zipfile.ZipFile(io.BytesIO(op.open(
    URL + "/api/v1/report?scope=439901000000&depth=3&format=xlsx").read()))
sheet = book.read("xl/worksheets/sheet1.xml").decode()
grid = []
for body in re.findall(r"<row [^>]*>(.*?)</row>", sheet, re.S):
    # cells by their reference (A, B, … AA): empty cells are left out
    cells = {}
    for ref, inner in re.findall(r'<c r="([A-Z]+)\d+"[^>]*?(?:/>|>(.*?)</c>)', body, re.S):
        i = 0
        for ch in ref:
            i = i * 26 + ord(ch) - 64
        cells[i - 1] = re.sub(r"<[^>]+>", "", inner)
    grid.append([cells.get(i, "") for i in range(max(cells) + 1)] if cells else [])
head = grid[0]
cols = [head.index(t) if t in head else -1 for t in ("代码", "入户率达标", "知晓率达标", "满意度达标")]
same(min(cols) >= 0, True, "XLSX 汇总 has 代码 and the three 达标 columns")
same([t for t in head if "入户率" in t and "达标" not in t], ["宣传入户率"],
     "XLSX 汇总: coverage without 下限/上限 columns")
seen = set()
for row in grid[1:]:
    if len(row) > max(cols) and row[cols[0]] in EXPECT:
        seen.add(row[cols[0]])
        same(tuple(row[c] for c in cols[1:]), EXPECT[row[cols[0]]], "XLSX %s" % row[cols[0]])
same(sorted(seen), sorted(EXPECT), "XLSX: every region")

# --- the villages and grids below target (issue 14): every village or
# grid with a 未达标 above (all eight here), lowest coverage first, ties by
# code -- 1/2 = 2/4 = .5 (柳塘村 and its grids), 2/3 (第一网格, 石桥村 and
# its grid), 4/5 (府前社区), 2/2 (第二网格, 未达标 on 知晓率 and 满意度) ---
BELOW = ["439901002002", "439901002002001", "439901002002002", "439901001001001",
         "439901002001", "439901002001001", "439901001001", "439901001001002"]
names = re.findall(r'<sheet name="([^"]+)"', book.read("xl/workbook.xml").decode())
if "未达标清单" in names:
    xml = book.read("xl/worksheets/sheet%d.xml" % (names.index("未达标清单") + 1)).decode()
    codes = [c for c in re.findall(r"<is><t>(\d{12,15})</t></is>", xml)]
else:
    codes = None
same(codes, BELOW, "XLSX 未达标清单: the villages and grids below target, lowest coverage first")
page = op.open(URL + "/region/439901000000").read().decode()
m = re.search(r'<table class="below">(.*?)</table>', page, re.S)
same(re.findall(r'<tr><td class="name"><a href="/region/(\d+)', m.group(1)) if m else None, BELOW,
     "dashboard county page: the same list in the same order")
same(bool(m) and '未覆盖户' in m.group(1) and 'href="/grid/439901002002/unreached' in m.group(1), True,
     "dashboard list: each linked to its 未覆盖户清单")

cards = ("宣传入户率", "知晓率达标专题", "满意度")
for code, want in EXPECT.items():
    page = op.open(URL + "/region/" + code).read().decode()
    got = []
    for title in cards:
        m = re.search(r'<div class="k">%s</div><div class="v">[^<]*'
                      r'<span class="badge b-[a-z]+">([^<]*)</span>' % title, page)
        got.append(m.group(1) if m else None)
    same(tuple(got), want, "dashboard %s cards" % code)

# --- filters that cannot give a report: 400 with the reason, never zeros,
# and no CLI flag in the message (old main: 200 with zeros, "--from") ---
def status(path):
    try:
        resp = op.open(URL + path)
        return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


for query, says in (("from=2025-03-10&to=2025-03-01", "from 2025-03-10 is after to 2025-03-01"),
                    ("from=2025-02-30", 'from \\"2025-02-30\\" is not a date'),
                    ("survey=no-such-survey", 'survey \\"no-such-survey\\" is not installed and no answer'),
                    ("wave=no-such-wave", 'wave \\"no-such-wave\\" is no campaign')):
    code, body = status("/api/v1/report?" + query)
    same((code, says in body, "--" in body), (400, True, False), "API %s: 400, the reason, no flag" % query)
code, body = status("/region/439901000000?from=2025-03-10&to=2025-03-01")
same((code, "筛选条件有误" in body), (400, True), "dashboard, reversed dates: 400 筛选条件有误")

print("1..%d" % n)
sys.exit(1 if fails else 0)
