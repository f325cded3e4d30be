/*
 * The symbolizer. It owns three things: the module table, the address cache and a pool of
 * names.
 *
 * The module table is an array in the order modules were added; a lookup scans it from the
 * end so that, where modules of different generations overlap (an object unloaded and another
 * loaded at its place), the later one wins. Each module gets its own libdw session (Dwfl),
 * opened on first use with dwfl_report_elf() at the recorded load bias and the standard
 * offline callbacks (build-id directories, .gnu_debuglink, MiniDebugInfo); a module that
 * cannot be opened is remembered as such and its addresses are named "[module+0xoffset]".
 * Keeping one session per module means overlapping generations never confuse libdw's own
 * address lookup.
 *
 * The cache is an open-addressing table keyed by the looked-up address (the call site for
 * return addresses), holding an offset into the name pool and a name count; a cached entry's
 * names are stored consecutively in the pool, NUL-terminated, innermost first.
 */
#include "symbolize.h"

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* From the C++ runtime (libstdc++), declared here to keep this file C. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

enum mod_state {
	MOD_UNOPENED = 0,
	MOD_OPEN,
	MOD_FAILED, /* no usable ELF file: names are [module+0xoffset] */
	MOD_PSEUDO, /* [vdso] and the like: never opened */
};

struct module {
	uint64_t base, lo, hi;
	char *path;
	const char *basename;
	uint8_t *build_id;
	size_t build_id_len;
	enum mod_state state;
	Dwfl *dwfl;
	Dwfl_Module *mod;
};

struct cache_slot {
	uint64_t addr;
	uint32_t off; /* offset into the pool + 1; 0 = empty slot */
	uint32_t n;
};

struct inflame_symbolizer {
	int inlines;
	struct module *mods;
	size_t nmods, mods_cap;
	struct cache_slot *tab;
	size_t tab_size, tab_used;
	char *pool;
	size_t pool_len, pool_cap;
	char **mismatch; /* paths of modules whose build-id changed */
	size_t nmismatch, mismatch_cap;
};

static char *debuginfo_path;

static const Dwfl_Callbacks offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 16;
	void *np;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

struct inflame_symbolizer *inflame_symbolize_new(int inlines)
{
	struct inflame_symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->inlines = inlines;
	s->tab_size = 1024;
	s->tab = calloc(s->tab_size, sizeof(*s->tab));
	if (!s->tab) {
		free(s);
		return NULL;
	}
	return s;
}

void inflame_symbolize_free(struct inflame_symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nmods; i++) {
		if (s->mods[i].dwfl)
			dwfl_end(s->mods[i].dwfl);
		free(s->mods[i].path);
		free(s->mods[i].build_id);
	}
	for (size_t i = 0; i < s->nmismatch; i++)
		free(s->mismatch[i]);
	free(s->mismatch);
	free(s->mods);
	free(s->tab);
	free(s->pool);
	free(s);
}

static int is_pseudo(const char *path)
{
	return path[0] == '[' || path[0] == '\0' || !strncmp(path, "linux-vdso", 10) ||
	       !strncmp(path, "linux-gate", 10);
}

int inflame_symbolize_add_module(struct inflame_symbolizer *s, uint64_t base, uint64_t lo,
				 uint64_t hi, const char *path, size_t plen,
				 const uint8_t *build_id, size_t build_id_len)
{
	struct module *m;
	const char *slash;

	for (size_t i = 0; i < s->nmods; i++) {
		m = &s->mods[i];
		if (m->base == base && m->lo == lo && m->hi == hi && strlen(m->path) == plen &&
		    !memcmp(m->path, path, plen) && m->build_id_len == build_id_len &&
		    (!build_id_len || !memcmp(m->build_id, build_id, build_id_len)))
			return 0;
	}
	if (grow((void **)&s->mods, &s->mods_cap, s->nmods + 1, sizeof(*s->mods)) < 0)
		return -ENOMEM;
	m = &s->mods[s->nmods];
	memset(m, 0, sizeof(*m));
	m->path = malloc(plen + 1);
	m->build_id = malloc(build_id_len ? build_id_len : 1);
	if (!m->path || !m->build_id) {
		free(m->path);
		free(m->build_id);
		return -ENOMEM;
	}
	memcpy(m->path, path, plen);
	m->path[plen] = '\0';
	/* A path with a NUL inside is cut there: it cannot name a file anyway. */
	if (build_id_len)
		memcpy(m->build_id, build_id, build_id_len);
	m->build_id_len = build_id_len;
	m->base = base;
	m->lo = lo;
	m->hi = hi;
	slash = strrchr(m->path, '/');
	m->basename = slash && slash[1] ? slash + 1 : m->path;
	if (is_pseudo(m->path))
		m->state = MOD_PSEUDO;
	s->nmods++;
	return 0;
}

