#!/usr/bin/env python3
"""An independent reader of pprof's profile.proto for tests: reads the gzip file with the
standard library, decodes the protobuf wire format by hand, checks the structure pprof,
Pyroscope and Parca rely on, and prints a summary.

Checks: the string table starts with ""; every string is valid UTF-8 without control
characters; ids of functions, locations and mappings run 1..N in order; every reference
(location -> function, sample -> location, string indexes) resolves; every sample has one
value per sample type; labels are pid/thread_id (numbers), thread_name and the program's own (strings); a
location's mapping exists and holds its address.

Prints "type/unit total" per sample type, "label KEY VALUES" and "function NAME SELF" for the
first column with --self N, then "ok". With --lines, also "mapping FILE BUILD_ID" per mapping
and per location line with a line number "line FUNCTION FILE:LINE" ("inline ..." for the
frames inlined into the location's last line). With --lines, also "function NAME | SYSTEM_NAME |
START_LINE" per function with a start line or a system name other than its name. Mappings are
printed in id order: "mapping 1" is the one pprof takes for the main binary. Exits 1 with "bad:
why" on the first failure.
usage: pprof_decode.py FILE [--self N] [--column TYPE] [--lines]
"""
import gzip
import sys


def bad(why):
    print("bad: " + why)
    sys.exit(1)


def varint(b, i):
    shift = v = 0
    while True:
        if i >= len(b):
            bad("varint runs past the end")
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i
        if shift > 63:
            bad("varint too long")


