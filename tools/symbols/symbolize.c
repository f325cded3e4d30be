/*
 * The symbolizer. It owns four things: the module table, the per-module name tables, the
 * address cache and a pool of names.
 *
 * The module table is an array in the order modules were added; a lookup scans it from the
 * end so that, where modules of different generations overlap (an object unloaded and another
 * loaded at its place), the later one wins. Each module gets its own libdw session (Dwfl),
 * opened on first use with dwfl_report_elf() at the recorded load bias and the standard
 * offline callbacks (build-id directories, .gnu_debuglink, MiniDebugInfo) over the debug
 * directories; a module that cannot be opened is remembered as such and its addresses are
 * named "[module+0xoffset]". Keeping one session per module means overlapping generations
 * never confuse libdw's own address lookup. An address that no symbol of an opened file names
 * is "[module+0xstart]", start being its function's from the unwind entry covering it.
 *
 * Which file a module is read from is decided by the build-id the dump recorded: the file at
 * the recorded path when its build-id matches, else a file with that build-id in a debug
 * directory (DIR/.build-id/xx/rest.debug, DIR/.build-id/xx/rest, DIR/path.debug, DIR/path),
 * else none: a program rebuilt since the run is "stale", counted, and its frames are offsets
 * rather than the names of another build's functions. The vDSO has no file: it is read from
 * this process's own vDSO when the build-ids match (same kernel build), else named "[vdso]".
 *
 * Names are made readable once per module and address (see clean_name() and best_alias()):
 * symbol versions dropped, one name per address where a library exports aliases, C++ and Rust
 * demangled (libiberty's cplus_demangle), LLVM's ".llvm.N" suffixes dropped. Stripped
 * executables keep two things a reader can still name: PLT stubs ("func@plt", from the
 * relocations of the GOT slots they jump through, x86-64 only) and the entry point ("_start",
 * from e_entry and the range of its unwind entry).
 *
 * The cache is an open-addressing table keyed by the looked-up address (the call site for
 * return addresses), holding an offset into the name pool and a name count; a cached entry's
 * names are stored consecutively in the pool, NUL-terminated, innermost first, followed by the
 * outermost one's symbol when that was demangled (its system name, which the slot points at).
 */
#include "symbols/symbolize.h"
#include "symbols/jitmap.h"
#include "dump_format.h"

#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libiberty/demangle.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum mod_state {
	MOD_UNOPENED = 0,
	MOD_OPEN,
	MOD_FAILED, /* no usable ELF file: names are [module+0xoffset] */
	MOD_PSEUDO, /* [anon] and the like: never opened */
};

/* The preferred name of one address (see best_alias()). */
struct alias {
	uint64_t addr;
	const char *name; /* in libdw's string table, version suffix included */
	size_t len;	  /* without the version suffix */
	int rank;	  /* lower is better: see alias_rank() */
	uint64_t size;	  /* the largest st_size of the symbols at addr */
	uint64_t reach;	  /* the highest end of this and every lower alias's range */
};

/* One PLT stub: [lo, hi) run-time addresses, the name ("func@plt"). */
struct plt {
	uint64_t lo, hi;
	char *name;
};

struct module {
	uint64_t base, lo, hi;
	char *path;
	const char *basename;
	uint8_t *build_id;
	size_t build_id_len;
	enum mod_state state;
	int vdso; /* the vDSO: read from our own when its build-id matches */
	Dwfl *dwfl;
	Dwfl_Module *mod;
	struct alias *aliases; /* by address, one per address */
	size_t naliases;
	int aliases_whole; /* every symbol libdw could name code by is in aliases, sized */
	struct plt *plts;  /* by address */
	size_t nplts;
	uint64_t start_lo, start_hi; /* _start: the entry point's range, run-time */
	uint64_t start_context;	     /* libc's __start_context, run-time; 0: not found */
	uint64_t *fstarts;	     /* functions' starts from .eh_frame_hdr, libdw's, sorted */
	size_t nfstarts;
	/* The recorded load bias less libdw's: libdw places an executable (ET_EXEC) at its link
	 * addresses whatever the bias asked, so the program's own second mapping of one (V8's
	 * builtins in the node binary, next to its generated code) is queried at addr - shift.
	 * 0 for every object the loader loaded. */
	uint64_t shift;
};

struct cache_slot {
	uint64_t addr;
	uint32_t off; /* offset into the pool + 1; 0 = empty slot */
	uint32_t n;
	uint32_t sys; /* the outermost name's mangled symbol: pool offset + 1, 0 = none */
};

struct stale {
	char *path;
	char *build_id; /* hex */
};

