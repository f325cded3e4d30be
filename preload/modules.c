/*
 * The loaded-object map. The writer thread owns the module list (an mmap'd array and a
 * string buffer for paths); it rebuilds the list with dl_iterate_phdr when the loader's
 * dlpi_adds/dlpi_subs counters moved. The executable ranges derived from it are published to
 * signal handlers in two copies of a sorted array under a sequence counter (a latch: the writer
 * rewrites the copy readers are not using), so a handler reads a consistent table, the new one
 * or the one before, even while the writer publishes. Each range carries what
 * INFLAME_UNWIND=auto needs to know about its object, decided here in the writer thread
 * whenever the map is rebuilt (an object was loaded or unloaded), never per sample: whether
 * its code was built with frame pointers (fpscan.h, a few hundred reads of the object's
 * mapped memory) and whether it is the dynamic loader (where libunwind must never start).
 *
 * The same map answers the unwinder's one question per frame (inflame_modules_lookup): which
 * object holds this address, and its unwind table (ehframe.h), built here from the object's
 * .eh_frame (or its file's .debug_frame) when the mode asks for one. Tables are kept in a
 * cache by build-id and never unmapped, so a walk that read a pointer to one before its object
 * was closed still reads a table, and an object loaded again costs nothing.
 *
 * The dump's map also lists aliases: executable mappings of an object's file that the program
 * made itself, which no loaded object covers (inflame_modules_add_alias). Readers name their
 * addresses from the file as they do a loaded object's; walks do not use them.
 */
#include "modules.h"

#include "fdhigh.h"
#include "fpscan.h"
#include "layout.h"
#include "log.h"
#include "profiler.h"
#include "tabcache.h"
#include "writer.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <limits.h>
#include <link.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_MODULES 4096
#define MAX_RANGES  4096
#define MAX_ALIASES 64

struct module {
	uintptr_t base, lo, hi;
	size_t path_off, path_len;
	uint8_t build_id[64];
	size_t build_id_len;
	unsigned flags; /* INFLAME_MOD_* */
	const struct inflame_eh_table *tab;
	const uint8_t *hdr, *eh; /* mapped .eh_frame_hdr and .eh_frame, or NULL */
	uint32_t hdr_len;
	size_t eh_len;
	_Atomic int asked; /* a walk needed its table (INFLAME_MOD_WANT) */
	int undecided;	   /* listed without its frame-pointer scan (INFLAME_MODULES_NO_SCAN) */
};

struct range {
	uintptr_t lo, hi, base;
	const struct inflame_eh_table *tab;
	const uint8_t *hdr, *eh;
	uint32_t hdr_len;
	size_t eh_len;
	unsigned flags, mod; /* mod: index in mods */
};

/* Unwind tables by object: build-id (or path) and where its unwind information lies. */
#define MAX_TABLES	 1024
#define TABLES_MAX_BYTES ((uint64_t)256 << 20)
#define TABLE_NOTES_MAX	 16 /* notices about tables with refused rows, per process */
struct tabent {
	uint64_t key, where;
	const struct inflame_eh_table *tab; /* NULL: none could be built */
};
static struct tabent *tabents;
static size_t ntabents;
static enum inflame_unwind tables_mode = INFLAME_UNWIND_FP;
static int tables_eager;	 /* build at load rather than when a walk asks */
static _Atomic int tables_asked; /* some module's asked is set */
static struct inflame_tables_stats tstats;
static unsigned table_notes;

static struct module *mods;
static size_t nmods;
/* The first modules and the two copies of their ranges, while a process lists no more than
 * FIRST_MODULES objects (a short one lists five: the program, the vDSO, inflame, the C library
 * and the loader): among the small variables of .bss that start-up writes anyway, rather than
 * in mappings of their own, whose first pages were three page faults and two mmap calls in every
 * process (issue 11). A process that lists more moves to mappings of MAX_MODULES entries for
 * good (grow). */
#define FIRST_MODULES 6
static struct module mods_first[FIRST_MODULES];
static struct range ranges_first[2][FIRST_MODULES];
static size_t mods_cap;		  /* entries of mods, and of each copy of the ranges */
static int list_full;		  /* list_cb met the end of mods */
static struct range *ranges_next; /* the mapping the ranges move to at the next publish */
static int have_main;		  /* mods[0] is the main program, named by /proc/self/exe */
static struct inflame_buf paths;
static char paths_first[512]; /* (inflame_buf_lend: no mapping of its own for a few paths) */
static unsigned long long last_adds, last_subs;
static int have_counts;
static uint64_t generation;
static int scan_now;	  /* list_cb decides frame pointers (not INFLAME_MODULES_NO_SCAN) */
static size_t nundecided; /* modules listed without that decision */

