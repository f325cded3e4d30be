/*
 * The start-up's own symbol lookup: the answers of dlsym(RTLD_NEXT) for the real functions of
 * the interposition layer, found in one walk over the loader's list and the GNU hash tables of
 * the objects in it. dlsym adds the loader's lock, the search for the caller's object and an
 * error frame to each lookup (44 ns a name against 20 ns here, warm), and a failed one allocates
 * its message. In a new process, where the lookups miss the caches, the 81 names of the
 * start-up took 15 us with dlsym and take 9 us with this walk (a program that does either
 * first thing, 200 runs of each, interleaved).
 *
 * Which objects: dlsym(RTLD_NEXT) searches the global scope after the caller. The objects
 * loaded at start-up are in the loader's list in the scope's order (both are the breadth-first
 * order of the dependencies, the preloads first), and an object loaded later by dlopen comes
 * after all of them. The C library is a dependency of this module, so it was loaded with it or
 * before: when it follows this module in the list, every object between them is of the same
 * load and in the scope. The lookup reads the objects after this module up to the C library
 * and no further; a name none of them defines is left to dlsym.
 *
 * The semantics are those of the loader's do_lookup_x and check_match: the first object that
 * defines the name (a global or weak symbol with a value), with the symbol of no version or of
 * its default version (not hidden) for dlsym, of the given version for dlvsym. Anything else
 * goes to dlsym: an object without a GNU hash table, symbols of the kinds the loader treats
 * apart (IFUNC, TLS, unique, absolute, undefined with a value), audit modules, LD_DYNAMIC_WEAK.
 */
#include "symlookup.h"

#include "config.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

/* The dynamic section of the module this code is linked into (the linker defines it). */
extern ElfW(Dyn) _DYNAMIC[] __attribute__((visibility("hidden")));

/* What one symbol of the hash chain is to the lookup. */
enum candidate { NO, PICK, VERSIONED, UNUSUAL };

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;

	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

/* A pointer of the dynamic section: the loader relocated most in place (absolute), not all
 * (DT_VERDEF), and none on some architectures. Offsets are below the load address. */
static const void *dyn_ptr(uintptr_t base, ElfW(Addr) v)
{
	return (const void *)(v < base ? base + v : v);
}

/* Reads what the lookup needs of object m. Returns 0, or -ENOTSUP when m has no GNU hash table
 * or one the loader would not accept. */
static int obj_read(struct inflame_symlookup_obj *o, const struct link_map *m)
{
	const ElfW(Dyn) * d;
	uint32_t words;

	memset(o, 0, sizeof(*o));
	o->base = m->l_addr;
	if (!m->l_ld)
		return -ENOTSUP;
	for (d = m->l_ld; d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_GNU_HASH)
			o->gnu_hash = dyn_ptr(o->base, d->d_un.d_ptr);
		else if (d->d_tag == DT_SYMTAB)
			o->symtab = dyn_ptr(o->base, d->d_un.d_ptr);
		else if (d->d_tag == DT_STRTAB)
			o->strtab = dyn_ptr(o->base, d->d_un.d_ptr);
		else if (d->d_tag == DT_VERSYM)
			o->versym = dyn_ptr(o->base, d->d_un.d_ptr);
		else if (d->d_tag == DT_VERDEF)
			o->verdef = dyn_ptr(o->base, d->d_un.d_ptr);
	}
	if (!o->gnu_hash || !o->symtab || !o->strtab)
		return -ENOTSUP;
	words = o->gnu_hash[2];
	if (words == 0 || (words & (words - 1)) != 0)
		return -ENOTSUP;
	return 0;
}

/* The name of version ndx among the object's definitions (not its base version, which the
 * loader does not match), or NULL. */
static const char *version_name(const struct inflame_symlookup_obj *o, unsigned ndx)
{
	const ElfW(Verdef) *vd = o->verdef;

	while (vd) {
		if ((vd->vd_ndx & 0x7fff) == ndx && !(vd->vd_flags & VER_FLG_BASE)) {
			const ElfW(Verdaux) *a = (const void *)((const char *)vd + vd->vd_aux);
			return o->strtab + a->vda_name;
		}
		vd = vd->vd_next ? (const void *)((const char *)vd + vd->vd_next) : NULL;
	}
	return NULL;
}