struct inflame_symbolizer {
	int inlines;
	char **debug_dirs; /* absolute directories */
	size_t ndebug_dirs;
	char *debuginfo_path; /* libdw's form: ":.debug:DIR:DIR..." */
	Dwfl_Callbacks callbacks;
	struct module *mods;
	size_t nmods, mods_cap;
	struct cache_slot *tab;
	size_t tab_size, tab_used;
	char *pool;
	size_t pool_len, pool_cap;
	struct stale *stale; /* modules whose build-id matches no file */
	size_t nstale, stale_cap;
	char *scratch; /* for cleaning names */
	size_t scratch_cap;
	uint32_t resolved_sys; /* resolve()'s mangled symbol of its last name (cache_slot.sys) */
	struct inflame_jitmap *jit; /* generated code, created on the first entry */
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

/* Splits a colon-separated list into absolute directories (others are ignored: a relative
 * directory would depend on where the reader runs) and builds libdw's search path. */
static int set_debug_dirs(struct inflame_symbolizer *s, const char *list)
{
	size_t len = strlen(list), plen = 0;
	const char *p = list;

	s->debug_dirs = calloc(len / 2 + 1, sizeof(char *));
	s->debuginfo_path = malloc(len + 16);
	if (!s->debug_dirs || !s->debuginfo_path)
		return -ENOMEM;
	/* "" = the file's own directory, ".debug" = its .debug subdirectory (debuglink). */
	plen = (size_t)sprintf(s->debuginfo_path, ":.debug");
	while (*p) {
		const char *colon = strchr(p, ':');
		size_t full = colon ? (size_t)(colon - p) : strlen(p), n = full;

		while (n > 1 && p[n - 1] == '/')
			n--;
		if (n && p[0] == '/') {
			s->debug_dirs[s->ndebug_dirs] = strndup(p, n);
			if (!s->debug_dirs[s->ndebug_dirs])
				return -ENOMEM;
			s->ndebug_dirs++;
			s->debuginfo_path[plen++] = ':';
			memcpy(s->debuginfo_path + plen, p, n);
			plen += n;
		}
		p += full;
		if (*p == ':')
			p++;
	}
	s->debuginfo_path[plen] = '\0';
	return 0;
}

struct inflame_symbolizer *inflame_symbolize_new(int inlines, const char *debug_dirs)
{
	struct inflame_symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	elf_version(EV_CURRENT);
	s->inlines = inlines;
	s->tab_size = 1024;
	s->tab = calloc(s->tab_size, sizeof(*s->tab));
	if (!s->tab ||
	    set_debug_dirs(s, debug_dirs ? debug_dirs : INFLAME_SYMBOLIZE_DEBUG_DIRS) < 0) {
		inflame_symbolize_free(s);
		return NULL;
	}
	s->callbacks = (Dwfl_Callbacks){
	    .find_elf = dwfl_build_id_find_elf,
	    .find_debuginfo = dwfl_standard_find_debuginfo,
	    .section_address = dwfl_offline_section_address,
	    .debuginfo_path = &s->debuginfo_path,
	};
	return s;
}

void inflame_symbolize_free(struct inflame_symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nmods; i++) {
		struct module *m = &s->mods[i];

		for (size_t j = 0; j < m->nplts; j++)
			free(m->plts[j].name);
		free(m->plts);
		free(m->fstarts);
		free(m->aliases);
		if (m->dwfl)
			dwfl_end(m->dwfl);
		free(m->path);
		free(m->build_id);
	}
	for (size_t i = 0; i < s->nstale; i++) {
		free(s->stale[i].path);
		free(s->stale[i].build_id);
	}
	for (size_t i = 0; i < s->ndebug_dirs; i++)
		free(s->debug_dirs[i]);
	free(s->debug_dirs);
	free(s->debuginfo_path);
	inflame_jitmap_free(s->jit);
	free(s->stale);
	free(s->mods);
	free(s->tab);
	free(s->pool);
	free(s->scratch);
	free(s);
}

static int is_vdso(const char *path)
{
	return !strcmp(path, "[vdso]") || !strncmp(path, "linux-vdso", 10) ||
	       !strncmp(path, "linux-gate", 10);
}

