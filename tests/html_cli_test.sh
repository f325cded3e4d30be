#!/bin/sh
# inflame html and inflame speedscope from the command line, checked with Python's json module
# (written independently of the generators): the page's data block follows the viewer's data
# contract (strings, frames, nodes, threads, views, per-sample arrays); each view's samples
# add up to its stacks, and the samples of a time range to what `inflame collapse --from --to`
# gives for it; hostile names (markup, "</script>", U+2028, control characters, bytes that are
# not UTF-8) stay inert text; the preview (view 0's tree cut to what can be drawn, before the
# viewer's script) holds the paths and totals the data block gives; a diff page carries the
# baseline; speedscope files have the
# schema's required fields, frame indexes in range and the same totals as collapse.
set -u
B=${INFLAME_BUILDDIR:-.}
S=${INFLAME_SRCDIR:-.}
I="$(cd "$B" && pwd)/inflame"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
if ! command -v python3 >/dev/null 2>&1; then
	echo "skip: python3 is not installed"
	exit 77
fi

# Extracts the data block of a page as JSON (the text between the data element's tags).
cat >"$T/check.py" <<'X'
import base64, json, re, struct, sys, zlib

# An encoded integer array {"n": N, "zv": base64 of N zigzag LEB128 varints} as a list; the
# text must be exactly the encoding of the N values (no trailing or missing bytes).
def zv(o):
    assert set(o) == {"n", "zv"}, o.keys()
    assert re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", o["zv"]), "not base64"
    out, u, sh = [], 0, 0
    for c in base64.b64decode(o["zv"], validate=True):
        u |= (c & 127) << sh
        sh += 7
        if c < 128:
            out.append(-(u + 1) // 2 if u & 1 else u // 2)
            u, sh = 0, 0
    assert sh == 0 and len(out) == o["n"], "encoded array's length"
    return out

# A blob array {"n": N, "t": type, "b": K, "z": 0|1} as a list: the base64 of the page's
# elements <script type="application/octet-stream" data-b="K"> in order (each at most 131072
# characters, all but the last a multiple of 4), raw deflate when z, N little-endian values.
BLOBS = {}
TYPES = {"u8": "B", "u16": "H", "u32": "I", "i8": "b", "i16": "h", "i32": "i", "f64": "d"}
def blob(o):
    assert set(o) == {"n", "t", "b", "z"}, o.keys()
    pieces = BLOBS.pop(o["b"], [])  # each blob is used once
    assert all(len(p) <= 131072 for p in pieces) and all(len(p) % 4 == 0 for p in pieces[:-1])
    raw = base64.b64decode("".join(pieces), validate=True)
    if o["z"]:
        z = zlib.decompressobj(-15)
        raw = z.decompress(raw) + z.flush()
        assert z.eof and not z.unused_data, "a deflated blob's stream"
    w = int(o["t"][1:]) if o["t"] not in TYPES else 0
    if w:
        # "uW": N values of W bits (9 to 23 but 16), most significant bit first, zero padded.
        assert 9 <= w <= 23 and w != 16 and not o["z"] and len(raw) == (o["n"] * w + 7) // 8
        big = int.from_bytes(raw, "big") >> (len(raw) * 8 - o["n"] * w)
        return [(big >> (w * (o["n"] - 1 - i))) & ((1 << w) - 1) for i in range(o["n"])]
    fmt = TYPES[o["t"]]
    assert len(raw) == o["n"] * struct.calcsize(fmt), "blob's length"
    vals = struct.unpack("<%d%s" % (o["n"], fmt), raw)
    if fmt == "d":
        assert all(v == int(v) for v in vals)
        vals = [int(v) for v in vals]
    return list(vals)

# Decodes every encoded array in place, and turns nodes.parent_delta or nodes.depth (depth
# first) into nodes.parent.
def decode(o):
    for k, v in list(o.items()) if isinstance(o, dict) else enumerate(o):
        if isinstance(v, dict) and "zv" in v:
            o[k] = zv(v)
        elif isinstance(v, dict) and "b" in v and "t" in v:
            o[k] = blob(v)
        elif isinstance(v, (dict, list)):
            decode(v)
    if isinstance(o, dict) and isinstance(o.get("nodes"), dict) and "parent_delta" in o["nodes"]:
        pd = o["nodes"].pop("parent_delta")
        assert pd[0] == 0
        o["nodes"]["parent"] = [-1] + [i - pd[i] for i in range(1, len(pd))]
    if isinstance(o, dict) and isinstance(o.get("nodes"), dict) and "depth" in o["nodes"]:
        dp, par, path = o["nodes"].pop("depth"), [-1], [0]
        assert dp[0] == 0
        for i in range(1, len(dp)):
            assert 1 <= dp[i] <= len(path), "depths not depth first"
            del path[dp[i]:]
            par.append(path[-1])
            path.append(i)
        o["nodes"]["parent"] = par
    return o

def data(path):
    raw = open(path, "rb").read()
    text = raw.decode("utf-8")  # must be valid UTF-8
    m = re.search(r'<script type="application/json" id="inflame-data">(.*?)</script>', text, re.S)
    assert m, "no data block"
    BLOBS.clear()
    for k, b in re.findall(r'<script type="application/octet-stream" data-b="(\d+)">([A-Za-z0-9+/=]*)</script>', text):
        BLOBS.setdefault(int(k), []).append(b)
    d = decode(json.loads(m.group(1)))
    assert not BLOBS, "blobs no array uses"
    return raw, text, d

def contract(d):
    assert d["version"] == 1
    assert d["strings"][0] == ""
    nf = len(d["frames"]["name"])
    for k in ("module", "file", "line"):
        assert len(d["frames"][k]) == nf, k
    for s in d["frames"]["name"]:
        assert 0 <= s < len(d["strings"])
    par, fr = d["nodes"]["parent"], d["nodes"]["frame"]
    # The root's frame: -1, written 0 in a page's blob (so that the array fits unsigned types).
    assert len(par) == len(fr) and par[0] == -1 and fr[0] in (-1, 0)
    for i in range(1, len(par)):
        assert 0 <= par[i] < i and 0 <= fr[i] < nf
    for t in d["threads"]:
        assert 0 <= t["name"] < len(d["strings"]) and isinstance(t["exited"], bool)
    for v in d["views"]:
        assert len(v["stack_node"]) == len(v["stack_weight"])
        for n in v["stack_node"]:
            assert 0 <= n < len(par)
        s = v.get("samples")
        if s:
            m = len(s["node"])
            for k in ("weight", "time", "thread"):
                assert len(s[k]) == m, k
            assert all(dt >= 0 for dt in s["time"])
            assert all(0 <= t < len(d["threads"]) for t in s["thread"])
            if "freed" in s:
                assert len(s["freed"]) == m
            # The samples add up to the stacks, node by node.
            a, b = {}, {}
            for n, w in zip(v["stack_node"], v["stack_weight"]):
                a[n] = a.get(n, 0) + w
            for n, w in zip(s["node"], s["weight"]):
                b[n] = b.get(n, 0) + w
            assert a == b, v["name"]

# The preview: view 0's tree cut to the paths of at least 1/8192 of its total, each with its
# total, checked against the same computed from the data block; None when the page has none.
def preview(text, d, order=False):
    m = re.search(r'<script type="application/json" id="inflame-preview">(.*?)</script>', text, re.S)
    if not m:
        assert d["diff"] or not sum(d["views"][0]["stack_weight"]), "no preview"
        return None
    p = decode(json.loads(m.group(1)))
    assert p["view"] == 0
    par, fr, st, fn = d["nodes"]["parent"], d["nodes"]["frame"], d["strings"], d["frames"]["name"]
    v = d["views"][0]
    total = [0] * len(par)
    for n, w in zip(v["stack_node"], v["stack_weight"]):
        total[n] += w
    for i in range(len(par) - 1, 0, -1):
        total[par[i]] += total[i]
    thr = max(1, total[0] // 8192)
    def key(n, parent, name):
        out = []
        while n > 0:
            out.append(name(n))
            n = parent[n]
        return tuple(reversed(out))
    want = {key(i, par, lambda n: st[fn[fr[n]]]): total[i] for i in range(len(par)) if total[i] >= thr}
    pp = [-1] + [i - p["parent_delta"][i] for i in range(1, len(p["parent_delta"]))]
    assert len(p["name"]) == len(pp) == len(p["total"]) and p["name"][0] == -1
    for i in range(1, len(pp)):
        assert 0 <= pp[i] < i and 0 <= p["name"][i] < len(p["names"])
    got = {key(i, pp, lambda n: p["names"][p["name"][n]]): p["total"][i] for i in range(len(pp))}
    assert got == want, "preview: %d paths differ" % len(set(got.items()) ^ set(want.items()))
    # Siblings in name order (UTF-8 bytes), as the data's tree (names that were not UTF-8
    # are written with replacement characters, so only for valid names).
    for t, name in ((pp, lambda n: p["names"][p["name"][n]]), (par, lambda n: st[fn[fr[n]]])) if order else ():
        last = {}
        for i in range(1, len(t)):
            b = name(i).encode("utf-8", "surrogatepass")
            assert t[i] not in last or last[t[i]] < b, "siblings out of name order"
            last[t[i]] = b
    return p

cmd = sys.argv[1]
if cmd == "contract":
    raw, text, d = data(sys.argv[2])
    contract(d)
    preview(text, d)
    print(" ".join(v["name"] + ("+samples" if "samples" in v else "") for v in d["views"]))
elif cmd == "paths":
    # The page's view V, as folded stacks rebuilt from the tree, against a folded file.
    raw, text, d = data(sys.argv[2])
    preview(text, d, order=True)
    st, fn = d["strings"], d["frames"]["name"]
    par, fr = d["nodes"]["parent"], d["nodes"]["frame"]
    def path(n):
        out = []
        while n > 0:
            out.append(st[fn[fr[n]]])
            n = par[n]
        return ";".join(reversed(out))
    v = [v for v in d["views"] if v["name"] == sys.argv[3]][0]
    got = {}
    for n, w in zip(v["stack_node"], v["stack_weight"]):
        got[path(n)] = got.get(path(n), 0) + w
    want = {}
    for line in open(sys.argv[4], encoding="utf-8"):
        stack, _, w = line.rstrip("\n").rpartition(" ")
        want[stack] = want.get(stack, 0) + int(w)
    assert got == want, "%d stacks differ" % len(set(got.items()) ^ set(want.items()))
    print(len(got), "stacks")
elif cmd == "totals":
    # Each view's name and total, as the page shows them without a selection.
    raw, text, d = data(sys.argv[2])
    for v in d["views"]:
        print(v["name"], sum(v["stack_weight"]))
elif cmd == "range":
    # The weight of view V's samples with from <= time < to (seconds).
    raw, text, d = data(sys.argv[2])
    v = [v for v in d["views"] if v["name"] == sys.argv[3]][0]
    lo, hi = float(sys.argv[4]) * 1e9, float(sys.argv[5]) * 1e9
    t, total = 0, 0
    for dt, w in zip(v["samples"]["time"], v["samples"]["weight"]):
        t += dt
        if lo <= t < hi:
            total += w
    print(total)
elif cmd == "hostile":
    raw, text, d = data(sys.argv[2])
    contract(d)
    # Only the page's own script elements: the preview's, the viewer's and the data's.
    opened = re.findall(rb"<script[^>]*>", raw, re.I)
    blobs = [t for t in opened if re.fullmatch(rb'<script type="application/octet-stream" data-b="\d+">', t)]
    assert [t for t in opened if t not in blobs] == [b'<script type="application/json" id="inflame-preview">', b"<script>",
                      b'<script type="application/json" id="inflame-data">'], opened
    assert len(re.findall(rb"</script", raw, re.I)) == len(opened), "a name closed the script"
    assert len(re.findall(rb'data-b="\d+">[A-Za-z0-9+/=]*</script>', raw)) == len(blobs), "a blob is not base64"
    assert b"<img" not in raw.lower() and b"<svg" not in raw.lower(), "markup got through"
    assert "\u2028" not in text and "\u2029" not in text
    for block in (b'id="inflame-data">', b'id="inflame-preview">'):
        body = raw[raw.index(block):]
        assert not any(c < 0x20 and c not in (0x0a,) for c in body[:body.index(b"</script")]), \
            "a control character in the data"
    names = set(d["strings"])
    pnames = set(preview(text, d)["names"])
    for want in sys.argv[3:]:
        assert want in names, "lost: %r" % want
        assert want in pnames, "lost in the preview: %r" % want
    print("inert")
elif cmd == "where":
    # A frame's module, file and line (the viewer's hover), by frame name.
    raw, text, d = data(sys.argv[2])
    contract(d)
    st, f = d["strings"], d["frames"]
    for k in ("module", "file"):
        assert all(0 <= i < len(st) for i in f[k]), k
    i = [st[n] for n in f["name"]].index(sys.argv[3])
    print(st[f["module"][i]], st[f["file"][i]], f["line"][i])
elif cmd == "sswhere":
    # A speedscope frame's file and line, by frame name.
    s = json.load(open(sys.argv[2], encoding="utf-8"))
    f = [f for f in s["shared"]["frames"] if f["name"] == sys.argv[3]][0]
    assert isinstance(f.get("file", ""), str) and isinstance(f.get("line", 0), int)
    print(f.get("file", "-"), f.get("line", 0))
elif cmd == "diff":
    raw, text, d = data(sys.argv[2])
    contract(d)
    df = d["diff"]
    assert df and 0 <= df["view"] < len(d["views"])
    assert len(df["base_stack_node"]) == len(df["base_stack_weight"])
    print(sum(df["base_stack_weight"]), sum(d["views"][df["view"]]["stack_weight"]))
elif cmd == "speedscope":
    s = json.load(open(sys.argv[2], encoding="utf-8"))
    # The required fields of https://www.speedscope.app/file-format-schema.json.
    assert s["$schema"] == "https://www.speedscope.app/file-format-schema.json"
    frames = s["shared"]["frames"]
    assert all(isinstance(f["name"], str) for f in frames)
    totals = {}
    for p in s["profiles"]:
        for k in ("type", "name", "unit", "startValue", "endValue", "samples", "weights"):
            assert k in p, k
        assert p["type"] == "sampled"
        assert p["unit"] in ("none", "nanoseconds", "microseconds", "milliseconds", "seconds", "bytes")
        assert len(p["samples"]) == len(p["weights"]) and p["startValue"] <= p["endValue"]
        for st in p["samples"]:
            assert all(0 <= i < len(frames) for i in st)
        view = p["name"].split(":")[0]
        totals[view] = totals.get(view, 0) + sum(p["weights"])
    names = set(f["name"] for f in frames)
    for want in sys.argv[3:]:
        assert want in names, "lost: %r" % want
    print(" ".join("%s=%d" % kv for kv in sorted(totals.items())))
X
py() { python3 "$T/check.py" "$@"; }
sum() { awk '{ s += $NF } END { print s + 0 }' "$@"; }

# A dump with cpu samples over a few tenths of a second, in two threads' worth of processes.
"$I" record -q -e cpu,wall -F 999 -o "$T/busy.ifl" -- /bin/sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done' 2>"$T/rec.err" ||
	fail "record: $(cat "$T/rec.err")"
"$I" html -o "$T/busy.html" "$T/busy.ifl" 2>"$T/stderr" || fail "html DUMP: $(cat "$T/stderr")"
views=$(py contract "$T/busy.html" 2>"$T/stderr")
case "$views" in
*cpu+samples*wall+samples*) ok "html DUMP: views $views" ;;
*) fail "html DUMP: views '$views' $(cat "$T/stderr")" ;;
esac
# The tree rebuilt into stacks is collapse's output: a dump, and stacks sharing prefixes in a
# scrambled order.
"$I" collapse --event cpu "$T/busy.ifl" >"$T/busy.folded"
got=$(py paths "$T/busy.html" cpu "$T/busy.folded" 2>&1) && ok "cpu view's tree: $got" || fail "cpu view's tree: $got"
awk 'BEGIN { srand(7); for (i = 0; i < 3000; i++) { n = 1 + int(rand() * 12); s = "r" int(rand() * 3);
	for (k = 1; k < n; k++) s = s ";f" int(rand() * 4); print s, 1 + int(rand() * 9) } }' >"$T/scrambled.folded"