/* Symbol i of the object against name (and version), as the loader's check_match. */
static enum candidate check(const struct inflame_symlookup_obj *o, uint32_t i, const char *name,
			    const char *version)
{
	const ElfW(Sym) *s = &o->symtab[i];
	unsigned type = ELF64_ST_TYPE(s->st_info);
	unsigned ndx;
	const char *vname;

	if (s->st_value == 0 && s->st_shndx != SHN_ABS && type != STT_TLS)
		return NO;
	if (type > STT_TLS && type != STT_GNU_IFUNC)
		return NO;
	if (type == STT_SECTION || type == STT_FILE)
		return NO;
	if (strcmp(o->strtab + s->st_name, name) != 0)
		return NO;
	if (s->st_shndx == SHN_UNDEF)
		return UNUSUAL;
	if (!o->versym)
		return PICK;
	ndx = o->versym[i] & 0x7fff;
	if (!version) {
		if (ndx < 2)
			return PICK;
		return (o->versym[i] & 0x8000) ? NO : VERSIONED;
	}
	vname = version_name(o, ndx);
	if (!vname)
		return ndx < 2 ? NO : UNUSUAL;
	return strcmp(vname, version) == 0 ? PICK : NO;
}

/* Looks name up in one object: 1 with *addr when it defines it, 0 when it does not, -1 when
 * the loader must decide. */
static int obj_find(const struct inflame_symlookup_obj *o, const char *name, uint32_t h,
		    const char *version, void **addr)
{
	const uint32_t *gh = o->gnu_hash;
	uint32_t nbuckets = gh[0], symoffset = gh[1], words = gh[2], shift = gh[3];
	const ElfW(Addr) *bloom = (const void *)(gh + 4);
	const uint32_t *buckets = (const void *)(bloom + words);
	const uint32_t *chain = buckets + nbuckets;
	const unsigned bits = sizeof(ElfW(Addr)) * 8;
	const ElfW(Sym) *pick = NULL, *versioned = NULL;
	unsigned versions = 0, bind, vis;
	ElfW(Addr) mask;
	uint32_t i;

	if (nbuckets == 0)
		return 0;
	mask = ((ElfW(Addr))1 << (h % bits)) | ((ElfW(Addr))1 << ((h >> shift) % bits));
	if ((bloom[(h / bits) & (words - 1)] & mask) != mask)
		return 0;
	i = buckets[h % nbuckets];
	if (i == 0)
		return 0;
	if (i < symoffset)
		return -1;
	for (;; i++) {
		uint32_t h2 = chain[i - symoffset];

		if (((h2 ^ h) >> 1) == 0) {
			enum candidate c = check(o, i, name, version);

			if (c == UNUSUAL)
				return -1;
			if (c == PICK) {
				pick = &o->symtab[i];
				break;
			}
			if (c == VERSIONED && versions++ == 0)
				versioned = &o->symtab[i];
		}
		if (h2 & 1)
			break;
	}
	if (!pick && versions == 1)
		pick = versioned;
	if (!pick)
		return 0;
	bind = ELF64_ST_BIND(pick->st_info);
	if (bind != STB_GLOBAL && bind != STB_WEAK)
		return bind == STB_LOCAL ? 0 : -1;
	vis = ELF64_ST_VISIBILITY(pick->st_other);
	if (vis == STV_HIDDEN || vis == STV_INTERNAL)
		return -1;
	if (ELF64_ST_TYPE(pick->st_info) == STT_GNU_IFUNC ||
	    ELF64_ST_TYPE(pick->st_info) == STT_TLS || ELF64_ST_TYPE(pick->st_info) == STT_COMMON ||
	    pick->st_shndx == SHN_ABS)
		return -1;
	*addr = (void *)(o->base + pick->st_value);
	return 1;
}