/* The ranges published for the walks, in two copies (a latch): readers use copy
 * ranges_seq & 1, and the writer rewrites the other one. So a lookup during a publish reads
 * the map as it was rather than missing (a walk that missed took a frame-pointer step in code
 * without frame pointers, and lost frames, whenever the writer was preempted mid-publish). */
static struct range *_Atomic ranges[2];
static _Atomic size_t nranges[2];
static _Atomic unsigned ranges_seq;
/* How many times a lookup reads again when the writer rewrote its copy meanwhile (two
 * publishes during one lookup). */
#define LOOKUP_TRIES 4
static _Atomic int closing;	/* dlcloses in flight */
static _Atomic unsigned closes; /* dlcloses begun, ever (inflame_modules_trust_mark) */
static _Atomic int stale;	/* an object was closed since the last refresh */
/* The dynamic loader's executable range, once known (it is never unloaded). */
static _Atomic uintptr_t loader_lo, loader_hi;

int inflame__real_dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *arg);

struct counts {
	unsigned long long adds, subs;
	int ok;
};

static int counts_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct counts *c = arg;

	if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs)) {
		c->adds = info->dlpi_adds;
		c->subs = info->dlpi_subs;
		c->ok = 1;
	}
	return 1;
}

static void note_build_id(const struct dl_phdr_info *info, const ElfW(Phdr) * ph, struct module *m)
{
	const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
	const uint8_t *end = p + ph->p_memsz;

	while (p + sizeof(ElfW(Nhdr)) <= end) {
		const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
		size_t name = (n->n_namesz + 3) & ~3u, desc = (n->n_descsz + 3) & ~3u;
		const uint8_t *d = p + sizeof(*n) + name;

		if (d + desc > end)
			return;
		if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
		    !memcmp(p + sizeof(*n), "GNU", 4) && n->n_descsz <= sizeof(m->build_id)) {
			memcpy(m->build_id, d, n->n_descsz);
			m->build_id_len = n->n_descsz;
			return;
		}
		p = d + desc;
	}
}

/* Is [addr, addr + len) inside one of the object's loaded segments? */
static int in_load(const struct dl_phdr_info *info, uintptr_t vaddr, size_t len)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && vaddr >= ph->p_vaddr &&
		    vaddr + len <= ph->p_vaddr + ph->p_filesz)
			return 1;
	}
	return 0;
}

void inflame_modules_want_tables(enum inflame_unwind mode, int eager)
{
	tables_mode = mode;
	tables_eager = eager;
	inflame_tabcache_setup_env();
}

void inflame_modules_tables_stats(struct inflame_tables_stats *st)
{
	*st = tstats;
}

static uint64_t hash(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* Where the object's .eh_frame_hdr and .eh_frame are mapped (for walks before its table is
 * built): through PT_GNU_EH_FRAME, .eh_frame read up to the end of the loaded segment holding
 * it. Leaves m->hdr NULL when there is none or it cannot be read. Unless locate, the header is
 * not read: m->eh and m->eh_len are the loaded segment that holds .eh_frame_hdr, and the flag
 * INFLAME_MOD_EH_SEG says that .eh_frame is found in it by the walk that first needs it
 * (inflame_modules_index). The read was the only touch of a page of the program's file in a
 * short process (1.7 page faults of each /bin/true, issue 11), whose walks never come. */
static void note_index(const struct dl_phdr_info *info, struct module *m, int locate)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t ev = ph->p_vaddr;

		if (ph->p_type != PT_GNU_EH_FRAME || !in_load(info, ph->p_vaddr, ph->p_memsz) ||
		    ph->p_memsz > UINT32_MAX ||
		    (locate && inflame_ehframe_hdr((const uint8_t *)(info->dlpi_addr + ph->p_vaddr),
						   ph->p_memsz, ph->p_vaddr, &ev) < 0))
			continue;
		for (int j = 0; j < info->dlpi_phnum; j++) {
			const ElfW(Phdr) *q = &info->dlpi_phdr[j];

			if (q->p_type == PT_LOAD && ev >= q->p_vaddr &&
			    ev < q->p_vaddr + q->p_filesz) {
				if (!locate) {
					ev = q->p_vaddr;
					m->flags |= INFLAME_MOD_EH_SEG;
				}
				m->hdr = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
				m->hdr_len = (uint32_t)ph->p_memsz;
				m->eh = (const uint8_t *)(info->dlpi_addr + ev);
				m->eh_len = (size_t)(q->p_vaddr + q->p_filesz - ev);
				return;
			}
		}
	}
}