"$I" collapse "$T/scrambled.folded" >"$T/scrambled.want"
"$I" html -o "$T/scrambled.html" "$T/scrambled.folded" 2>"$T/stderr" &&
	got=$(py paths "$T/scrambled.html" samples "$T/scrambled.want" 2>&1) && ok "folded tree: $got" ||
	fail "folded tree: $got $(cat "$T/stderr")"
# Thousands of names: the frame numbers packed in 13 bits a value (type "u13").
awk 'BEGIN { srand(9); for (i = 0; i < 3000; i++) { n = 2 + int(rand() * 6); s = "r";
	for (k = 1; k < n; k++) s = s ";g" int(rand() * 5000); print s, 1 + int(rand() * 9) } }' >"$T/wide.folded"
"$I" collapse "$T/wide.folded" >"$T/wide.want"
"$I" html -o "$T/wide.html" "$T/wide.folded" 2>"$T/stderr" &&
	grep -q '"frame":{"n":[0-9]*,"t":"u13"' "$T/wide.html" &&
	got=$(py paths "$T/wide.html" samples "$T/wide.want" 2>&1) && ok "packed frames (u13): $got" ||
	fail "packed frames (u13): $got $(cat "$T/stderr") $(grep -o '"frame":{[^}]*}' "$T/wide.html")"