static int is_pseudo(const char *path)
{
	return path[0] == '[' || path[0] == '\0' || is_vdso(path);
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
	m->vdso = is_vdso(m->path);
	if (is_pseudo(m->path) && !m->vdso)
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

static void hex(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

static void note_stale(struct inflame_symbolizer *s, const struct module *m)
{
	char *path = strdup(m->path), *bid = malloc(2 * m->build_id_len + 1);

	if (!path || !bid ||
	    grow((void **)&s->stale, &s->stale_cap, s->nstale + 1, sizeof(*s->stale)) < 0) {
		free(path);
		free(bid);
		return;
	}
	hex(bid, m->build_id, m->build_id_len);
	s->stale[s->nstale++] = (struct stale){path, bid};
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

/* Does the ELF file at path carry the module's build-id? */
static int has_build_id(const struct module *m, const char *path)
{
	const void *bits;
	ssize_t n = -1;
	int fd;
	Elf *elf;

	if (!is_regular_file(path))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf)
		n = dwelf_elf_gnu_build_id(elf, &bits);
	if (n != (ssize_t)m->build_id_len || memcmp(bits, m->build_id, m->build_id_len) != 0)
		n = -1;
	elf_end(elf);
	close(fd);
	return n > 0;
}

/*
 * Finds the file to read module m from: its recorded path when the build-ids agree (or none
 * was recorded), else a file with its build-id in a debug directory. Writes it to out and
 * returns 1, or returns 0 when there is none (and the recorded file is another build: stale
 * set) or -1 when the recorded path names no file at all.
 */
static int find_file(const struct inflame_symbolizer *s, const struct module *m, char *out,
		     size_t outlen, int *stale)
{
	char id[2 * 64 + 1];
	int exists = is_regular_file(m->path);

	*stale = 0;
	if (exists && (!m->build_id_len || has_build_id(m, m->path))) {
		snprintf(out, outlen, "%s", m->path);
		return 1;
	}
	if (!m->build_id_len || m->build_id_len > 64)
		return exists ? 1 : -1;
	hex(id, m->build_id, m->build_id_len);
	for (size_t i = 0; i < s->ndebug_dirs; i++) {
		const char *d = s->debug_dirs[i];
		const char *rel = m->path[0] == '/' ? m->path : NULL;
		char cand[4][4096];
		int nc = 0;

		snprintf(cand[nc++], sizeof(cand[0]), "%s/.build-id/%.2s/%s.debug", d, id, id + 2);
		snprintf(cand[nc++], sizeof(cand[0]), "%s/.build-id/%.2s/%s", d, id, id + 2);
		if (rel) {
			snprintf(cand[nc++], sizeof(cand[0]), "%s%s.debug", d, rel);
			snprintf(cand[nc++], sizeof(cand[0]), "%s%s", d, rel);
		}
		for (int k = 0; k < nc; k++) {
			size_t cl = strlen(cand[k]);

			if (cl < outlen && has_build_id(m, cand[k])) {
				memcpy(out, cand[k], cl + 1);
				return 1;
			}
		}
	}
	*stale = exists;
	return exists ? 0 : -1;
}

/* Writes this process's vDSO image to an anonymous file when its build-id is the module's
 * (the same kernel build); returns the descriptor or -1. */
static int own_vdso(const struct module *m)
{
	const unsigned char *img = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	const GElf_Ehdr *eh = (const GElf_Ehdr *)img;
	const void *bits;
	size_t size;
	ssize_t n;
	Elf *elf;
	int fd;

	if (!img || !m->build_id_len || memcmp(img, ELFMAG, SELFMAG) != 0 ||
	    img[EI_CLASS] != ELFCLASS64)
		return -1;
	/* The image ends with its section headers (they are mapped: the vDSO is one blob). */
	size = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	if (eh->e_shoff == 0 || size > (1u << 20))
		return -1;
	elf = elf_memory((char *)img, size);
	n = elf ? dwelf_elf_gnu_build_id(elf, &bits) : -1;
	if (n != (ssize_t)m->build_id_len || memcmp(bits, m->build_id, m->build_id_len) != 0)
		n = -1;
	elf_end(elf);
	if (n < 0)
		return -1;
	fd = memfd_create("inflame-vdso", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, img, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Better aliases rank lower. The rule is perf's, so that both name a function alike, with two
 * changes. A symbol of a non-default version ("cfree@GLIBC_2.2.5", kept for programs linked
 * long ago; only a full symbol table shows versions) loses to the others. And global beats
 * weak beats local, where perf puts local before weak: a library's local aliases are its
 * internal names (glibc's "__GI___wait4" for the public, weak "wait4"). Then: a symbol with a
 * size, the fewest leading underscores; ties go to the longest name (versions left out), then
 * the first in byte order.
 */
static int alias_rank(const GElf_Sym *sym, const char *name)
{
	int bind = GELF_ST_BIND(sym->st_info);
	const char *at = strchr(name, '@');
	int r = at && at[1] != '@' ? 10000 : 0;
	int u = 0;

	r += sym->st_size ? 0 : 1000;
	r += bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 100 : 200;
	while (name[u] == '_' && u < 9)
		u++;
	return r + 10 * u;
}

static int cmp_alias(const void *a, const void *b)
{
	const struct alias *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank - y->rank;
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	c = strncmp(x->name, y->name, n);
	return c;
}

/* Whether a symbol that is not a sized function lies in code, where libdw's search could name
 * an address by it (a label, a sizeless symbol): section, file and TLS symbols never do. */
static int in_code(Elf *elf, GElf_Word shndx, int type)
{
	GElf_Shdr shdr;
	Elf_Scn *scn;

	if (type == STT_SECTION || type == STT_FILE || type == STT_TLS)
		return 0;
	if (shndx == SHN_UNDEF || shndx == SHN_ABS)
		return 0;
	scn = elf ? elf_getscn(elf, shndx) : NULL;
	if (!scn || !gelf_getshdr(scn, &shdr))
		return 1;
	return (shdr.sh_flags & SHF_EXECINSTR) != 0;
}

/* Builds the module's alias table: its function symbols by address, the best name of each
 * address kept. Out of memory leaves it empty (names then come from libdw's own choice). */
static void load_aliases(struct module *m)
{
	int nsyms = dwfl_module_getsymtab(m->mod);
	size_t n = 0;

	if (nsyms <= 0)
		return;
	m->aliases = malloc((size_t)nsyms * sizeof(*m->aliases));
	if (!m->aliases)
		return;
	m->aliases_whole = 1;
	for (int i = 1; i < nsyms; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx = SHN_UNDEF;
		Elf *elf = NULL;
		const char *name =
		    dwfl_module_getsym_info(m->mod, i, &sym, &addr, &shndx, &elf, NULL);
		int type = GELF_ST_TYPE(sym.st_info);

		if (!name || !name[0] || !addr || sym.st_shndx == SHN_UNDEF)
			continue;
		if (type != STT_FUNC && type != STT_GNU_IFUNC) {
			if (in_code(elf, shndx, type))
				m->aliases_whole = 0;
			continue;
		}
		if (!sym.st_size)
			m->aliases_whole = 0;
		m->aliases[n++] = (struct alias){
		    addr, name, strcspn(name, "@"), alias_rank(&sym, name), sym.st_size, 0};
	}
	qsort(m->aliases, n, sizeof(*m->aliases), cmp_alias);
	/* One per address: the first of each run is the best. */
	m->naliases = 0;
	for (size_t i = 0; i < n; i++) {
		struct alias *last = m->naliases ? &m->aliases[m->naliases - 1] : NULL;

		if (last && last->addr == m->aliases[i].addr) {
			if (m->aliases[i].size > last->size)
				last->size = m->aliases[i].size;
			continue;
		}
		m->aliases[m->naliases++] = m->aliases[i];
	}
	for (size_t i = 0; i < m->naliases; i++) {
		struct alias *a = &m->aliases[i];
		uint64_t end = a->addr + a->size;

		a->reach = i && a[-1].reach > end ? a[-1].reach : end;
	}
}

/* How many aliases start below addr (the aliases are sorted by address). */
static size_t aliases_below(const struct module *m, uint64_t addr)
{
	size_t lo = 0, hi = m->naliases;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->aliases[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The function whose sized symbol contains addr, by binary search of the alias table, or NULL
 * when the nearest symbol below addr has no size or ends before it: then libdw's own search
 * (dwfl_module_addrinfo, a linear scan of the symbol table per call, which took most of the
 * reader's time on big C++ programs) decides, as it always did. *unsure is 0 when libdw would
 * find nothing either: the table holds every symbol that could name code (aliases_whole) and
 * no range of a lower function reaches addr. */
static const struct alias *containing_alias(const struct module *m, uint64_t addr, int *unsure)
{
	size_t lo = addr == UINT64_MAX ? m->naliases : aliases_below(m, addr + 1);

	*unsure = !m->aliases_whole;
	if (!lo)
		return NULL;
	const struct alias *a = &m->aliases[lo - 1];

	if (a->size && addr - a->addr < a->size)
		return a;
	/* A lower function's range reaches past addr: nested ranges, libdw decides. */
	if (a->reach > addr)
		*unsure = 1;
	return NULL;
}

/* The best name of the function symbol at addr, or NULL when the table has none. */
static const struct alias *best_alias(const struct module *m, uint64_t addr)
{
	size_t i = aliases_below(m, addr);

	return i < m->naliases && m->aliases[i].addr == addr ? &m->aliases[i] : NULL;
}

/* A GOT slot and the symbol it is relocated to. */
struct slot {
	uint64_t addr;
	const char *name;
};

static int cmp_slot(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	return (x->addr > y->addr) - (x->addr < y->addr);
}

static int cmp_plt(const void *a, const void *b)
{
	const struct plt *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

/* The GOT slots named by the dynamic relocations (JUMP_SLOT and GLOB_DAT) of elf. */
static struct slot *got_slots(Elf *elf, size_t *np)
{
	struct slot *v = NULL;
	size_t n = 0, cap = 0;
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh, symsh;
		Elf_Scn *symscn;
		Elf_Data *data, *symdata;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize)
			continue;
		symscn = elf_getscn(elf, sh.sh_link);
		if (!symscn || !gelf_getshdr(symscn, &symsh) || symsh.sh_type != SHT_DYNSYM)
			continue;
		data = elf_getdata(scn, NULL);
		symdata = elf_getdata(symscn, NULL);
		if (!data || !symdata)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela r;
			GElf_Sym sym;
			const char *name;
			int type;

			if (!gelf_getrela(data, (int)i, &r))
				break;
			type = (int)GELF_R_TYPE(r.r_info);
			if ((type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) ||
			    !GELF_R_SYM(r.r_info) ||
			    !gelf_getsym(symdata, (int)GELF_R_SYM(r.r_info), &sym))
				continue;
			name = elf_strptr(elf, symsh.sh_link, sym.st_name);
			if (!name || !name[0])
				continue;
			if (grow((void **)&v, &cap, n + 1, sizeof(*v)) < 0)
				goto out;
			v[n++] = (struct slot){r.r_offset, name};
		}
	}
out:
	if (n)
		qsort(v, n, sizeof(*v), cmp_slot);
	*np = n;
	return v;
}

static const char *slot_name(const struct slot *v, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo].addr == addr ? v[lo].name : NULL;
}

/*
 * Names the PLT stubs of an x86-64 module: each entry of .plt, .plt.sec and .plt.got that
 * jumps through a GOT slot (jmp *disp32(%rip), opcode ff 25, possibly after endbr64 or a bnd
 * prefix) is named after the symbol that slot is relocated to. Entries that do not (PLT0, the
 * lazy-binding halves of .plt with .plt.sec beside it) stay unnamed. Out of memory leaves the
 * table as far as it got.
 */
static void load_plts(struct module *m, Elf *elf, GElf_Addr bias)
{
	size_t nslots, cap = 0, shstrndx;
	struct slot *slots;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;

	if (!gelf_getehdr(elf, &eh) || eh.e_machine != EM_X86_64 ||
	    elf_getshdrstrndx(elf, &shstrndx) < 0)
		return;
	slots = got_slots(elf, &nslots);
	if (!nslots)
		goto out;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *sname;
		Elf_Data *data;
		size_t es;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR))
			continue;
		sname = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!sname || strncmp(sname, ".plt", 4) != 0)
			continue;
		data = elf_getdata(scn, NULL);
		es = sh.sh_entsize ? sh.sh_entsize : 16;
		if (!data || !data->d_buf || data->d_size < es || es > 64)
			continue;
		for (size_t off = 0; off + es <= data->d_size; off += es) {
			const unsigned char *e = (const unsigned char *)data->d_buf + off;

			for (size_t p = 0; p + 6 <= es; p++) {
				int32_t disp;
				const char *name;
				char *full;

				if (e[p] != 0xff || e[p + 1] != 0x25)
					continue;
				memcpy(&disp, e + p + 2, 4);
				name = slot_name(slots, nslots,
						 sh.sh_addr + off + p + 6 + (int64_t)disp);
				if (!name)
					break;
				if (grow((void **)&m->plts, &cap, m->nplts + 1, sizeof(*m->plts)) <
					0 ||
				    !(full = malloc(strcspn(name, "@") + 5)))
					goto out;
				sprintf(full, "%.*s@plt", (int)strcspn(name, "@"), name);
				m->plts[m->nplts++] = (struct plt){
				    sh.sh_addr + off + bias, sh.sh_addr + off + es + bias, full};
				break;
			}
		}
	}
	qsort(m->plts, m->nplts, sizeof(*m->plts), cmp_plt);
out:
	free(slots);
}

static const char *plt_name(const struct module *m, uint64_t addr)
{
	size_t lo = 0, hi = m->nplts;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->plts[mid].hi <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->nplts && m->plts[lo].lo <= addr ? m->plts[lo].name : NULL;
}

/* The entry point's range, for naming "_start" where no symbol does (stripped programs): from
 * the unwind entry (FDE) that covers e_entry, or the entry address alone without one. */
static void load_entry(struct module *m, Elf *elf, GElf_Addr bias)
{
	GElf_Ehdr eh;
	Dwarf_Addr cbias, start, end;
	Dwarf_CFI *cfi;
	Dwarf_Frame *frame = NULL;

	if (!gelf_getehdr(elf, &eh) || (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) || !eh.e_entry)
		return;
	m->start_lo = eh.e_entry + bias;
	m->start_hi = m->start_lo + 1;
	cfi = dwfl_module_eh_cfi(m->mod, &cbias);
	if (cfi && dwarf_cfi_addrframe(cfi, eh.e_entry + bias - cbias, &frame) == 0 &&
	    dwarf_frame_info(frame, &start, &end, NULL) >= 0 && start + cbias == m->start_lo &&
	    end > start)
		m->start_hi = end + cbias;
	free(frame);
}

/*
 * The root of every stack makecontext() prepares: glibc's __start_context, where the
 * coroutine's function returns to (its address is the return address makecontext puts under
 * it). It is not among libc's dynamic symbols, so a stripped libc showed that root as
 * "[libc.so.6+0x519bf]" (the call site, a byte before it). On x86-64 it begins with the same
 * instructions in every glibc: movq %rbx, %rsp; movq (%rsp), %rdi; testq %rdi, %rdi (the next
 * context, whose absence ends the thread). Found by those bytes in libc's executable sections.
 */
static void load_start_context(struct module *m, Elf *elf, GElf_Addr bias)
{
	static const uint8_t head[] = {0x48, 0x89, 0xdc, 0x48, 0x8b, 0x3c, 0x24, 0x48, 0x85, 0xff};
	GElf_Ehdr eh;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	if (strncmp(m->basename, "libc.so", 7) || !gelf_getehdr(elf, &eh) ||
	    eh.e_machine != EM_X86_64)
		return;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		Elf_Data *d;
		const uint8_t *at;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size < sizeof(head))
			continue;
		at = memmem(d->d_buf, d->d_size, head, sizeof(head));
		if (at) {
			m->start_context =
			    sh.sh_addr + (uint64_t)(at - (const uint8_t *)d->d_buf) + bias;
			return;
		}
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The functions' starts, from the binary search table of .eh_frame_hdr (PT_GNU_EH_FRAME):
 * version 1, the table as pairs of 4-byte signed offsets from the header's own address
 * (DW_EH_PE_datarel | DW_EH_PE_sdata4), as GNU ld and lld write it. Any other layout leaves
 * the table empty, and unnamed addresses keep their own offsets.
 */
static void load_fstarts(struct module *m, Elf *elf, GElf_Addr bias)
{
	size_t nph;
	GElf_Phdr ph;
	Elf_Data *d = NULL;
	const uint8_t *p;
	uint32_t count;
	int32_t v;

	if (elf_getphdrnum(elf, &nph) < 0)
		return;
	for (size_t i = 0; i < nph && !d; i++)
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_GNU_EH_FRAME)
			d = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz,
						 ELF_T_BYTE);
	/* version, eh_frame_ptr encoding (4 bytes: pcrel or absolute sdata4/udata4), count
	 * encoding udata4, table encoding datarel sdata4 */
	if (!d || d->d_size < 12)
		return;
	p = d->d_buf;
	if (p[0] != 1 || (p[1] & 0x0f) != 0x0b || p[2] != 0x03 || p[3] != 0x3b)
		return;
	memcpy(&count, p + 8, 4);
	if (count == 0 || count > (d->d_size - 12) / 8)
		return;
	m->fstarts = malloc(count * sizeof(*m->fstarts));
	if (!m->fstarts)
		return;
	for (uint32_t i = 0; i < count; i++) {
		memcpy(&v, p + 12 + 8 * (size_t)i, 4);
		m->fstarts[i] = ph.p_vaddr + (uint64_t)(int64_t)v + bias;
	}
	m->nfstarts = count;
	qsort(m->fstarts, m->nfstarts, sizeof(*m->fstarts), cmp_u64);
}