/* The loader's list, from the program's DT_DEBUG entry; NULL when there is none or audit
 * modules are named there (they may change what dlsym returns). */
static struct link_map *loader_list(void)
{
	const ElfW(Phdr) *ph = (const void *)getauxval(AT_PHDR);
	size_t n = getauxval(AT_PHNUM), k;
	const ElfW(Dyn) *d = NULL;
	uintptr_t bias = 0;
	struct r_debug *r = NULL;

	if (!ph)
		return NULL;
	for (k = 0; k < n; k++)
		if (ph[k].p_type == PT_PHDR)
			bias = (uintptr_t)ph - ph[k].p_vaddr;
	for (k = 0; k < n; k++)
		if (ph[k].p_type == PT_DYNAMIC)
			d = (const void *)(bias + ph[k].p_vaddr);
	for (; d && d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_AUDIT || d->d_tag == DT_DEPAUDIT)
			return NULL;
		if (d->d_tag == DT_DEBUG)
			r = (struct r_debug *)d->d_un.d_ptr;
	}
	return r ? r->r_map : NULL;
}

/* Whether o is the C library this module is linked against: the object that defines the
 * getauxval this module calls (an import it has anyway; each costs the loader a lookup). */
static int is_libc(const struct inflame_symlookup_obj *o)
{
	void *f = NULL;

	return obj_find(o, "getauxval", gnu_hash("getauxval"), NULL, &f) == 1 &&
	       f == (void *)getauxval;
}

int inflame_symlookup_open(struct inflame_symlookup *l)
{
	uintptr_t vdso = getauxval(AT_SYSINFO_EHDR);
	struct inflame_symlookup_obj o;
	struct link_map *m, *first = NULL;
	int stored = 1;

	l->n = 0;
	l->span.first = l->span.last = NULL;
	if (inflame_config_getenv("LD_AUDIT") || inflame_config_getenv("LD_DYNAMIC_WEAK"))
		return -ENOTSUP;
	m = loader_list();
	while (m && m->l_ld != _DYNAMIC)
		m = m->l_next;
	if (!m)
		return -ENOENT;
	for (m = m->l_next; m; m = m->l_next) {
		if (vdso && m->l_addr == vdso) {
			/* (a span holds no vDSO: it begins after one met first, and there
			 * is none when one lies between the objects) */
			first = NULL;
			continue;
		}
		if (!first && l->n == 0)
			first = m;
		if (obj_read(&o, m) != 0)
			stored = 0;
		else if (is_libc(&o)) {
			if (stored && l->n < INFLAME_SYMLOOKUP_MAX) {
				l->obj[l->n++] = o;
				l->span.first = first;
				l->span.last = first ? m : NULL;
			}
			return 0;
		}
		if (stored && l->n < INFLAME_SYMLOOKUP_MAX)
			l->obj[l->n++] = o;
		else
			stored = 0;
	}
	/* The C library comes before this module: the objects after it may be anywhere in the
	 * scope, or outside it. */
	l->n = 0;
	return -ENOENT;
}

int inflame_symlookup_find(const struct inflame_symlookup *l, const char *name, const char *version,
			   void **addr)
{
	uint32_t h = gnu_hash(name);
	unsigned i;
	int rc;

	for (i = 0; i < l->n; i++) {
		rc = obj_find(&l->obj[i], name, h, version, addr);
		if (rc != 0)
			return rc > 0;
	}
	return 0;
}

int inflame_symlookup_span_find(const struct inflame_symlookup_span *s, const char *name,
				const char *version, void **addr)
{
	struct inflame_symlookup_obj o;
	const struct link_map *m;
	uint32_t h = gnu_hash(name);
	int rc;

	if (!s->last)
		return 0;
	for (m = s->first; m; m = m->l_next) {
		if (obj_read(&o, m) == 0) {
			rc = obj_find(&o, name, h, version, addr);
			if (rc != 0)
				return rc > 0;
		}
		if (m == s->last)
			break;
	}
	return 0;
}