# Ranges: the samples of a range are collapse's --from/--to.
for r in "0 0.1" "0.1 0.25" "0.05 100"; do
	set -- $r
	want=$("$I" collapse --event cpu --from "$1" --to "$2" "$T/busy.ifl" 2>/dev/null | sum)
	got=$(py range "$T/busy.html" cpu "$1" "$2")
	[ "$got" = "$want" ] && ok "cpu samples in [$1, $2): $got" || fail "cpu [$1, $2): page $got, collapse $want"
done
want=$("$I" collapse --event cpu "$T/busy.ifl" | sum)
"$I" html --event cpu --from 0.1 -o "$T/r.html" "$T/busy.ifl" 2>"$T/stderr" &&
	[ "$(py range "$T/r.html" cpu 0 1000)" = "$("$I" collapse --event cpu --from 0.1 "$T/busy.ifl" | sum)" ] &&
	ok "html --from" || fail "html --from: $(cat "$T/stderr")"

# Frames of a dump carry their module, source file and line (tests/progs/threads has -g).
"$I" record -q -e cpu -F 499 -o "$T/threads.ifl" -- "$B/tests/progs/threads" 0.2 >/dev/null 2>"$T/rec.err" ||
	fail "record threads: $(cat "$T/rec.err")"
"$I" html -o "$T/threads.html" "$T/threads.ifl" 2>"$T/stderr" || fail "html threads: $(cat "$T/stderr")"
got=$(py where "$T/threads.html" spin_until 2>&1)
case "$got" in
*/tests/progs/threads\ *tests/progs/threads.c\ [1-9]*) ok "spin_until: module, file, line: $got" ;;
*) fail "spin_until's module, file, line: $got" ;;
esac
# speedscope: a frame's file and, as line, where its function starts.
"$I" speedscope -o "$T/threads.json" "$T/threads.ifl" 2>"$T/stderr" || fail "speedscope threads: $(cat "$T/stderr")"
sswant="tests/progs/threads.c $(grep -n '^__attribute__((noinline)) void spin_until' "$S/tests/progs/threads.c" | cut -d: -f1)"
got=$(py speedscope "$T/threads.json" spin_until >/dev/null && py sswhere "$T/threads.json" spin_until 2>&1)
[ "$got" = "$sswant" ] && ok "speedscope: spin_until's file and start line: $got" ||
	fail "speedscope: spin_until's file and line: '$got', want '$sswant'"