/* The table of .eh_frame as mapped: found through PT_GNU_EH_FRAME, read up to the end of the
 * loaded segment holding it (the section ends with a zero terminator); from the cache on disk
 * when it has it (tabcache.h). *where: its address. */
static int table_mapped(const struct dl_phdr_info *info, const struct module *m,
			struct inflame_eh_table **out, uint64_t *where)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t ev;

		if (ph->p_type != PT_GNU_EH_FRAME || !in_load(info, ph->p_vaddr, ph->p_memsz))
			continue;
		if (inflame_ehframe_hdr((const uint8_t *)(info->dlpi_addr + ph->p_vaddr),
					ph->p_memsz, ph->p_vaddr, &ev) < 0)
			return -EINVAL;
		*where = ev;
		for (int j = 0; j < info->dlpi_phnum; j++) {
			const ElfW(Phdr) *q = &info->dlpi_phdr[j];

			if (q->p_type == PT_LOAD && ev >= q->p_vaddr &&
			    ev < q->p_vaddr + q->p_filesz) {
				struct inflame_eh_src src = {
				    (const uint8_t *)(info->dlpi_addr + ev),
				    (size_t)(q->p_vaddr + q->p_filesz - ev), ev, 0,
				    INFLAME_EH_NATIVE};
				struct inflame_tabcache_key key = {
				    m->build_id,
				    m->build_id_len,
				    (const uint8_t *)(info->dlpi_addr + ph->p_vaddr),
				    ph->p_memsz,
				    ev,
				    src.len};

				return inflame_tabcache_build(&key, &src, out);
			}
		}
		return -EINVAL;
	}
	return -ENOENT;
}

/* The table of the file's .debug_frame (an object without .eh_frame). */
static int table_file(const char *path, struct inflame_eh_table **out)
{
	int fd = inflame_fdhigh_open(path, O_RDONLY, 0), ret = -ENOENT;
	struct stat st;
	const uint8_t *f = MAP_FAILED;
	const ElfW(Ehdr) * eh;
	const ElfW(Shdr) * sh;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(*eh))
		goto done;
	f = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (f == MAP_FAILED)
		goto done;
	eh = (const ElfW(Ehdr) *)f;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(ElfW(Shdr)) || eh->e_shoff > (uint64_t)st.st_size ||
	    (uint64_t)eh->e_shnum * sizeof(ElfW(Shdr)) > (uint64_t)st.st_size - eh->e_shoff ||
	    eh->e_shstrndx >= eh->e_shnum)
		goto done;
	sh = (const ElfW(Shdr) *)(f + eh->e_shoff);
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		const ElfW(Shdr) *names = &sh[eh->e_shstrndx];

		if (sh[i].sh_type != SHT_PROGBITS || (sh[i].sh_flags & SHF_COMPRESSED) ||
		    names->sh_offset > (uint64_t)st.st_size || sh[i].sh_name >= names->sh_size ||
		    names->sh_size > (uint64_t)st.st_size - names->sh_offset ||
		    sh[i].sh_offset > (uint64_t)st.st_size ||
		    sh[i].sh_size > (uint64_t)st.st_size - sh[i].sh_offset)
			continue;
		if (strncmp((const char *)f + names->sh_offset + sh[i].sh_name, ".debug_frame",
			    names->sh_size - sh[i].sh_name) == 0) {
			struct inflame_eh_src src = {f + sh[i].sh_offset, (size_t)sh[i].sh_size, 0,
						     1, INFLAME_EH_NATIVE};

			ret = inflame_ehframe_build(&src, out);
			break;
		}
	}
done:
	if (f != MAP_FAILED)
		munmap((void *)f, (size_t)st.st_size);
	close(fd);
	return ret;
}

/* The unwind table of m (loaded as info, named name): from the cache, or (build) built now.
 * *known: the cache had an answer (a table, or that none can be built). */
