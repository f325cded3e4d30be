#!/bin/sh
# Profiles the demo workload with CPU, wall-clock and allocation sampling and writes its
# folded stacks, flame graphs and the viewer's page (profile.html). Usage: run.sh BUILDDIR OUTDIR
set -eu
build=$1
out=$2
inflame="$build/inflame"
rm -rf "$out"
mkdir -p "$out"
"$inflame" record -q --unwind dwarf -e cpu,wall,alloc -o "$out/demo.%p.ifl" -- "$build/demo/inflame-demo" 2
# The demo's own dump file, and the shared file of the pattern (inflame-preload(7)), which holds
# only its start's placeholder and stand-in: the readers take both and drop those.
set -- "$out"/demo.*.ifl
"$inflame" collapse --event cpu "$@" > "$out/cpu.folded"
"$inflame" collapse --event wall --threads "$@" > "$out/wall.folded"
"$inflame" flamegraph --event cpu --title "inflame demo: CPU" -o "$out/cpu.svg" "$@"
"$inflame" flamegraph --event wall --threads --title "inflame demo: wall clock, per thread" \
	--colors io -o "$out/wall.svg" "$@"
"$inflame" collapse --event alloc "$@" > "$out/alloc.folded"
"$inflame" flamegraph --event alloc --title "inflame demo: bytes allocated" -o "$out/alloc.svg" \
	"$@"
"$inflame" html --title "inflame demo" -o "$out/profile.html" "$@"
"$inflame" report --event cpu --top 10 "$@"
echo
echo "profile:       $*"
echo "folded stacks: $out/cpu.folded $out/wall.folded $out/alloc.folded"
echo "flame graphs:  $out/cpu.svg $out/wall.svg $out/alloc.svg"
echo "viewer:        $out/profile.html (every view, timeline, tables; open it in a browser)"