got=$(py where "$T/busy.html" "$(sed -n '1{s/ [0-9]*$//;s/;.*//;p;}' "$T/busy.folded")" 2>&1) && ok "a root frame: '$got'" ||
	fail "a root frame: $got"

# Hostile names in folded input.
printf 'main;</script><script>alert(1)</script> 5\nmain;<img src=x onerror=alert(2)>;x 3\n' >"$T/hostile.folded"
printf 'main;line\342\200\250sep\342\200\251para 2\nmain;ctl\001\002\033[31m 1\nmain;bad\377\376utf8;&amp;"quote"\\ 4\n' >>"$T/hostile.folded"
printf 'main;<!--;-->;<![CDATA[ 1\n' >>"$T/hostile.folded"
"$I" html -o "$T/hostile.html" --format folded "$T/hostile.folded" 2>"$T/stderr" ||
	fail "html hostile: $(cat "$T/stderr")"
py hostile "$T/hostile.html" '</script><script>alert(1)</script>' '<img src=x onerror=alert(2)>' \
	"$(printf 'line\342\200\250sep\342\200\251para')" '"quote"\' '&amp' '<!--' >"$T/out" 2>&1 &&
	ok "hostile names stay text: $(cat "$T/out")" || fail "hostile names: $(cat "$T/out")"
