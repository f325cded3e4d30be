# The python3 workload of bench/alloc.sh: with PYTHONMALLOC=malloc every object below is a
# malloc and a free. Each of N iterations makes a string, a tuple, a list and its item array;
# one in four is kept in a list that is dropped whenever it holds 100000, so the live heap
# rises and falls the same way on every run (a peak to compare between profilers).
import sys


def churn(n):
    keep = []
    for i in range(n):
        s = str(i) * 2
        t = (s, i, [i, s])
        if i % 4 == 0:
            keep.append(t)
            if len(keep) >= 100000:
                keep = []
    return len(keep)


print(churn(int(sys.argv[1]) if len(sys.argv) > 1 else 1000000))
