#!/usr/bin/env python3
"""Prints the fields of every dump image in the files given, one line per field, for tests that
compare two dumps field by field (tests/bareend_test.sh). --mask NAME,... prints the value of
each field named so as '*' (a time, a pid: what differs between two runs).

Fields are named CHUNK.FIELD, with the chunk's number of its type in the image when there are
several (STATS#2.cpu_ns). Chunk types this script does not know are listed by type and size."""
import struct
import sys

NAMES = {1: "PROCESS", 2: "MODULES", 3: "STACKS", 4: "SAMPLES", 5: "THREADS", 6: "STATS",
         7: "END", 8: "ALLOCS", 9: "THREAD_CPU", 10: "NOTES", 11: "PERFMAP", 12: "LABELS",
         13: "MOVED"}
STATS = {1: "dropped_ring", 2: "dropped_stacks", 3: "dropped_threads", 4: "truncated",
         5: "signals", 6: "foreign", 7: "cpu_ns", 8: "alloc_untracked",
         9: "sigstack_narrow", 10: "sigstack_nostack", 11: "wall_unseen",
         12: "wall_unseen_threads", 13: "handler_ns", 14: "handler_runs", 15: "handler_long"}


class Cursor:
    def __init__(self, data):
        self.d, self.i = data, 0

    def more(self):
        return self.i < len(self.d)

    def varint(self):
        v, shift = 0, 0
        while True:
            b = self.d[self.i]
            self.i += 1
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return v

    def str(self):
        n = self.varint()
        s = self.d[self.i:self.i + n]
        self.i += n
        return s.decode("utf-8", "replace")


def process(c, put):
    put("pid", c.varint())
    put("ppid", c.varint())
    put("exe", c.str())
    argc = c.varint()
    put("argc", argc)
    for k in range(argc):
        put("arg%d" % k, c.str())
    for f in ("events", "frequency", "timer", "unwind", "max_depth", "ring_kb",
              "alloc_rate", "cpu_timer"):
        put(f, c.str() if f in ("events", "timer", "unwind", "cpu_timer") else c.varint())


def threads(c, put):
    n = c.varint()
    put("count", n)
    for k in range(n):
        put("tid%d" % k, c.varint())
        put("name%d" % k, c.str())
        put("flags%d" % k, c.varint())


def thread_cpu(c, put):
    for f in ("period", "clock_flags", "profiler_ns"):
        put(f, c.varint())
    n = c.varint()
    put("count", n)
    for k in range(n):
        for f in ("tid", "flags", "cpu", "user", "sys", "weight", "self_cpu", "self_wall"):
            put("%s%d" % (f, k), c.varint())
    if not c.more():
        return
    n = c.varint()
    put("unsampled_count", n)
    for k in range(n):
        put("unsampled_tid%d" % k, c.varint())
        put("unsampled_ns%d" % k, c.varint())
    n = c.varint()
    put("loss_count", n)
    for k in range(n):
        for f in ("tid", "missed", "before", "dropped"):
            put("loss_%s%d" % (f, k), c.varint())


def stats(c, put):
    n = c.varint()
    put("count", n)
    for _ in range(n):
        key = c.varint()
        put(STATS.get(key, "key%d" % key), c.varint())


def end(c, put):
    put("time", c.varint())
    k = 0
    while c.more():
        put("total%d" % k, c.varint())
        k += 1


DECODE = {1: process, 5: threads, 6: stats, 7: end, 9: thread_cpu}


def main():
    args = sys.argv[1:]
    mask = set()
    if args[:1] == ["--mask"]:
        mask = set(args[1].split(","))
        args = args[2:]
    image = 0
    for path in args:
        data = open(path, "rb").read()
        i = 0
        while i + 64 <= len(data):
            if data[i:i + 8] != b"INFLAME\x1a":
                print("garbage at %d" % i)
                break
            image += 1
            seen = {}
            (version, min_reader, hsize, psize, endian, machine, features, pid, seq, srt, smono,
             frt, fmono) = struct.unpack_from("<HHHBBIIIIQQQQ", data, i + 8)

            def put(field, value, chunk="HEADER"):
                name = "%s.%s" % (chunk, field)
                print("image%d %s=%s" % (image, name, "*" if field in mask else value))

            for f, v in (("version", version), ("min_reader", min_reader), ("pointer", psize),
                         ("machine", machine), ("features", features), ("pid", pid),
                         ("sequence", seq), ("start_realtime", srt),
                         ("start_monotonic", smono), ("file_realtime", frt),
                         ("file_monotonic", fmono)):
                put(f, v)
            i += hsize
            while i + 16 <= len(data) and data[i:i + 8] != b"INFLAME\x1a":
                ctype, length, _crc, _flags = struct.unpack_from("<IIII", data, i)
                payload = data[i + 16:i + 16 + length]
                i += 16 + length
                name = NAMES.get(ctype, "type%d" % ctype)
                seen[name] = seen.get(name, 0) + 1
                chunk = name if seen[name] == 1 else "%s#%d" % (name, seen[name])
                print("image%d chunk %s %s" % (image, chunk,
                                               "" if ctype in DECODE else "%d bytes" % length))
                if ctype in DECODE:
                    DECODE[ctype](Cursor(payload), lambda f, v, c=chunk: put(f, v, c))


main()