static const struct inflame_eh_table *table_for(const struct dl_phdr_info *info,
						const struct module *m, const char *name, int build,
						int *known)
{
	/* without a build-id: the path and the code's size */
	uint64_t key = m->build_id_len ? hash(m->build_id, m->build_id_len, 0xcbf29ce484222325ull)
				       : hash(name, strlen(name), 0x84222325cbf29ce4ull) ^
					     (uint64_t)(m->hi - m->lo);
	uint64_t where = 0;
	struct inflame_eh_table *t = NULL;
	int ret;

	*known = 1;
	for (size_t i = 0; i < ntabents; i++)
		if (tabents[i].key == key)
			return tabents[i].tab;
	*known = build;
	if (!build)
		return NULL;
	if (!tabents) {
		void *p = mmap(NULL, sizeof(struct tabent) * MAX_TABLES, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return NULL;
		tabents = p;
	}
	if (ntabents == MAX_TABLES || tstats.bytes > TABLES_MAX_BYTES) {
		tstats.without++;
		return NULL;
	}
	ret = table_mapped(info, m, &t, &where);
	if (ret == -ENOENT && name[0] == '/')
		ret = table_file(name, &t);
	tabents[ntabents].key = key;
	tabents[ntabents].where = where;
	tabents[ntabents].tab = ret == 0 ? t : NULL;
	ntabents++;
	if (ret < 0) {
		tstats.without++;
		return NULL;
	}
	tstats.with++;
	tstats.refused += t->st.refused;
	tstats.bytes += t->map_len;
	if ((t->st.refused || t->st.bad) && table_notes < TABLE_NOTES_MAX) {
		table_notes++;
		inflame_log(INFLAME_LOG_INFO,
			    "unwind table of %s: %u functions, %u rows, %u refused rows (the walk "
			    "falls back there), %u unreadable entries",
			    name, t->st.fdes, t->st.rows, t->st.refused, t->st.bad);
	}
	return t;
}

/* Does the object have an .eh_frame_hdr in its loaded segments? Without one, fpscan answers
 * at once (unknown: frame pointers), and so does the walk. */
static int has_search_table(const struct dl_phdr_info *info)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_GNU_EH_FRAME && in_load(info, ph->p_vaddr, ph->p_memsz))
			return 1;
	}
	return 0;
}

static int list_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct module *m;
	const char *name = info->dlpi_name;
	char exe[PATH_MAX];
	uintptr_t lo = UINTPTR_MAX, hi = 0;

	(void)size;
	(void)arg;
	if (nmods >= mods_cap) {
		list_full = 1;
		return 1;
	}
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			uintptr_t a = info->dlpi_addr + ph->p_vaddr;

			if (a < lo)
				lo = a;
			if (a + ph->p_memsz > hi)
				hi = a + ph->p_memsz;
		}
	}
	if (hi == 0)
		return 0; /* nothing executable */
	m = &mods[nmods];
	memset(m, 0, sizeof(*m));
	m->base = info->dlpi_addr;
	m->lo = lo;
	m->hi = hi;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_NOTE && in_load(info, ph->p_vaddr, ph->p_memsz)) {
			note_build_id(info, ph, m);
			if (m->build_id_len)
				break;
		}
	}
	if (!name || !*name) {
		ssize_t n = nmods == 0 ? readlink("/proc/self/exe", exe, sizeof(exe) - 1) : -1;

		exe[n > 0 ? n : 0] = 0;
		name = exe;
		have_main = n > 0;
	}
	if (!scan_now && has_search_table(info)) {
		/* Undecided: walked by its unwind entries, as code without frame pointers. */
		m->undecided = 1;
		nundecided++;
	} else {
		unsigned fp, total;

		/* Unknown (too little code or no search table) counts as frame pointers: the
		 * cheap walk, which is also what a DWARF walk without tables would fall back to. */
		if (inflame_fpscan(info, &fp, &total) != 0)
			m->flags |= INFLAME_MOD_FP;
	}
	if (tables_mode == INFLAME_UNWIND_DWARF ||
	    (tables_mode == INFLAME_UNWIND_AUTO && !(m->flags & INFLAME_MOD_FP))) {
		int known;

		/* built when a walk first needs it (inflame_modules_ask_table), unless eager */
		m->tab = table_for(info, m, name, tables_eager, &known);
		if (!known) {
			m->flags |= INFLAME_MOD_WANT;
			note_index(info, m, scan_now);
		}
	} else if (tables_mode == INFLAME_UNWIND_AUTO) {
		/* The frames of such an object are walked by their frame pointers, but the one a
		 * signal interrupted (below a handler, or a sample's leaf when the tables walk)
		 * may be in a prologue or a leaf without a frame: its unwind entry, read in place,
		 * knows where its caller is. */
		note_index(info, m, scan_now);
		if (m->hdr)
			m->flags |= INFLAME_MOD_INDEX_EXACT;
	}
	if (getauxval(AT_BASE) && info->dlpi_addr == getauxval(AT_BASE)) {
		m->flags |= INFLAME_MOD_LOADER;
		atomic_store_explicit(&loader_hi, 0, memory_order_relaxed);
		atomic_store_explicit(&loader_lo, m->lo, memory_order_relaxed);
		atomic_store_explicit(&loader_hi, m->hi, memory_order_release);
	}
	m->path_off = paths.len;
	m->path_len = strlen(name);
	inflame_buf_put(&paths, name, m->path_len);
	nmods++;
	return 0;
}