"$I" html --title '</title><script>alert(3)</script>' -o "$T/title.html" "$T/hostile.folded" 2>/dev/null &&
	py hostile "$T/title.html" >/dev/null 2>&1 && ! grep -qi '<script>alert' "$T/title.html" &&
	ok "a hostile title stays text" || fail "hostile title"

# The default title names the inputs, the first three of a run's many dumps.
for i in 1 2 3 4 5; do printf 'main;f%d %d\n' "$i" "$i" >"$T/in$i.folded"; done
"$I" html -o "$T/many.html" "$T"/in1.folded "$T"/in2.folded "$T"/in3.folded "$T"/in4.folded \
	"$T"/in5.folded 2>"$T/stderr" || fail "html 5 inputs: $(cat "$T/stderr")"
wtitle="<title>inflame: $T/in1.folded $T/in2.folded $T/in3.folded and 2 more</title>"
grep -qF "$wtitle" "$T/many.html" && ok "the title of 5 inputs names 3 and the count" ||
	fail "title of 5 inputs: $(grep -o '<title>.*</title>' "$T/many.html")"
"$I" html -o "$T/two.html" "$T"/in1.folded "$T"/in2.folded 2>"$T/stderr" &&
	grep -qF "<title>inflame: $T/in1.folded $T/in2.folded</title>" "$T/two.html" &&
	ok "the title of 2 inputs names both" ||
	fail "title of 2 inputs: $(grep -o '<title>.*</title>' "$T/two.html")"

