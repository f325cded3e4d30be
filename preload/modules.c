/*
 * The loaded-object map. The writer thread owns the module list (an mmap'd array and a
 * string buffer for paths); it rebuilds the list with dl_iterate_phdr when the loader's
 * dlpi_adds/dlpi_subs counters moved. The executable ranges derived from it are published to
 * signal handlers in a sorted array under a sequence counter (odd while being rewritten), so a
 * handler reads a consistent table or none. Each range carries what INFLAME_UNWIND=auto needs
 * to know about its object, decided here in the writer thread whenever the map is rebuilt (an
 * object was loaded or unloaded), never per sample: whether its code was built with frame
 * pointers (fpscan.h, a few hundred reads of the object's mapped memory) and whether it is the
 * dynamic loader (where the DWARF unwinder must never start).
 */
#include "modules.h"

#include "fpscan.h"
#include "profiler.h"
#include "writer.h"

#include <elf.h>
#include <errno.h>
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

struct module {
	uintptr_t base, lo, hi;
	size_t path_off, path_len;
	uint8_t build_id[64];
	size_t build_id_len;
	unsigned flags; /* INFLAME_MOD_* */
};

struct range {
	uintptr_t lo, hi;
	unsigned flags;
};

static struct module *mods;
static size_t nmods;
static struct inflame_buf paths;
static unsigned long long last_adds, last_subs;
static int have_counts;
static uint64_t generation;

static struct range *ranges;
static _Atomic size_t nranges;
static _Atomic unsigned ranges_seq;
static _Atomic int closing; /* dlcloses in flight */
static _Atomic int stale;   /* an object was closed since the last refresh */
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