/* Aliases (inflame_modules_add_alias): writer thread only. */
static struct alias {
	uintptr_t base, lo, hi;
	char path[512];
	size_t path_len;
	uint8_t build_id[64];
	size_t build_id_len;
} aliases[MAX_ALIASES] INFLAME_COLD;
static size_t naliases;
static uintptr_t prev_alias[MAX_ALIASES][2] INFLAME_COLD; /* the ranges listed before the scan */
static size_t nprev;

int inflame_modules_aliases_scan(int done)
{
	int changed;

	if (!done) {
		for (size_t i = 0; i < naliases; i++) {
			prev_alias[i][0] = aliases[i].lo;
			prev_alias[i][1] = aliases[i].hi;
		}
		nprev = naliases;
		naliases = 0;
		return 0;
	}
	changed = naliases != nprev;
	for (size_t i = 0; i < naliases && !changed; i++)
		changed = aliases[i].lo != prev_alias[i][0] || aliases[i].hi != prev_alias[i][1];
	return changed;
}

/* The load bias that maps file offset off, mapped at lo, to its link-time address: from the
 * loadable segment of the ELF file fd holding off. Returns 0, or -1 when none holds it. */
static int alias_bias(int fd, uintptr_t lo, uint64_t off, uintptr_t *base)
{
	ElfW(Ehdr) eh;
	ElfW(Phdr) ph;

	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_phentsize != sizeof(ph))
		return -1;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			return -1;
		if (ph.p_type == PT_LOAD && off >= ph.p_offset && off < ph.p_offset + ph.p_filesz) {
			*base = lo - (uintptr_t)(off - ph.p_offset + ph.p_vaddr);
			return 0;
		}
	}
	return -1;
}

int inflame_modules_add_alias(uintptr_t lo, uintptr_t hi, uint64_t off, const char *path,
			      size_t len)
{
	struct alias *a = &aliases[naliases];
	uintptr_t base;
	int fd, rc;

	if (naliases == MAX_ALIASES || len == 0 || len >= sizeof(a->path) || path[0] != '/')
		return 0;
	for (size_t i = 0; i < naliases; i++)
		if (aliases[i].lo == lo && aliases[i].hi == hi)
			return 0;
	memcpy(a->path, path, len);
	a->path[len] = '\0';
	fd = inflame_fdhigh_open(a->path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
	if (fd < 0)
		return 0;
	rc = alias_bias(fd, lo, off, &base);
	close(fd);
	if (rc < 0)
		return 0;
	a->base = base;
	a->lo = lo;
	a->hi = hi;
	a->path_len = len;
	a->build_id_len = 0;
	/* The build-id of the loaded object read from the same file, when there is one: a reader
	 * then finds a rebuilt file out as it does for the object. */
	for (size_t i = 0; i < nmods; i++)
		if (mods[i].path_len == len &&
		    !memcmp((const char *)paths.data + mods[i].path_off, path, len)) {
			memcpy(a->build_id, mods[i].build_id, mods[i].build_id_len);
			a->build_id_len = mods[i].build_id_len;
			break;
		}
	naliases++;
	return 1;
}

/* Builds the tables walks asked for (the objects still loaded as they were listed). */
static int asked_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	for (size_t i = 0; i < nmods; i++) {
		struct module *m = &mods[i];
		char name[PATH_MAX];
		size_t len = m->path_len < sizeof(name) - 1 ? m->path_len : sizeof(name) - 1;
		int known;

		if (m->base != info->dlpi_addr || !(m->flags & INFLAME_MOD_WANT) ||
		    !atomic_load_explicit(&m->asked, memory_order_relaxed))
			continue;
		memcpy(name, (const char *)paths.data + m->path_off, len); /* (not terminated) */
		name[len] = 0;
		m->tab = table_for(info, m, name, 1, &known);
		m->flags &= ~INFLAME_MOD_WANT;
	}
	return 0;
}

void inflame_modules_ask_table(const struct inflame_code *c)
{
	/* (read once: the writer may move the list meanwhile, and an ask of the copy left behind
	 * is lost, to be asked again by the next walk that needs the table) */
	struct module *all = __atomic_load_n(&mods, __ATOMIC_ACQUIRE), *m;

	if (!(c->flags & INFLAME_MOD_WANT) || !all ||
	    c->mod >= (all == mods_first ? FIRST_MODULES : MAX_MODULES))
		return;
	m = &all[c->mod];
	/* The writer is not woken for it: until its next cycle (at most 250 ms) the walks read
	 * the object's unwind entries in place (inflame_ehframe_lookup), so a short process never
	 * pays for a table (libc's: about 10 ms of CPU). Walks that do that often wake it
	 * (unwind_sigsafe.c). */
	if (!atomic_load_explicit(&m->asked, memory_order_relaxed) &&
	    atomic_exchange_explicit(&m->asked, 1, memory_order_relaxed) == 0)
		atomic_store(&tables_asked, 1);
}