/* Opens the module's ELF file (see find_file()) in its own libdw session, and the tables
 * built from it. */
static void open_module(struct inflame_symbolizer *s, struct module *m)
{
	char file[4096];
	int stale, fd = -1;
	GElf_Addr bias;
	Elf *elf;

	m->state = MOD_FAILED;
	if (m->vdso) {
		fd = own_vdso(m);
		if (fd < 0)
			return;
		snprintf(file, sizeof(file), "[vdso]");
	} else if (find_file(s, m, file, sizeof(file), &stale) != 1) {
		if (stale)
			note_stale(s, m);
		return;
	}
	m->dwfl = dwfl_begin(&s->callbacks);
	if (!m->dwfl) {
		if (fd >= 0)
			close(fd);
		return;
	}
	dwfl_report_begin(m->dwfl);
	m->mod = dwfl_report_elf(m->dwfl, m->basename, file, fd, m->base, false);
	dwfl_report_end(m->dwfl, NULL, NULL);
	if (!m->mod) {
		if (fd >= 0)
			close(fd);
		dwfl_end(m->dwfl);
		m->dwfl = NULL;
		return;
	}
	m->state = MOD_OPEN;
	load_aliases(m);
	elf = dwfl_module_getelf(m->mod, &bias);
	if (elf)
		m->shift = m->base - bias;
	if (elf) {
		load_plts(m, elf, bias);
		load_entry(m, elf, bias);
		load_start_context(m, elf, bias);
		load_fstarts(m, elf, bias);
	}
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

/*
 * The length of name once made readable, before demangling: a symbol version ("@GLIBC_2.2.5",
 * "@@GLIBC_2.34") and LLVM's ".llvm.<digits>" suffix (a hash ThinLTO adds to promoted local
 * names) are not part of the function's name. GCC's ".cold", ".part.N", ".isra.N" and
 * ".constprop.N" are kept: they name separate code, as perf shows them.
 */
static size_t clean_len(const char *name)
{
	size_t n = strcspn(name, "@");
	const char *llvm;

	if (n == 0)
		n = strlen(name);
	for (llvm = name; (llvm = strstr(llvm, ".llvm.")) && (size_t)(llvm - name) < n; llvm++) {
		const char *d = llvm + 6;

		while (*d >= '0' && *d <= '9')
			d++;
		if (d > llvm + 6 && (size_t)(d - name) == n) {
			n = (size_t)(llvm - name);
			break;
		}
	}
	return n;
}

/* Appends a symbol name as users read it: cleaned (clean_len()), then demangled when it is a
 * C++ or Rust (legacy or v0) name. Rust's legacy hash ("::h0123456789abcdef") is dropped. */
static int pool_add_symbol(struct inflame_symbolizer *s, const char *name)
{
	size_t n = clean_len(name);
	char *dem = NULL;
	int err;

	if (n > 2 && name[0] == '_' && (name[1] == 'Z' || name[1] == 'R')) {
		if (grow((void **)&s->scratch, &s->scratch_cap, n + 1, 1) < 0)
			return -ENOMEM;
		memcpy(s->scratch, name, n);
		s->scratch[n] = '\0';
		dem = cplus_demangle(s->scratch, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
	}
	if (dem)
		err = pool_add(s, dem, strlen(dem));
	else
		err = pool_add(s, name, n);
	free(dem);
	return err;
}

/* pool_add_symbol(), then the symbol itself (cleaned) after it when it was demangled, as
 * s->resolved_sys: the system name inflame_symbolize_where() reports. */
static int pool_add_symbol_sys(struct inflame_symbolizer *s, const char *name)
{
	size_t start = s->pool_len, n = clean_len(name);

	if (pool_add_symbol(s, name) < 0)
		return -ENOMEM;
	if (s->pool_len - start - 1 == n && !memcmp(s->pool + start, name, n))
		return 0;
	s->resolved_sys = (uint32_t)s->pool_len + 1;
	return pool_add(s, name, n);
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
 * The scopes containing pc, innermost first: every function inlined there, the function they
 * were inlined into, and the compile unit. dwarf_getscopes() alone goes on from the innermost
 * inlined call to the scopes of that function's abstract definition, which skips the outer
 * inlined calls and the containing function; dwarf_getscopes_die() on that call gives its
 * concrete parents. Lexical blocks inside the innermost call are left out: they name nothing.
 * Returns the count (0 when none, -1 on error) with *scopes malloc'd.
 */
static int concrete_scopes(Dwarf_Die *cudie, Dwarf_Addr pc, Dwarf_Die **scopes)
{
	Dwarf_Die *inner = NULL, *outer = NULL;
	int n = dwarf_getscopes(cudie, pc, &inner);

	for (int i = 0; i < n; i++) {
		int m;

		if (dwarf_tag(&inner[i]) != DW_TAG_inlined_subroutine)
			continue;
		m = dwarf_getscopes_die(&inner[i], &outer);
		if (m > 0) {
			free(inner);
			*scopes = outer;
			return m;
		}
		free(outer);
		break;
	}
	*scopes = inner;
	return n;
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
	nscopes = concrete_scopes(cudie, addr - bias, &scopes);
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

/* Names addr from the module's symbols (the best alias of the function containing it, with
 * the functions inlined there first), its PLT stubs or its entry point. Returns the number of
 * names added, 0 when none applies, or -ENOMEM. */
static int resolve_in(struct inflame_symbolizer *s, struct module *m, uint64_t addr)
{
	const struct alias *best;
	const char *name;
	GElf_Off off;
	GElf_Sym sym;
	int n = 0, unsure;

	name = plt_name(m, addr);
	if (name)
		return pool_add(s, name, strlen(name)) < 0 ? -ENOMEM : 1;
	/* (the call site of a return address into __start_context: a byte before it) */
	if (m->start_context && addr + 1 == m->start_context)
		return pool_add(s, "__start_context", 15) < 0 ? -ENOMEM : 1;
	best = containing_alias(m, addr, &unsure);
	if (best) {
		name = best->name;
		goto named;
	}
	/* No sized function holds addr, and no other symbol could: libdw would find none. */
	if (!unsure && m->naliases)
		name = NULL;
	else
		name = dwfl_module_addrinfo(m->mod, addr, &off, &sym, NULL, NULL, NULL);
	if (!name || !name[0]) {
		if (addr >= m->start_lo && addr < m->start_hi)
			return pool_add(s, "_start", 6) < 0 ? -ENOMEM : 1;
		return 0;
	}
	best = best_alias(m, addr - off);
	if (best)
		name = best->name;
named:
	if (s->inlines) {
		n = add_inlines(s, m, addr);
		if (n < 0)
			return n;
	}
	return pool_add_symbol_sys(s, name) < 0 ? -ENOMEM : n + 1;
}

/*
 * The start of the function containing addr: the last function start at or below it in the
 * search table of .eh_frame_hdr, when an unwind entry (FDE) covers addr at all. addr itself
 * otherwise. A stripped program's samples in one function then share one frame,
 * "[module+0xstart]", as they would share its name, instead of one frame per instruction and
 * per call site.
 */
static uint64_t function_start(struct module *m, uint64_t addr)
{
	size_t lo = 0, hi = m->nfstarts;
	Dwarf_Frame *frame = NULL;
	Dwarf_Addr cbias;
	Dwarf_CFI *cfi;
	int covered;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->fstarts[mid] <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return addr;
	cfi = dwfl_module_eh_cfi(m->mod, &cbias);
	covered = cfi && addr >= cbias && dwarf_cfi_addrframe(cfi, addr - cbias, &frame) == 0;
	free(frame);
	return covered ? m->fstarts[lo - 1] : addr;
}

/* Resolves addr into the pool; returns the number of names added, or -ENOMEM. */
static int resolve(struct inflame_symbolizer *s, uint64_t addr)
{
	struct module *m = find_module(s, addr);
	char buf[64];
	size_t jlen;
	int n, len;

	/* The kernel's time whose caller is unknown (dump_format.h): a name, not an address. */
	if (addr == INFLAME_FRAME_KERNEL)
		return pool_add(s, INFLAME_KERNEL_FRAME_NAME, strlen(INFLAME_KERNEL_FRAME_NAME)) < 0
			   ? -ENOMEM
			   : 1;
	if (!m) {
		const char *jit = s->jit ? inflame_jitmap_lookup(s->jit, addr, &jlen) : NULL;

		if (jit)
			return pool_add(s, jit, jlen) < 0 ? -ENOMEM : 1;
		len = snprintf(buf, sizeof(buf), "0x%" PRIx64, addr);
		return pool_add(s, buf, (size_t)len) < 0 ? -ENOMEM : 1;
	}
	/* The profiler's own frames (the thread start trampoline, allocation hooks) are not the
	 * program's: they are left out, and their time goes to the caller. */
	if (!strncmp(m->basename, "libinflame", 10))
		return 0;
	if (m->state == MOD_UNOPENED)
		open_module(s, m);
	if (m->state == MOD_OPEN) {
		n = resolve_in(s, m, addr - m->shift);
		if (n != 0)
			return n;
	}
	/* The vDSO of another kernel: its functions are unknown here. */
	if (m->vdso)
		return pool_add(s, "[vdso]", 6) < 0 ? -ENOMEM : 1;
	/* An unnamed address of a file that was read is named by the start of its function. */
	if (m->state == MOD_OPEN)
		addr = function_start(m, addr - m->shift) + m->shift;
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

int inflame_symbolize_add_jit(struct inflame_symbolizer *s, uint64_t start, uint64_t size,
			      const char *name, size_t n)
{
	if (!s->jit && !(s->jit = inflame_jitmap_new()))
		return -ENOMEM;
	return inflame_jitmap_add(s->jit, start, size, name, n);
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
		s->resolved_sys = 0;
		n = resolve(s, addr);
		if (n < 0) {
			s->pool_len = off;
			return n;
		}
		slot->addr = addr;
		slot->off = (uint32_t)off + 1;
		slot->n = (uint32_t)n;
		slot->sys = n > 0 ? s->resolved_sys : 0;
		s->tab_used++;
	}
	if (slot->n == 0)
		return 0; /* (the pool may not exist yet) */
	p = s->pool + slot->off - 1;
	for (uint32_t i = 0; i < slot->n; i++) {
		names[i] = p;
		p += strlen(p) + 1;
	}
	return (int)slot->n;
}

/* The file and line of a line-table entry, or of a DIE's call site attributes. */
static void src_of_line(Dwfl_Line *ln, struct inflame_symbolize_where *out)
{
	int line = 0;
	const char *f = ln ? dwfl_lineinfo(ln, NULL, &line, NULL, NULL, NULL) : NULL;

	if (f && line > 0) {
		out->file = f;
		out->line = (uint64_t)line;
	}
}

static void src_of_call(Dwarf_Die *cu, Dwarf_Die *die, struct inflame_symbolize_where *out)
{
	Dwarf_Attribute attr;
	Dwarf_Word fileno = 0, line = 0;
	Dwarf_Files *files;
	size_t nfiles;
	const char *f;

	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &fileno) != 0 ||
	    dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &line) != 0 || !line)
		return;
	if (dwarf_getsrcfiles(cu, &files, &nfiles) != 0 || fileno >= nfiles)
		return;
	f = dwarf_filesrc(files, fileno, NULL, NULL);
	if (f) {
		out->file = f;
		out->line = line;
	}
}

/*
 * The system name of an inlined function shown as shown: its linkage name when that is a
 * mangled name the pool holds demangled, else "" (the name is the symbol's own).
 */
static const char *system_name(const char *symbol, const char *shown)
{
	size_t n;

	if (!symbol)
		return "";
	n = clean_len(symbol);
	if (n <= 2 || symbol[0] != '_' || (symbol[1] != 'Z' && symbol[1] != 'R') ||
	    (strlen(shown) == n && !memcmp(shown, symbol, n)) || symbol[n] != '\0')
		return "";
	return symbol;
}

/* The mangled symbol of addr's outermost name (cache_slot.sys), or "". */
static const char *cached_system_name(const struct inflame_symbolizer *s, uint64_t addr)
{
	size_t j;

	for (j = hash_addr(addr) & (s->tab_size - 1); s->tab[j].off;
	     j = (j + 1) & (s->tab_size - 1))
		if (s->tab[j].addr == addr)
			return s->tab[j].sys ? s->pool + s->tab[j].sys - 1 : "";
	return "";
}

/* The line its declaration starts at, of a subprogram or (through its abstract origin) of an
 * inlined subroutine; 0 when the debug information does not say. */
static uint64_t decl_line(Dwarf_Die *die)
{
	int line = 0;

	return dwarf_decl_line(die, &line) == 0 && line > 0 ? (uint64_t)line : 0;
}

int inflame_symbolize_where(struct inflame_symbolizer *s, uint64_t addr, int is_return, int idx,
			    struct inflame_symbolize_where *out)
{
	const char *names[INFLAME_SYMBOLIZE_MAX_NAMES];
	int n = inflame_symbolize_addr(s, addr, is_return, names);
	Dwarf_Die *cudie, *scopes = NULL;
	Dwarf_Addr bias;
	struct module *m;
	int nscopes, seen = 0;

	memset(out, 0, sizeof(*out));
	out->module = out->file = out->system_name = "";
	if (n < 0)
		return n;
	if (idx < 0 || idx >= n)
		return -ENOENT;
	if (is_return && addr > 0)
		addr--;
	out->inlined = idx < n - 1;
	m = find_module(s, addr);
	if (!m)
		return 0;
	out->module = m->path;
	out->base = m->base;
	out->lo = m->lo;
	out->hi = m->hi;
	out->build_id = m->build_id;
	out->build_id_len = m->build_id_len;
	if (m->state != MOD_OPEN)
		return 0;
	addr -= m->shift;
	if (idx == 0)
		src_of_line(dwfl_module_getsrc(m->mod, addr), out);
	if (idx == n - 1)
		out->system_name = cached_system_name(s, addr + m->shift);
	cudie = dwfl_module_addrdie(m->mod, addr, &bias);
	if (!cudie)
		return 0;
	nscopes = concrete_scopes(cudie, addr - bias, &scopes);
	for (int i = 0; i < nscopes; i++) {
		int tag = dwarf_tag(&scopes[i]);

		if (idx == n - 1 && tag == DW_TAG_subprogram) {
			out->start_line = decl_line(&scopes[i]);
			break;
		}
		if (!s->inlines || tag != DW_TAG_inlined_subroutine || !inline_name(&scopes[i]))
			continue;
		/* The inlined scopes, innermost first, as add_inlines() counted them: the
		 * (idx + 1)-th is names[idx], called from names[idx + 1] at its call site. */
		if (++seen == idx)
			src_of_call(cudie, &scopes[i], out);
		if (seen == idx + 1) {
			Dwarf_Attribute attr;
			const char *linkage = dwarf_formstring(
			    dwarf_attr_integrate(&scopes[i], DW_AT_linkage_name, &attr));

			if (!linkage)
				linkage = dwarf_formstring(dwarf_attr_integrate(
				    &scopes[i], DW_AT_MIPS_linkage_name, &attr));
			out->start_line = decl_line(&scopes[i]);
			out->system_name = system_name(linkage, names[idx]);
			break;
		}
	}
	free(scopes);
	return 0;
}

uint64_t inflame_symbolize_mismatches(const struct inflame_symbolizer *s)
{
	return s->nstale;
}

const char *inflame_symbolize_mismatch_path(const struct inflame_symbolizer *s, uint64_t i)
{
	return i < s->nstale ? s->stale[i].path : NULL;
}

const char *inflame_symbolize_mismatch_build_id(const struct inflame_symbolizer *s, uint64_t i)
{
	return i < s->nstale ? s->stale[i].build_id : NULL;
}
