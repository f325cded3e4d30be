/*
 * Names of generated code for the symbolizer: the perf map entries a dump recorded (PERFMAP
 * chunks), and the anonymous executable regions it saw. Nothing here prints.
 */
#ifndef INFLAME_JITMAP_H
#define INFLAME_JITMAP_H

#include <stddef.h>
#include <stdint.h>

struct inflame_jitmap;

/* Returns a new, empty map, or NULL when out of memory. */
struct inflame_jitmap *inflame_jitmap_new(void);
/* Frees the map; accepts NULL. */
void inflame_jitmap_free(struct inflame_jitmap *j);
/* Adds code [start, start + size) named name (n bytes, need not be NUL-terminated); n = 0 adds
 * an anonymous executable region instead. Where named entries overlap, the one added last
 * wins. Returns 0 or -ENOMEM; an empty or wrapping range is ignored. */
int inflame_jitmap_add(struct inflame_jitmap *j, uint64_t start, uint64_t size, const char *name,
		       size_t n);
/* The name of the code holding addr: the last named entry that covers it, else
 * "[anon:jit]" when an anonymous region does, else NULL. The string stays valid until the
 * next add or free; *len receives its length. */
const char *inflame_jitmap_lookup(struct inflame_jitmap *j, uint64_t addr, size_t *len);

#endif