/* Writes the ranges of the module list into r (of cap entries), sorted by lo; returns how
 * many. */
static size_t fill_ranges(struct range *r, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < nmods && n < cap; i++) {
		size_t j = n++;

		/* insertion sort by lo: the lists are short and mostly sorted */
		while (j > 0 && r[j - 1].lo > mods[i].lo) {
			r[j] = r[j - 1];
			j--;
		}
		r[j].lo = mods[i].lo;
		r[j].hi = mods[i].hi;
		r[j].base = mods[i].base;
		r[j].tab = mods[i].tab;
		r[j].hdr = mods[i].hdr;
		r[j].eh = mods[i].eh;
		r[j].hdr_len = mods[i].hdr_len;
		r[j].eh_len = mods[i].eh_len;
		r[j].flags = mods[i].flags;
		r[j].mod = (unsigned)i;
	}
	return n;
}

/* The latch: readers move to copy 1 (odd), copy 0 is rewritten, readers move back to it
 * (even), and copy 1 follows. A copy moves to the larger mapping (ranges_next) as it is
 * rewritten: a reader that read its old place reads the old map there, and reads again as the
 * sequence moved. */
static void publish_ranges(void)
{
	struct range *r0, *r1;
	size_t n;

	atomic_thread_fence(memory_order_seq_cst);
	atomic_fetch_add_explicit(&ranges_seq, 1, memory_order_acq_rel); /* odd: copy 1 */
	atomic_thread_fence(memory_order_seq_cst);
	if (ranges_next)
		atomic_store_explicit(&ranges[0], ranges_next, memory_order_relaxed);
	r0 = atomic_load_explicit(&ranges[0], memory_order_relaxed);
	n = fill_ranges(r0, r0 == ranges_first[0] ? FIRST_MODULES : MAX_RANGES);
	atomic_store_explicit(&nranges[0], n, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	atomic_fetch_add_explicit(&ranges_seq, 1, memory_order_acq_rel); /* even: copy 0 */
	atomic_thread_fence(memory_order_seq_cst);
	if (ranges_next) {
		atomic_store_explicit(&ranges[1], ranges_next + MAX_RANGES, memory_order_relaxed);
		ranges_next = NULL;
	}
	r1 = atomic_load_explicit(&ranges[1], memory_order_relaxed);
	memcpy(r1, r0, n * sizeof(*r1));
	atomic_store_explicit(&nranges[1], n, memory_order_relaxed);
}

/* The ELF header of the object this code is linked into (the linker defines it): its program
 * headers lie in the same mapped page, which the loader read as it mapped the object. */
extern const ElfW(Ehdr) __ehdr_start __attribute__((visibility("hidden")));

int inflame_modules_self(uintptr_t *lo, uintptr_t *hi)
{
	const ElfW(Ehdr) *eh = &__ehdr_start;
	const ElfW(Phdr) *ph = (const void *)((const char *)eh + eh->e_phoff);
	uintptr_t addr = (uintptr_t)&inflame_modules_self, bias = 0;
	int i, based = 0;

	/* (read from the header, not with dl_iterate_phdr: no loader lock, no walk over the
	 * loader's list, no page of the C library's code in a short process, issue 11) */
	*lo = *hi = 0;
	for (i = 0; i < eh->e_phnum && !based; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) {
			bias = (uintptr_t)eh - ph[i].p_vaddr;
			based = 1;
		}
	for (i = 0; i < eh->e_phnum && based; i++) {
		uintptr_t start = bias + ph[i].p_vaddr;

		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X) && addr >= start &&
		    addr - start < ph[i].p_memsz) {
			*lo = start;
			*hi = start + ph[i].p_memsz;
			return 0;
		}
	}
	return -ENOENT;
}

/* Moves the list of modules to a mapping of MAX_MODULES entries, and the ranges to another at
 * their next publish. Returns 0, or -ENOMEM (the list stays as it is, its first objects). */