static struct module *find_module(struct inflame_symbolizer *s, uint64_t addr)
{
	for (size_t i = s->nmods; i-- > 0;)
		if (addr >= s->mods[i].lo && addr < s->mods[i].hi)
			return &s->mods[i];
	return NULL;
}

static void note_mismatch(struct inflame_symbolizer *s, const char *path)
{
	char *copy = strdup(path);

	if (!copy ||
	    grow((void **)&s->mismatch, &s->mismatch_cap, s->nmismatch + 1, sizeof(char *)) < 0) {
		free(copy);
		return;
	}
	s->mismatch[s->nmismatch++] = copy;
}

/* Is path a regular file? The path comes from the dump, which may be hostile: opening a FIFO or
 * a device for reading would block or never end (found by a crafted dump naming a FIFO). */
static int is_regular_file(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	int ok;

	if (fd < 0)
		return 0;
	ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	close(fd);
	return ok;
}

/* Opens the module's ELF file in its own libdw session and checks its build-id. */
static void open_module(struct inflame_symbolizer *s, struct module *m)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n;

	m->state = MOD_FAILED;
	if (!is_regular_file(m->path))
		return;
	m->dwfl = dwfl_begin(&offline_callbacks);
	if (!m->dwfl)
		return;
	dwfl_report_begin(m->dwfl);
	m->mod = dwfl_report_elf(m->dwfl, m->basename, m->path, -1, m->base, false);
	dwfl_report_end(m->dwfl, NULL, NULL);
	if (!m->mod) {
		dwfl_end(m->dwfl);
		m->dwfl = NULL;
		return;
	}
	m->state = MOD_OPEN;
	if (!m->build_id_len)
		return;
	n = dwfl_module_build_id(m->mod, &bits, &vaddr);
	if (n != (int)m->build_id_len || memcmp(bits, m->build_id, m->build_id_len) != 0)
		note_mismatch(s, m->path);
}

/* Appends a NUL-terminated name to the pool; returns 0 or -ENOMEM. */
static int pool_add(struct inflame_symbolizer *s, const char *name, size_t len)
{
	if (s->pool_len + len + 1 > UINT32_MAX - 1)
		return -ENOMEM;
	if (grow((void **)&s->pool, &s->pool_cap, s->pool_len + len + 1, 1) < 0)
		return -ENOMEM;
	memcpy(s->pool + s->pool_len, name, len);
	s->pool[s->pool_len + len] = '\0';
	s->pool_len += len + 1;
	return 0;
}

/* Appends a symbol name, demangled when it is a C++ name. */
static int pool_add_symbol(struct inflame_symbolizer *s, const char *name)
{
	char *dem = NULL;
	int status = -1, err;

	if (name[0] == '_' && name[1] == 'Z')
		dem = __cxa_demangle(name, NULL, NULL, &status);
	if (dem && status == 0)
		err = pool_add(s, dem, strlen(dem));
	else
		err = pool_add(s, name, strlen(name));
	free(dem);
	return err;
}

/* The name of an inlined subroutine's DIE: its linkage name if any (demangled), else its
 * plain name, following the abstract origin. NULL when it has none. */
static const char *inline_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *name;

	name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
	return name;
}

/*
 * Adds the names of the functions inlined at addr, innermost first, before the containing
 * function's own name. Returns how many were added (0 when there is no debug information or
 * no inlining), or -ENOMEM.
 */
static int add_inlines(struct inflame_symbolizer *s, struct module *m, uint64_t addr)
{
	Dwarf_Die *cudie, *scopes = NULL;
	Dwarf_Addr bias;
	int nscopes, added = 0;

	cudie = dwfl_module_addrdie(m->mod, addr, &bias);
	if (!cudie)
		return 0;
	nscopes = dwarf_getscopes(cudie, addr - bias, &scopes);
	for (int i = 0; i < nscopes && added < INFLAME_SYMBOLIZE_MAX_NAMES - 1; i++) {
		const char *name;

		if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
			continue;
		name = inline_name(&scopes[i]);
		if (!name)
			continue;
		if (pool_add_symbol(s, name) < 0) {
			free(scopes);
			return -ENOMEM;
		}
		added++;
	}
	free(scopes);
	return added;
}