def fields(b):
    """Yields (field, wiretype, value): ints for wire type 0, bytes for 2."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 2:
            n, i = varint(b, i)
            if i + n > len(b):
                bad("field %d runs past the end" % f)
            v = b[i:i + n]
            i += n
        elif wt == 1:
            v = int.from_bytes(b[i:i + 8], "little")
            i += 8
        elif wt == 5:
            v = int.from_bytes(b[i:i + 4], "little")
            i += 4
        else:
            bad("wire type %d" % wt)
        yield f, wt, v


def ints(wt, v):
    """A repeated integer field, packed (wire type 2) or not."""
    if wt == 0:
        return [v]
    out, i = [], 0
    while i < len(v):
        x, i = varint(v, i)
        out.append(x)
    return out


def signed(x):
    return x - (1 << 64) if x >= 1 << 63 else x


def main():
    path = sys.argv[1]
    selfn = 0
    column = None
    show_lines = False
    args = sys.argv[2:]
    while args:
        if args[0] == "--lines":
            show_lines = True
            args = args[1:]
            continue
        if args[0] == "--self":
            selfn = int(args[1])
            args = args[2:]
        elif args[0] == "--column":
            column = args[1]
            args = args[2:]
        else:
            bad("unknown argument " + args[0])
    raw = open(path, "rb").read()
    if raw[:2] != b"\x1f\x8b":
        bad("not gzip")
    data = gzip.decompress(raw)
    strings, types, samples, locations, functions, mappings = [], [], [], [], [], []
    scalars = {}
    for f, wt, v in fields(data):
        if f == 6:
            strings.append(v)
        elif f == 1:
            t = dict((ff, vv) for ff, _, vv in fields(v))
            types.append((t.get(1, 0), t.get(2, 0)))
        elif f == 2:
            s = {"loc": [], "val": [], "lab": []}
            for ff, w2, vv in fields(v):
                if ff == 1:
                    s["loc"] += ints(w2, vv)
                elif ff == 2:
                    s["val"] += [signed(x) for x in ints(w2, vv)]
                elif ff == 3:
                    s["lab"].append(dict((a, c) for a, _, c in fields(vv)))
            samples.append(s)
        elif f == 3:
            mappings.append(dict((ff, vv) for ff, _, vv in fields(v)))
        elif f == 4:
            loc = {"id": 0, "lines": []}
            for ff, _, vv in fields(v):
                if ff == 1:
                    loc["id"] = vv
                elif ff in (2, 3):
                    loc[ff] = vv
                elif ff == 4:
                    loc["lines"].append(dict((a, c) for a, _, c in fields(vv)))
            locations.append(loc)
        elif f == 5:
            functions.append(dict((ff, vv) for ff, _, vv in fields(v)))
        elif wt == 0:
            scalars[f] = v
        elif f == 11:
            scalars[f] = dict((ff, vv) for ff, _, vv in fields(v))
    if not strings or strings[0] != b"":
        bad('the string table does not start with ""')
    text = []
    for i, s in enumerate(strings):
        try:
            t = s.decode("utf-8")
        except UnicodeDecodeError:
            bad("string %d is not UTF-8: %r" % (i, s))
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in t):
            bad("string %d has a control character: %r" % (i, t))
        text.append(t)

    def st(i):
        if not 0 <= i < len(text):
            bad("string index %d out of range" % i)
        return text[i]

    for kind, items in (("mapping", mappings), ("function", functions)):
        for n, it in enumerate(items, 1):
            if it.get(1) != n:
                bad("%s %d has id %s" % (kind, n, it.get(1)))
    for n, loc in enumerate(locations, 1):
        if loc["id"] != n:
            bad("location %d has id %s" % (n, loc["id"]))
        if not loc["lines"]:
            bad("location %d has no line" % n)
        for ln in loc["lines"]:
            if not 1 <= ln.get(1, 0) <= len(functions):
                bad("location %d names function %s" % (n, ln.get(1)))
        m = loc.get(2, 0)
        if m:
            if not 1 <= m <= len(mappings):
                bad("location %d names mapping %d" % (n, m))
            mp = mappings[m - 1]
            if not mp.get(2, 0) <= loc.get(3, 0) < mp.get(3, 0):
                bad("location %d: address %#x outside its mapping" % (n, loc.get(3, 0)))
    for mp in mappings:
        if mp.get(3, 0) <= mp.get(2, 0):
            bad("mapping %d: limit not above start" % mp.get(1))
        if show_lines:
            print("mapping %s %s" % (st(mp.get(5, 0)), st(mp.get(6, 0))))
    # Source lines: "line FUNCTION FILE:LINE", the lines of inlined frames prefixed "inline".
    for loc in locations if show_lines else []:
        for k, ln in enumerate(loc["lines"]):
            fn = functions[ln.get(1, 1) - 1]
            if ln.get(2, 0):
                print("%s %s %s:%d" % ("inline" if k + 1 < len(loc["lines"]) else "line",
                                       st(fn.get(2, 0)), st(fn.get(4, 0)), ln[2]))
    for fn in functions:
        if not st(fn.get(2, 0)):
            bad("function %d has no name" % fn[1])
        st(fn.get(3, 0))
        start = signed(fn.get(5, 0))
        if start < 0:
            bad("function %d has start line %d" % (fn[1], start))
        if show_lines and (start or st(fn.get(3, 0)) != st(fn.get(2, 0))):
            print("function %s | %s | %d" % (st(fn.get(2, 0)), st(fn.get(3, 0)), start))
    if not types:
        bad("no sample type")
    names = ["%s/%s" % (st(t), st(u)) for t, u in types]
    totals = [0] * len(types)
    labels = {}
    for s in samples:
        if len(s["val"]) != len(types):
            bad("a sample has %d values for %d types" % (len(s["val"]), len(types)))
        if not s["loc"]:
            bad("a sample without locations")
        for l in s["loc"]:
            if not 1 <= l <= len(locations):
                bad("a sample names location %d" % l)
        for k, v in enumerate(s["val"]):
            totals[k] += v
        for lab in s["lab"]:
            key = st(lab.get(1, 0))
            if key in ("pid", "thread_id"):
                if 3 not in lab or 2 in lab:
                    bad("label %s is not a number" % key)
                val = str(lab[3])
            elif key == "thread_name":
                val = st(lab.get(2, 0))
            else:
                # the program's own labels (inflame_label(3)): strings
                if 2 not in lab or 3 in lab:
                    bad("label %s is not a string" % key)
                val = st(lab.get(2, 0))
            labels.setdefault(key, set()).add(val)
    for n, t in zip(names, totals):
        print("%s %d" % (n, t))
    if 11 in scalars:
        pt = scalars[11]
        print("period %s/%s %d" % (st(pt.get(1, 0)), st(pt.get(2, 0)), scalars.get(12, 0)))
    for k in sorted(labels):
        print("label %s %s" % (k, ",".join(sorted(labels[k]))))
    if selfn:
        col = 0
        if column:
            col = [t.split("/")[0] for t in names].index(column)
        self_of = {}
        for s in samples:
            loc = locations[s["loc"][0] - 1]
            fn = functions[loc["lines"][0][1] - 1]
            name = st(fn.get(2, 0))
            self_of[name] = self_of.get(name, 0) + s["val"][col]
        top = sorted(self_of.items(), key=lambda kv: (-kv[1], kv[0]))[:selfn]
        for name, v in top:
            print("function %s %d" % (name, v))
    print("ok %d samples %d functions %d strings" % (len(samples), len(functions), len(text)))


main()