static int list_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct module *m;
	const char *name = info->dlpi_name;
	char exe[PATH_MAX];
	uintptr_t lo = UINTPTR_MAX, hi = 0;

	(void)size;
	(void)arg;
	if (nmods >= MAX_MODULES)
		return 1;
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
	}
	{
		unsigned fp, total;

		/* Unknown (too little code or no search table) counts as frame pointers: the
		 * cheap walk, which is also what a DWARF walk without tables would fall back to. */
		if (inflame_fpscan(info, &fp, &total) != 0)
			m->flags |= INFLAME_MOD_FP;
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

static void publish_ranges(void)
{
	size_t n = 0;

	atomic_fetch_add_explicit(&ranges_seq, 1, memory_order_acq_rel); /* odd: writing */
	atomic_thread_fence(memory_order_seq_cst);
	for (size_t i = 0; i < nmods && n < MAX_RANGES; i++) {
		size_t j = n++;

		/* insertion sort by lo: the lists are short and mostly sorted */
		while (j > 0 && ranges[j - 1].lo > mods[i].lo) {
			ranges[j] = ranges[j - 1];
			j--;
		}
		ranges[j].lo = mods[i].lo;
		ranges[j].hi = mods[i].hi;
		ranges[j].flags = mods[i].flags;
	}
	atomic_store_explicit(&nranges, n, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	atomic_fetch_add_explicit(&ranges_seq, 1, memory_order_acq_rel); /* even: done */
}

struct self_search {
	uintptr_t addr, lo, hi;
};

static int self_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct self_search *q = arg;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && q->addr >= lo &&
		    q->addr - lo < ph->p_memsz) {
			q->lo = lo;
			q->hi = lo + ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

int inflame_modules_self(uintptr_t *lo, uintptr_t *hi)
{
	struct self_search q = {(uintptr_t)&inflame_modules_self, 0, 0};

	inflame__real_dl_iterate_phdr(self_cb, &q);
	*lo = q.lo;
	*hi = q.hi;
	return q.hi ? 0 : -ENOENT;
}

int inflame_modules_refresh(int force)
{
	struct counts c = {0, 0, 0};

	if (!mods) {
		void *p = mmap(NULL, sizeof(struct module) * MAX_MODULES, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		void *q = mmap(NULL, sizeof(struct range) * MAX_RANGES, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED || q == MAP_FAILED)
			return 0;
		mods = p;
		ranges = q;
		force = 1;
	}
	inflame__real_dl_iterate_phdr(counts_cb, &c);
	if (!force && have_counts && c.ok && c.adds == last_adds && c.subs == last_subs &&
	    !atomic_load(&stale))
		return 0;
	atomic_store(&stale, 0);
	last_adds = c.adds;
	last_subs = c.subs;
	have_counts = c.ok;
	nmods = 0;
	paths.len = 0;
	inflame__real_dl_iterate_phdr(list_cb, NULL);
	publish_ranges();
	generation++;
	return 1;
}

void inflame_modules_encode(struct inflame_buf *b)
{
	inflame_buf_put_varint(b, generation);
	inflame_buf_put_varint(b, nmods);
	for (size_t i = 0; i < nmods; i++) {
		const struct module *m = &mods[i];

		inflame_buf_put_varint(b, m->base);
		inflame_buf_put_varint(b, m->lo);
		inflame_buf_put_varint(b, m->hi);
		inflame_buf_put_str(b, (const char *)paths.data + m->path_off, m->path_len);
		inflame_buf_put_str(b, (const char *)m->build_id, m->build_id_len);
	}
}

int inflame_modules_loader(uintptr_t *lo, uintptr_t *hi)
{
	*hi = atomic_load_explicit(&loader_hi, memory_order_acquire);
	*lo = atomic_load_explicit(&loader_lo, memory_order_relaxed);
	return *hi > *lo ? 0 : -1;
}

int inflame_modules_is_code(uintptr_t addr)
{
	return inflame_modules_code_flags(addr) >= 0;
}

int inflame_modules_code_flags(uintptr_t addr)
{
	uintptr_t lo, hi;

	return inflame_modules_code_range(addr, &lo, &hi);
}

int inflame_modules_code_range(uintptr_t addr, uintptr_t *range_lo, uintptr_t *range_hi)
{
	unsigned seq = atomic_load_explicit(&ranges_seq, memory_order_acquire);
	size_t lo = 0, hi, n;
	int found = -1;

	if ((seq & 1) || atomic_load_explicit(&closing, memory_order_acquire) ||
	    atomic_load_explicit(&stale, memory_order_acquire) || !ranges)
		return -1;
	n = atomic_load_explicit(&nranges, memory_order_relaxed);
	hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (addr < ranges[mid].lo)
			hi = mid;
		else if (addr >= ranges[mid].hi)
			lo = mid + 1;
		else {
			found = (int)ranges[mid].flags;
			*range_lo = ranges[mid].lo;
			*range_hi = ranges[mid].hi;
			break;
		}
	}
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&ranges_seq, memory_order_relaxed) != seq)
		return -1;
	return found;
}

int inflame_modules_cache_begin(struct inflame_code_cache *c)
{
	unsigned seq = atomic_load_explicit(&ranges_seq, memory_order_acquire);

	if ((seq & 1) || atomic_load_explicit(&closing, memory_order_acquire) ||
	    atomic_load_explicit(&stale, memory_order_acquire))
		return -1;
	if (c->seq != seq) {
		c->seq = seq;
		c->n = 0;
	}
	return 0;
}

int inflame__modules_cache_fill(struct inflame_code_cache *c, uintptr_t addr)
{
	uintptr_t lo, hi;
	int f = inflame_modules_code_range(addr, &lo, &hi);

	if (f >= 0) {
		unsigned i = c->n < INFLAME_CODE_CACHE ? c->n++ : c->next++ % INFLAME_CODE_CACHE;

		c->e[i].lo = lo;
		c->e[i].hi = hi;
		c->e[i].flags = f;
	}
	return f;
}

void inflame_modules_close_begin(void)
{
	atomic_fetch_add(&closing, 1);
}

void inflame_modules_close_end(void)
{
	/* The table may still name the closed object until the writer's next refresh; it is
	 * not trusted until then. */
	atomic_store(&stale, 1);
	atomic_fetch_sub(&closing, 1);
	inflame_writer_request(INFLAME_WRITER_WAKE);
}