/* Resolves addr into the pool; returns the number of names added, or -ENOMEM. */
static int resolve(struct inflame_symbolizer *s, uint64_t addr)
{
	struct module *m = find_module(s, addr);
	char buf[64];
	int n = 0, len;

	if (!m) {
		len = snprintf(buf, sizeof(buf), "0x%" PRIx64, addr);
		return pool_add(s, buf, (size_t)len) < 0 ? -ENOMEM : 1;
	}
	/* The profiler's own frames (the thread start trampoline, allocation hooks) are not the
	 * program's: they are left out, and their time goes to the caller. */
	if (!strncmp(m->basename, "libinflame", 10))
		return 0;
	if (m->state == MOD_PSEUDO) {
		if (!strcmp(m->path, "[vdso]") || !strncmp(m->path, "linux-", 6))
			return pool_add(s, "[vdso]", 6) < 0 ? -ENOMEM : 1;
	}
	if (m->state == MOD_UNOPENED)
		open_module(s, m);
	if (m->state == MOD_OPEN) {
		GElf_Off off;
		GElf_Sym sym;
		const char *name;

		name = dwfl_module_addrinfo(m->mod, addr, &off, &sym, NULL, NULL, NULL);
		if (name && name[0]) {
			if (s->inlines) {
				n = add_inlines(s, m, addr);
				if (n < 0)
					return n;
			}
			return pool_add_symbol(s, name) < 0 ? -ENOMEM : n + 1;
		}
	}
	/* A pseudo path like "[anon]" is kept as it is, without another pair of brackets. */
	if (m->basename[0] == '[') {
		size_t bl = strlen(m->basename);

		len = snprintf(buf, sizeof(buf), "%.*s+0x%" PRIx64 "]",
			       (int)(bl > 40 ? 40 : bl - 1), m->basename, addr - m->base);
	} else {
		len = snprintf(buf, sizeof(buf), "[%.40s+0x%" PRIx64 "]",
			       m->basename[0] ? m->basename : "anon", addr - m->base);
	}
	return pool_add(s, buf, (size_t)len) < 0 ? -ENOMEM : 1;
}

static uint64_t hash_addr(uint64_t a)
{
	a ^= a >> 33;
	a *= 0xff51afd7ed558ccdULL;
	a ^= a >> 33;
	return a;
}

static int rehash(struct inflame_symbolizer *s)
{
	size_t nsize = s->tab_size * 2;
	struct cache_slot *ntab = calloc(nsize, sizeof(*ntab));

	if (!ntab)
		return -ENOMEM;
	for (size_t i = 0; i < s->tab_size; i++) {
		size_t j;

		if (!s->tab[i].off)
			continue;
		for (j = hash_addr(s->tab[i].addr) & (nsize - 1); ntab[j].off;
		     j = (j + 1) & (nsize - 1))
			;
		ntab[j] = s->tab[i];
	}
	free(s->tab);
	s->tab = ntab;
	s->tab_size = nsize;
	return 0;
}

int inflame_symbolize_addr(struct inflame_symbolizer *s, uint64_t addr, int is_return,
			   const char **names)
{
	struct cache_slot *slot;
	size_t j, off;
	const char *p;
	int n;

	if (is_return && addr > 0)
		addr--;
	for (j = hash_addr(addr) & (s->tab_size - 1); s->tab[j].off;
	     j = (j + 1) & (s->tab_size - 1))
		if (s->tab[j].addr == addr)
			break;
	slot = &s->tab[j];
	if (!slot->off) {
		if ((s->tab_used + 1) * 2 > s->tab_size) {
			if (rehash(s) < 0)
				return -ENOMEM;
			return inflame_symbolize_addr(s, addr, 0, names);
		}
		off = s->pool_len;
		n = resolve(s, addr);
		if (n < 0) {
			s->pool_len = off;
			return n;
		}
		slot->addr = addr;
		slot->off = (uint32_t)off + 1;
		slot->n = (uint32_t)n;
		s->tab_used++;
	}
	p = s->pool + slot->off - 1;
	for (uint32_t i = 0; i < slot->n; i++) {
		names[i] = p;
		p += strlen(p) + 1;
	}
	return (int)slot->n;
}

uint64_t inflame_symbolize_mismatches(const struct inflame_symbolizer *s)
{
	return s->nmismatch;
}

const char *inflame_symbolize_mismatch_path(const struct inflame_symbolizer *s, uint64_t i)
{
	return i < s->nmismatch ? s->mismatch[i] : NULL;
}
