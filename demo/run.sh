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
dump=$(ls "$out"/demo.*.ifl)
"$inflame" collapse --event cpu "$dump" > "$out/cpu.folded"
"$inflame" collapse --event wall --threads "$dump" > "$out/wall.folded"
"$inflame" flamegraph --event cpu --title "inflame demo: CPU" -o "$out/cpu.svg" "$dump"
"$inflame" flamegraph --event wall --threads --title "inflame demo: wall clock, per thread" \
	--colors io -o "$out/wall.svg" "$dump"
"$inflame" collapse --event alloc "$dump" > "$out/alloc.folded"
"$inflame" flamegraph --event alloc --title "inflame demo: bytes allocated" -o "$out/alloc.svg" \
	"$dump"
"$inflame" html --title "inflame demo" -o "$out/profile.html" "$dump"
"$inflame" report --event cpu --top 10 "$dump"
echo
echo "profile:       $dump"
echo "folded stacks: $out/cpu.folded $out/wall.folded $out/alloc.folded"
echo "flame graphs:  $out/cpu.svg $out/wall.svg $out/alloc.svg"
echo "viewer:        $out/profile.html (every view, timeline, tables; open it in a browser)"