# Diff: BEFORE and AFTER; a differential folded file is its own baseline.
printf 'main;a 10\nmain;b 10\n' >"$T/before.folded"
printf 'main;a 10\nmain;b 30\n' >"$T/after.folded"
got=$("$I" html --diff "$T/before.folded" "$T/after.folded" -o "$T/diff.html" 2>&1 && py diff "$T/diff.html")
[ "$got" = "20 40" ] && ok "diff page: base 20, after 40" || fail "diff page: $got"
printf 'main;a 10 10\nmain;b 10 30\n' >"$T/d.folded"
got=$("$I" html "$T/d.folded" -o "$T/d.html" 2>&1 && py diff "$T/d.html")
[ "$got" = "20 40" ] && ok "differential folded page" || fail "differential folded page: $got"

# Errors: one line, no file.
mkdir "$T/out.d"
printf 'not a profile at all\n' >"$T/prose"
"$I" html -o "$T/out.d/x.html" "$T/prose" 2>"$T/stderr"
[ $? = 1 ] && [ "$(wc -l <"$T/stderr")" = 1 ] && [ -z "$(ls -A "$T/out.d")" ] &&
	ok "html of a text that is not a profile: $(cat "$T/stderr")" || fail "html bad input: $(cat "$T/stderr")"

# speedscope.
"$I" speedscope -o "$T/busy.speedscope.json" "$T/busy.ifl" 2>"$T/stderr" || fail "speedscope DUMP: $(cat "$T/stderr")"
got=$(py speedscope "$T/busy.speedscope.json" 2>&1)
ns=$("$I" info "$T/busy.ifl" | sed -n 's/.* \([0-9.]*\) ms a sample.*/\1/p' | head -1)
cpu=$(echo "$got" | sed -n 's/.*cpu=\([0-9]*\).*/\1/p')
if [ -n "$cpu" ] && [ -n "$ns" ] && [ "$cpu" -gt 0 ]; then
	per=$((cpu / want))
	[ $((per * want)) = "$cpu" ] && ok "speedscope: $got; cpu = $want samples x $per ns ($ns ms)" ||
		fail "speedscope cpu $cpu is not a multiple of $want samples"
else
	fail "speedscope: $got (info: $ns)"
fi
"$I" speedscope -o "$T/h.json" "$T/hostile.folded" 2>"$T/stderr" &&
	got=$(py speedscope "$T/h.json" '</script><script>alert(1)</script>' \
		"$(printf 'line\342\200\250sep\342\200\251para')" '"quote"\' '&amp' 2>&1) &&
	[ "$got" = "samples=16" ] && ok "speedscope of hostile folded: $got" || fail "speedscope hostile: $got $(cat "$T/stderr")"

# A recorded dump (tests/data/wall-inflame-stack.ifl, the demo on a loaded machine) with wall
# samples whose frames are all inflame's own: every view's page total is collapse's.
"$I" html -o "$T/wis.html" "$S/tests/data/wall-inflame-stack.ifl" 2>"$T/stderr" ||
	fail "html of the wall fixture: $(cat "$T/stderr")"
py totals "$T/wis.html" >"$T/wis.totals" 2>"$T/stderr" || fail "totals: $(cat "$T/stderr")"
grep -q '^wall ' "$T/wis.totals" || fail "the wall fixture's page has no wall view"
while read -r v total; do
	want=$("$I" collapse --event "$v" "$S/tests/data/wall-inflame-stack.ifl" 2>/dev/null | sum)
	[ "$total" = "$want" ] && ok "fixture: $v total $total is collapse's" ||
		fail "fixture: $v total: page $total, collapse $want"
done <"$T/wis.totals"

if [ $fails -gt 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "all passed"