static int grow(void)
{
	void *p = mmap(NULL, sizeof(struct module) * MAX_MODULES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *q = mmap(NULL, 2 * sizeof(struct range) * MAX_RANGES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || q == MAP_FAILED) {
		if (p != MAP_FAILED)
			munmap(p, sizeof(struct module) * MAX_MODULES);
		if (q != MAP_FAILED)
			munmap(q, 2 * sizeof(struct range) * MAX_RANGES);
		return -ENOMEM;
	}
	memcpy(p, mods, nmods * sizeof(*mods));
	__atomic_store_n(&mods, (struct module *)p, __ATOMIC_RELEASE);
	mods_cap = MAX_MODULES;
	ranges_next = q;
	return 0;
}

/* Lists every loaded object again and publishes their ranges. */
static void list_all(void)
{
	do {
		nmods = 0;
		nundecided = 0;
		paths.len = 0;
		have_main = 0;
		list_full = 0;
		inflame__real_dl_iterate_phdr(list_cb, NULL);
	} while (list_full && mods == mods_first && grow() == 0);
	publish_ranges();
}

int inflame_modules_refresh(int how)
{
	struct counts c = {0, 0, 0};
	int force = how & INFLAME_MODULES_FORCE;

	if (!mods) {
		mods = mods_first;
		mods_cap = FIRST_MODULES;
		inflame_buf_lend(&paths, paths_first, sizeof(paths_first));
		atomic_store_explicit(&ranges[1], ranges_first[1], memory_order_relaxed);
		atomic_thread_fence(memory_order_seq_cst);
		atomic_store_explicit(&ranges[0], ranges_first[0], memory_order_relaxed);
		force = 1;
	}
	inflame__real_dl_iterate_phdr(counts_cb, &c);
	/* (more objects loaded than the first arrays hold: moved before the list, not after it
	 * was made twice) */
	if (mods == mods_first && c.ok && c.adds - c.subs > FIRST_MODULES && grow() == 0)
		force = 1;
	scan_now = !(how & (INFLAME_MODULES_NO_SCAN | INFLAME_MODULES_NO_BUILD));
	if (!force && have_counts && c.ok && c.adds == last_adds && c.subs == last_subs &&
	    !atomic_load(&stale) && scan_now && nundecided) {
		/* The same objects, listed again to decide their frame pointers: the map the
		 * dump has is unchanged. */
		list_all();
		return 0;
	}
	if (!force && have_counts && c.ok && c.adds == last_adds && c.subs == last_subs &&
	    !atomic_load(&stale)) {
		/* Not once sampling is over (exit, exec): no walk can use a table any more, the
		 * samples taken were walked already (a short process would spend more on its
		 * libc's table than on its whole life). Left asked for a resume. */
		if (!(how & INFLAME_MODULES_NO_BUILD) && atomic_exchange(&tables_asked, 0)) {
			/* inside the loader's lock: no object can go while its table is read */
			inflame__real_dl_iterate_phdr(asked_cb, NULL);
			publish_ranges();
		}
		return 0;
	}
	atomic_store(&stale, 0);
	last_adds = c.adds;
	last_subs = c.subs;
	have_counts = c.ok;
	list_all();
	generation++;
	return 1;
}

void inflame_modules_encode(struct inflame_buf *b)
{
	inflame_buf_put_varint(b, generation);
	inflame_buf_put_varint(b, nmods + naliases);
	for (size_t i = 0; i < nmods; i++) {
		const struct module *m = &mods[i];

		inflame_buf_put_varint(b, m->base);
		inflame_buf_put_varint(b, m->lo);
		inflame_buf_put_varint(b, m->hi);
		inflame_buf_put_str(b, (const char *)paths.data + m->path_off, m->path_len);
		inflame_buf_put_str(b, (const char *)m->build_id, m->build_id_len);
	}
	for (size_t i = 0; i < naliases; i++) {
		const struct alias *a = &aliases[i];

		inflame_buf_put_varint(b, a->base);
		inflame_buf_put_varint(b, a->lo);
		inflame_buf_put_varint(b, a->hi);
		inflame_buf_put_str(b, a->path, a->path_len);
		inflame_buf_put_str(b, (const char *)a->build_id, a->build_id_len);
	}
}

const char *inflame_modules_main_path(size_t *len)
{
	if (!have_main || !nmods)
		return NULL;
	*len = mods[0].path_len;
	return (const char *)paths.data + mods[0].path_off;
}

int inflame_modules_loader(uintptr_t *lo, uintptr_t *hi)
{
	*hi = atomic_load_explicit(&loader_hi, memory_order_acquire);
	*lo = atomic_load_explicit(&loader_lo, memory_order_relaxed);
	return *hi > *lo ? 0 : -1;
}

/* One search of the copy that seq names: its flags and *out, or -1 when addr is in none. */
static int search(unsigned seq, uintptr_t addr, struct inflame_code *out)
{
	const struct range *r = atomic_load_explicit(&ranges[seq & 1], memory_order_relaxed);
	size_t lo = 0, hi = atomic_load_explicit(&nranges[seq & 1], memory_order_relaxed);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (addr < r[mid].lo) {
			hi = mid;
		} else if (addr >= r[mid].hi) {
			lo = mid + 1;
		} else {
			out->lo = r[mid].lo;
			out->hi = r[mid].hi;
			out->base = r[mid].base;
			out->tab = r[mid].tab;
			out->hdr = r[mid].hdr;
			out->eh = r[mid].eh;
			out->hdr_len = r[mid].hdr_len;
			out->eh_len = r[mid].eh_len;
			out->flags = (int)r[mid].flags;
			out->mod = r[mid].mod;
			return out->flags;
		}
	}
	return -1;
}

