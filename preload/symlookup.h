/*
 * The symbol lookup of the interposition layer's start-up: what dlsym(RTLD_NEXT, name) and
 * dlvsym(RTLD_NEXT, name, version) return, found by reading the dynamic sections of the objects
 * that follow the calling module, without the loader's per-call work.
 */
#ifndef INFLAME_SYMLOOKUP_H
#define INFLAME_SYMLOOKUP_H

#include <link.h>
#include <stddef.h>
#include <stdint.h>

/* The objects searched: those that follow the calling module in the loader's search order, up
 * to the C library. More are not searched (the names they would define go to dlsym). */
#define INFLAME_SYMLOOKUP_MAX 16

/* What the lookup needs of one object's dynamic section. */
struct inflame_symlookup_obj {
	uintptr_t base;
	const uint32_t *gnu_hash;
	const ElfW(Sym) * symtab;
	const char *strtab;
	const ElfW(Half) * versym;
	const ElfW(Verdef) * verdef;
};

/* The objects, in search order. When the walk met something it does not know how to read, the
 * objects before it are kept and every name they do not define goes to dlsym. */
struct inflame_symlookup {
	struct inflame_symlookup_obj obj[INFLAME_SYMLOOKUP_MAX];
	unsigned n;
	/* The same objects as the loader's list holds them, first and last (the C library), when
	 * obj[] holds every object between them; else both NULL. */
	struct inflame_symlookup_span {
		const struct link_map *first;
		const struct link_map *last;
	} span;
};

/* Reads the objects that follow the module this code is linked into. Returns 0, or a negative
 * errno when the lookup cannot stand in for dlsym here (then l->n is 0 and every name goes to
 * dlsym). Not async-signal-safe: the loader's list must not change meanwhile (start-up, or a
 * constructor, which runs under the loader's lock). */
int inflame_symlookup_open(struct inflame_symlookup *l);

/* Looks name up as dlvsym(RTLD_NEXT, name, version) would from the module, or as
 * dlsym(RTLD_NEXT, name) with version NULL. Returns 1 with *addr set when the answer is known
 * to be dlsym's, 0 when only dlsym can tell (absent from the objects read, or a symbol of a
 * kind the lookup leaves to the loader: IFUNC, TLS, unique, absolute). */
int inflame_symlookup_find(const struct inflame_symlookup *l, const char *name, const char *version,
			   void **addr);

/* Looks name up as inflame_symlookup_find does, in the objects of a span kept from
 * inflame_symlookup_open (span.last not NULL). These objects were loaded with the program and
 * are never unloaded, and the loader links every later object after them: the lookup reads only
 * their dynamic sections and symbol tables, which do not change, and takes no lock. Usable at
 * any time after the open, on any thread, and async-signal-safe. */
int inflame_symlookup_span_find(const struct inflame_symlookup_span *s, const char *name,
				const char *version, void **addr);

#endif
