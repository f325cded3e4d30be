#!/bin/sh
# The fast subset of tests/real/real.sh for `make check`: xz and a shell pipeline.
exec sh "${INFLAME_SRCDIR:-.}/tests/real/real.sh" fast