/* The flags of addr's object with *out, NOT_CODE, or UNSURE (an object is being closed, or
 * the writer rewrote the copy read LOOKUP_TRIES times in a row). */
#define NOT_CODE (-1)
#define UNSURE	 (-2)
static int lookup(uintptr_t addr, struct inflame_code *out)
{
	if (atomic_load_explicit(&closing, memory_order_acquire) ||
	    atomic_load_explicit(&stale, memory_order_acquire) ||
	    !atomic_load_explicit(&ranges[0], memory_order_relaxed))
		return UNSURE;
	for (int i = 0; i < LOOKUP_TRIES; i++) {
		unsigned seq = atomic_load_explicit(&ranges_seq, memory_order_acquire);
		int found = search(seq, addr, out);

		atomic_thread_fence(memory_order_acquire);
		/* the writer moved on to the copy read meanwhile: read again */
		if (atomic_load_explicit(&ranges_seq, memory_order_relaxed) == seq)
			return found < 0 ? NOT_CODE : found;
	}
	return UNSURE;
}

int inflame_modules_lookup(uintptr_t addr, struct inflame_code *out)
{
	int f = lookup(addr, out);

	return f < 0 ? -1 : f;
}

int inflame_modules_is_code(uintptr_t addr)
{
	return inflame_modules_code_flags(addr) >= 0;
}

int inflame_modules_code_known(uintptr_t addr)
{
	struct inflame_code c;
	int f = lookup(addr, &c);

	return f >= 0 ? 1 : f == NOT_CODE ? 0 : -1;
}

int inflame_modules_code_flags(uintptr_t addr)
{
	struct inflame_code c;

	return inflame_modules_lookup(addr, &c);
}

int inflame_modules_code_range(uintptr_t addr, uintptr_t *range_lo, uintptr_t *range_hi)
{
	struct inflame_code c;
	int f = inflame_modules_lookup(addr, &c);

	if (f >= 0) {
		*range_lo = c.lo;
		*range_hi = c.hi;
	}
	return f;
}

int inflame_modules_cache_begin(struct inflame_code_cache *c)
{
	unsigned seq = atomic_load_explicit(&ranges_seq, memory_order_acquire);

	/* (an odd seq is a copy as good as an even one: see publish_ranges) */
	if (atomic_load_explicit(&closing, memory_order_acquire) ||
	    atomic_load_explicit(&stale, memory_order_acquire))
		return -1;
	if (c->seq != seq) {
		c->seq = seq;
		c->n = 0;
	}
	return 0;
}

int inflame__modules_cache_fill(struct inflame_code_cache *c, uintptr_t addr,
				struct inflame_code *out)
{
	int f = inflame_modules_lookup(addr, out);

	if (f >= 0) {
		unsigned i = c->n < INFLAME_CODE_CACHE ? c->n++ : c->next++ % INFLAME_CODE_CACHE;

		c->e[i] = *out;
	}
	return f;
}

void inflame_modules_close_begin(void)
{
	atomic_fetch_add(&closing, 1);
	atomic_fetch_add(&closes, 1);
}

/* The count of closes begun, doubled, plus one while the table is not trusted: a mark that
 * only an untrusted moment or a close begun since can change. */
unsigned inflame_modules_trust_mark(void)
{
	unsigned untrusted = atomic_load_explicit(&closing, memory_order_acquire) ||
			     atomic_load_explicit(&stale, memory_order_acquire);

	return atomic_load_explicit(&closes, memory_order_acquire) * 2u + untrusted;
}

int inflame_modules_trust_kept(unsigned mark)
{
	return !(mark & 1u) && inflame_modules_trust_mark() == mark;
}

void inflame_modules_close_end(void)
{
	/* The table may still name the closed object until the writer's next refresh; it is
	 * not trusted until then. */
	atomic_store(&stale, 1);
	atomic_fetch_sub(&closing, 1);
	inflame_writer_request(INFLAME_WRITER_WAKE);
}
