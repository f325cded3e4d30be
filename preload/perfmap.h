/*
 * Names of generated code: the program's /tmp/perf-PID.map, copied into the dump as it grows,
 * and the anonymous executable mappings that generated code lives in (see the PERFMAP chunk
 * in dump_format.h). Writer thread only: nothing here is async-signal-safe, and nothing here
 * may be called from a signal handler or an interposed function.
 */
#ifndef INFLAME_PERFMAP_H
#define INFLAME_PERFMAP_H

#include "varint.h"

#include <stdint.h>

/* A new dump file: its map starts from the first line again (each file stands alone), and
 * the anonymous regions already seen are written again. */
void inflame_perfmap_restart(void);
/* Appends PERFMAP entries to b (after what b holds) for at most one buffer of new map lines;
 * now is the entries' time (ns from the profiler's start); *count receives the number of
 * entries appended. Returns 1 when it consumed part of the map (call again for more), 0 when
 * the map has nothing new (or is not there, or is not the user's). */
int inflame_perfmap_read(struct inflame_buf *b, uint64_t now, uint64_t *count);
/* A new stack's leaf lies outside every known object: inflame_perfmap_regions() looks at
 * /proc/self/maps (at most once a second, but for the final call). */
void inflame_perfmap_want_regions(void);
/* Appends an entry with an empty name for each anonymous executable mapping not yet written to
 * this file, looking for new ones when asked to (final: the file's last call); returns the
 * number appended. */
uint64_t inflame_perfmap_regions(struct inflame_buf *b, uint64_t now, int final);
/* 1 when a look at /proc/self/maps found new aliases (inflame_modules_add_alias) since the
 * last call: the module map is to be written again. */
int inflame_perfmap_new_aliases(void);
/* A fork child: the map of the new pid is another file. */
void inflame_perfmap_after_fork(void);

#endif
