/* Unit tests for tools/symbols/symbolize.c, on the test programs in tests/progs: each is run once
 * to learn its load bias, executable range, build-id and function addresses, then those addresses
 * are symbolized offline against the file (or a stripped copy of it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "symbols/symbolize.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct prog {
	char path[4096];
	uint64_t bias, lo, hi, alpha, beta, outer, inlined_ret, nested_ret, scaled;
	uint64_t rust_legacy, rust_v0, rust_llvm, c_llvm, gamma;
	uint8_t bid[64];
	size_t bidlen;
};

static const char *builddir(void)
{
	const char *d = getenv("INFLAME_BUILDDIR");

	return d ? d : ".";
}

/* Runs a test program and parses its "key value" lines. */
static void run_prog(const char *name, struct prog *p)
{
	char cmd[4200], line[256], key[64], val[160];
	FILE *f;

	memset(p, 0, sizeof(*p));
	snprintf(p->path, sizeof(p->path), "%s/tests/progs/%s", builddir(), name);
	snprintf(cmd, sizeof(cmd), "'%s'", p->path);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		uint64_t v;

		if (sscanf(line, "%63s %159s", key, val) != 2)
			continue;
		if (!strcmp(key, "buildid")) {
			for (size_t i = 0; val[2 * i] && val[2 * i + 1] && i < sizeof(p->bid);
			     i++) {
				unsigned x;

				sscanf(val + 2 * i, "%2x", &x);
				p->bid[p->bidlen++] = (uint8_t)x;
			}
			continue;
		}
		v = strtoull(val, NULL, 16);
		if (!strcmp(key, "bias"))
			p->bias = v;
		else if (!strcmp(key, "lo"))
			p->lo = v;
		else if (!strcmp(key, "hi"))
			p->hi = v;
		else if (!strcmp(key, "alpha"))
			p->alpha = v;
		else if (!strcmp(key, "beta"))
			p->beta = v;
		else if (!strcmp(key, "outer"))
			p->outer = v;
		else if (!strcmp(key, "inlined_ret"))
			p->inlined_ret = v;
		else if (!strcmp(key, "nested_ret"))
			p->nested_ret = v;
		else if (!strcmp(key, "scaled"))
			p->scaled = v;
		else if (!strcmp(key, "rust_legacy"))
			p->rust_legacy = v;
		else if (!strcmp(key, "rust_v0"))
			p->rust_v0 = v;
		else if (!strcmp(key, "rust_llvm"))
			p->rust_llvm = v;
		else if (!strcmp(key, "c_llvm"))
			p->c_llvm = v;
		else if (!strcmp(key, "gamma"))
			p->gamma = v;
	}
	assert_int_equal(pclose(f), 0);
}

static const char *sym1(struct inflame_symbolizer *s, uint64_t addr, int is_return)
{
	const char *names[INFLAME_SYMBOLIZE_MAX_NAMES];
	int n = inflame_symbolize_addr(s, addr, is_return, names);

	assert_true(n >= 1);
	return names[n - 1];
}

/* Known functions resolve by name, leaf PCs as they are and return addresses at addr - 1. */
static void test_known_functions(void **state)
{
	struct prog p;
	struct inflame_symbolizer *s = inflame_symbolize_new(0, NULL);

	(void)state;
	run_prog("symtest", &p);
	assert_true(p.alpha >= p.lo && p.alpha < p.hi);
	assert_true(p.bidlen > 0);
	assert_int_equal(inflame_symbolize_add_module(s, p.bias, p.lo, p.hi, p.path, strlen(p.path),
						      p.bid, p.bidlen),
			 0);
	assert_string_equal(sym1(s, p.alpha, 0), "symtest_alpha");
	assert_string_equal(sym1(s, p.alpha + 3, 0), "symtest_alpha");
	assert_string_equal(sym1(s, p.beta, 0), "symtest_beta");
	/* A return address just past the start of beta is a call site in beta; the same
	 * address as a leaf is also in beta; but a return address equal to the start of beta
	 * is a call at the end of whatever precedes it. */
	assert_string_equal(sym1(s, p.beta + 1, 1), "symtest_beta");
	assert_string_not_equal(sym1(s, p.beta, 1), "symtest_beta");
	/* The cache gives the same answer again. */
	assert_string_equal(sym1(s, p.alpha, 0), "symtest_alpha");
	assert_int_equal(inflame_symbolize_mismatches(s), 0);
	inflame_symbolize_free(s);
}

/* A symbolizer (with inline expansion or not) that knows the symtest program run into p. */
static struct inflame_symbolizer *symtest_open(struct prog *p, int inlines)
{
	struct inflame_symbolizer *s = inflame_symbolize_new(inlines, NULL);

	run_prog("symtest", p);
	inflame_symbolize_add_module(s, p->bias, p->lo, p->hi, p->path, strlen(p->path), p->bid,
				     p->bidlen);
	return s;
}

/* Inlined-frame expansion: the return address recorded inside the always-inline function
 * expands to it (innermost) and then to the function it was inlined into. */
static void test_inlines(void **state)
{
	const char *names[INFLAME_SYMBOLIZE_MAX_NAMES];
	struct prog p;
	struct inflame_symbolizer *s = symtest_open(&p, 1);
	int n;

	(void)state;
	n = inflame_symbolize_addr(s, p.inlined_ret, 1, names);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "symtest_inlined");
	assert_string_equal(names[1], "symtest_outer");
	/* Without expansion, only the containing function. */
	inflame_symbolize_free(s);
	s = inflame_symbolize_new(0, NULL);
	inflame_symbolize_add_module(s, p.bias, p.lo, p.hi, p.path, strlen(p.path), p.bid,
				     p.bidlen);
	n = inflame_symbolize_addr(s, p.inlined_ret, 1, names);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "symtest_outer");
	inflame_symbolize_free(s);
}

/* The line of tests/progs/symtest.c that first contains text, or 0. */
static uint64_t src_line(const char *text)
{
	const char *src = getenv("INFLAME_SRCDIR");
	char path[4096], line[512];
	uint64_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/progs/symtest.c", src ? src : ".");
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, text)) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	return 0;
}

/* Checks names[idx] at a return address: its declaration line and the line executing there. */
static void check_where(struct inflame_symbolizer *s, uint64_t addr, int idx, const char *decl,
			const char *at)
{
	struct inflame_symbolize_where w;

	assert_int_equal(inflame_symbolize_where(s, addr, 1, idx, &w), 0);
	assert_int_equal(w.start_line, src_line(decl));
	assert_int_equal(w.line, src_line(at));
	assert_non_null(strstr(w.file, "symtest.c"));
}

/* Two levels of inlining expand to both inlined functions and then the containing one, each
 * with its declaration line and the line executing in it (the call, for the callers). The
 * containing function's declaration line is found at an address inside an inlined call too:
 * libdw's innermost scopes there lead to the inlined function's abstract definition, not to
 * the function it was inlined into. */
static void test_nested_inlines(void **state)
{
	const char *names[INFLAME_SYMBOLIZE_MAX_NAMES];
	struct prog p;
	struct inflame_symbolizer *s = symtest_open(&p, 1);
	int n;

	(void)state;
	n = inflame_symbolize_addr(s, p.nested_ret, 1, names);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "symtest_inner");
	assert_string_equal(names[1], "symtest_middle");
	assert_string_equal(names[2], "symtest_nest");
	check_where(s, p.nested_ret, 0, "void symtest_inner(void)", "\trecord_nested();");
	check_where(s, p.nested_ret, 1, "void symtest_middle(void)", "\tsymtest_inner();");
	check_where(s, p.nested_ret, 2, "void symtest_nest(void)", "\tsymtest_middle();");
	check_where(s, p.inlined_ret, 1, "void symtest_outer(void)", "\tsymtest_inlined();");
	inflame_symbolize_free(s);
}

/* A stripped copy knows no local symbols: [module+0xoffset], offset from the load bias, of
 * the function's start (its unwind entry's), wherever in the function the address is. */
static void test_stripped(void **state)
{
	struct prog p;
	struct inflame_symbolizer *s = inflame_symbolize_new(1, NULL);
	char path[4200], want[128];

	(void)state;
	run_prog("symtest", &p);
	snprintf(path, sizeof(path), "%s-stripped", p.path);
	inflame_symbolize_add_module(s, p.bias, p.lo, p.hi, path, strlen(path), p.bid, p.bidlen);
	snprintf(want, sizeof(want), "[symtest-stripped+0x%llx]",
		 (unsigned long long)(p.beta - p.bias));
	assert_string_equal(sym1(s, p.beta, 0), want);
	/* A leaf inside beta and a call site in it (a return address past its start) are one
	 * frame, not one per address. */
	assert_string_equal(sym1(s, p.beta + 3, 0), want);
	assert_string_equal(sym1(s, p.beta + 5, 1), want);
	/* Another function is another frame. */
	snprintf(want, sizeof(want), "[symtest-stripped+0x%llx]",
		 (unsigned long long)(p.alpha - p.bias));
	assert_string_equal(sym1(s, p.alpha + 2, 0), want);
	assert_int_equal(inflame_symbolize_mismatches(s), 0);
	inflame_symbolize_free(s);
}

/* A build-id other than the file's is detected: the file is another build, so its symbols
 * would name the wrong functions; the frames are offsets, and the module is reported once. */
static void test_buildid_mismatch(void **state)
{
	struct prog p;
	struct inflame_symbolizer *s = inflame_symbolize_new(1, "/nonexistent");
	uint8_t other[20];
	char want[128];

	(void)state;
	run_prog("symtest", &p);
	memset(other, 0xab, sizeof(other));
	inflame_symbolize_add_module(s, p.bias, p.lo, p.hi, p.path, strlen(p.path), other,
				     sizeof(other));
	snprintf(want, sizeof(want), "[symtest+0x%llx]", (unsigned long long)(p.alpha - p.bias));
	assert_string_equal(sym1(s, p.alpha, 0), want);
	assert_int_equal(inflame_symbolize_mismatches(s), 1);
	assert_string_equal(inflame_symbolize_mismatch_path(s, 0), p.path);
	assert_string_equal(inflame_symbolize_mismatch_build_id(s, 0),
			    "abababababababababababababababababababab");
	inflame_symbolize_free(s);
}

/* Runs a shell command; returns its exit status. */
static int sh(const char *fmt, const char *a, const char *b)
{
	char cmd[9000];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	return system(cmd);
}

/* The file at the recorded path is another build: the build that ran is found in a debug
 * directory, as DIR/.build-id/xx/rest.debug (a real debug file, made with objcopy
 * --only-keep-debug when binutils is installed) or as DIR/path.debug, with several
 * directories in the list. */
static void test_debug_dirs(void **state)
{
	struct prog p, other;
	struct inflame_symbolizer *s;
	char dir[] = "/tmp/inflame-symdbg-XXXXXX", id[129], sub[4200], dirs[4300];
	char fake[4200];

	(void)state;
	run_prog("symtest", &p);
	run_prog("symtest_cxx", &other);
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < p.bidlen; i++)
		sprintf(id + 2 * i, "%02x", p.bid[i]);
	snprintf(sub, sizeof(sub), "%s/.build-id/%.2s", dir, id);
	assert_int_equal(sh("mkdir -p '%s'%s", sub, ""), 0);
	snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), "/%s.debug", id + 2);
	if (sh("objcopy --only-keep-debug '%s' '%s' 2>/dev/null", p.path, sub) != 0)
		assert_int_equal(sh("cp '%s' '%s'", p.path, sub), 0);
	/* The recorded path holds another program; the list has a missing directory first
	 * and a trailing slash. */
	snprintf(dirs, sizeof(dirs), "/nonexistent/debug:%s/", dir);
	s = inflame_symbolize_new(0, dirs);
	inflame_symbolize_add_module(s, p.bias, p.lo, p.hi, other.path, strlen(other.path), p.bid,
				     p.bidlen);
	assert_string_equal(sym1(s, p.alpha, 0), "symtest_alpha");
	assert_string_equal(sym1(s, p.beta + 1, 1), "symtest_beta");
	assert_int_equal(inflame_symbolize_mismatches(s), 0);
	inflame_symbolize_free(s);

	/* DIR/path.debug, for a path that no longer exists. */
	assert_int_equal(sh("rm -rf '%s/.build-id'%s", dir, ""), 0);
	snprintf(fake, sizeof(fake), "/gone/bin/symtest");
	snprintf(sub, sizeof(sub), "%s/gone/bin", dir);
	assert_int_equal(sh("mkdir -p '%s'%s", sub, ""), 0);
	assert_int_equal(sh("cp '%s' '%s/symtest.debug'", p.path, sub), 0);
	s = inflame_symbolize_new(0, dir);
	inflame_symbolize_add_module(s, p.bias, p.lo, p.hi, fake, strlen(fake), p.bid, p.bidlen);
	assert_string_equal(sym1(s, p.alpha, 0), "symtest_alpha");
	inflame_symbolize_free(s);
	/* Not in the list: offsets. */
	s = inflame_symbolize_new(0, "/nonexistent");
	inflame_symbolize_add_module(s, p.bias, p.lo, p.hi, fake, strlen(fake), p.bid, p.bidlen);
	assert_string_not_equal(sym1(s, p.alpha, 0), "symtest_alpha");
	inflame_symbolize_free(s);
	assert_int_equal(sh("rm -rf '%s'%s", dir, ""), 0);
}

/* C++ names come out demangled. */
static void test_demangle(void **state)
{
	struct prog p;
	struct inflame_symbolizer *s = inflame_symbolize_new(1, NULL);

	(void)state;
	run_prog("symtest_cxx", &p);
	/* The executable range is not printed by this program: the whole space will do. */
	inflame_symbolize_add_module(s, p.bias, p.bias, p.bias + (1u << 30), p.path, strlen(p.path),
				     NULL, 0);
	assert_string_equal(sym1(s, p.scaled, 0), "symtest::scaled(int, double)");
	inflame_symbolize_free(s);
}

/* Rust names are demangled (legacy without its "::h" hash, and v0), LLVM's ".llvm.N" suffix is
 * dropped, and of a function's aliases the global one with the fewest leading underscores,
 * then the longest, names it (perf's rule). */
static void test_other_languages_and_aliases(void **state)
{
	struct prog p;
	struct inflame_symbolizer *s = inflame_symbolize_new(0, NULL);

	(void)state;
	run_prog("symtest", &p);
	inflame_symbolize_add_module(s, p.bias, p.lo, p.hi, p.path, strlen(p.path), p.bid,
				     p.bidlen);
	assert_string_equal(sym1(s, p.rust_legacy, 0), "symtest::rust::legacy");
	assert_string_equal(sym1(s, p.rust_v0, 0), "symtest::rust::v0");
	assert_string_equal(sym1(s, p.rust_llvm, 0), "symtest::rust::llvm");
	assert_string_equal(sym1(s, p.c_llvm, 0), "symtest_c_llvm");
	assert_string_equal(sym1(s, p.gamma, 0), "symtest_gamma");
	inflame_symbolize_free(s);
}

/* The module of this process that holds addr: its load bias, executable range, build-id. */
struct self_mod {
	uint64_t addr, bias, lo, hi;
	char path[4096];
	uint8_t bid[64];
	size_t bidlen;
	int found;
};

static int self_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct self_mod *m = arg;
	uint64_t lo = UINT64_MAX, hi = 0;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t a = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			lo = a < lo ? a : lo;
			hi = a + ph->p_memsz > hi ? a + ph->p_memsz : hi;
		}
	}
	if (m->addr < lo || m->addr >= hi)
		return 0;
	m->bias = info->dlpi_addr;
	m->lo = lo;
	m->hi = hi;
	snprintf(m->path, sizeof(m->path), "%s", info->dlpi_name);
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end;

		if (ph->p_type != PT_NOTE)
			continue;
		for (end = p + ph->p_memsz; p + sizeof(ElfW(Nhdr)) <= end;) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
			const char *desc = p + sizeof(*nh) + ((nh->n_namesz + 3) & ~3u);

			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    nh->n_descsz <= sizeof(m->bid)) {
				memcpy(m->bid, desc, nh->n_descsz);
				m->bidlen = nh->n_descsz;
			}
			p = desc + ((nh->n_descsz + 3) & ~3u);
		}
	}
	m->found = 1;
	return 1;
}

/* Debian's libc: its symbol table (in libc6-dbg's debug file when installed) names functions
 * with their versions ("__libc_start_main@@GLIBC_2.34") and exports aliases (malloc and
 * __libc_malloc; free and the compat cfree@GLIBC_2.2.5, whose version only that table
 * shows; the weak wait4 and the local __GI___wait4): frames show the plain, public name. */
static void test_libc_names(void **state)
{
	struct {
		const char *name;
	} cases[] = {{"__libc_start_main"}, {"malloc"}, {"free"},
		     {"clock_gettime"},	    {"memcpy"}, {"wait4"}};
	int dbg = access("/usr/lib/debug/.build-id", F_OK) == 0;
	struct inflame_symbolizer *s = inflame_symbolize_new(0, NULL);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct self_mod m = {0};
		const char *got;

		m.addr = (uint64_t)(uintptr_t)dlsym(RTLD_DEFAULT, cases[i].name);
		assert_true(m.addr != 0);
		dl_iterate_phdr(self_cb, &m);
		assert_true(m.found);
		inflame_symbolize_add_module(s, m.bias, m.lo, m.hi, m.path, strlen(m.path), m.bid,
					     m.bidlen);
		got = sym1(s, m.addr, 0);
		fprintf(stderr, "%s in %s: %s\n", cases[i].name, m.path, got);
		assert_null(strchr(got, '@'));
		/* memcpy is an IFUNC: the address is one of its implementations. Without the
		 * debug file, free's alias cfree is not known as a compat symbol. */
		if (!strcmp(cases[i].name, "free") && !dbg)
			fprintf(stderr, "no /usr/lib/debug: free not checked\n");
		else if (strcmp(cases[i].name, "memcpy") != 0)
			assert_string_equal(got, cases[i].name);
	}
	inflame_symbolize_free(s);
}

/* Reads the ELF header's entry point of path. */
static uint64_t elf_entry(const char *path)
{
	Elf64_Ehdr eh;
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	assert_int_equal(fread(&eh, sizeof(eh), 1, f), 1);
	fclose(f);
	return eh.e_entry;
}

/* A stripped executable: its entry point is "_start" (from e_entry and the unwind entry's
 * range), its PLT stubs "func@plt" (checked against objdump's names for them when objdump is
 * installed). */
static void test_stripped_entry_and_plt(void **state)
{
	struct prog p;
	struct inflame_symbolizer *s = inflame_symbolize_new(0, "/nonexistent");
	char path[4200], cmd[4400], line[512];
	uint64_t entry;
	int nplt = 0;
	FILE *f;

	(void)state;
	run_prog("symtest", &p);
	snprintf(path, sizeof(path), "%s-stripped", p.path);
	inflame_symbolize_add_module(s, p.bias, p.lo, p.hi, path, strlen(path), p.bid, p.bidlen);
	entry = p.bias + elf_entry(path);
	assert_string_equal(sym1(s, entry, 0), "_start");
	/* The return address of its call to __libc_start_main, near its end. */
	assert_string_equal(sym1(s, entry + 0x20, 1), "_start");
	snprintf(cmd, sizeof(cmd), "objdump -d -j .plt -j .plt.sec -j .plt.got '%s' 2>/dev/null",
		 p.path);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long at;
		char name[256];

		if (sscanf(line, "%llx <%255[^>]>:", &at, name) != 2 || !strstr(name, "@plt") ||
		    strchr(name, '+') || strchr(name, '-'))
			continue;
		fprintf(stderr, "plt: %s at 0x%llx: %s\n", name, at, sym1(s, p.bias + at + 4, 0));
		assert_string_equal(sym1(s, p.bias + at + 4, 0), name);
		nplt++;
	}
	pclose(f);
	if (!nplt)
		fprintf(stderr, "no objdump: PLT names not checked\n");
	inflame_symbolize_free(s);
}

/* Missing files, vdso, addresses in no module, overlapping generations. */
static void test_unknowns(void **state)
{
	struct inflame_symbolizer *s = inflame_symbolize_new(1, NULL);

	(void)state;
	assert_int_equal(inflame_symbolize_add_module(s, 0x10000, 0x11000, 0x20000,
						      "/nonexistent/libgone.so", 23, NULL, 0),
			 0);
	assert_int_equal(
	    inflame_symbolize_add_module(s, 0x7000, 0x7000, 0x8000, "[vdso]", 6, NULL, 0), 0);
	assert_string_equal(sym1(s, 0x11234, 0), "[libgone.so+0x1234]");
	assert_string_equal(sym1(s, 0x11234, 1), "[libgone.so+0x1233]");
	assert_string_equal(sym1(s, 0x7123, 0), "[vdso]");
	assert_string_equal(sym1(s, 0x99999, 0), "0x99999");
	/* A later generation loaded over the same range wins. */
	inflame_symbolize_add_module(s, 0x10000, 0x11000, 0x20000, "/nonexistent/libnew.so", 22,
				     NULL, 0);
	assert_string_equal(sym1(s, 0x15000, 0), "[libnew.so+0x5000]");
	/* The same module again is a no-op. */
	inflame_symbolize_add_module(s, 0x10000, 0x11000, 0x20000, "/nonexistent/libnew.so", 22,
				     NULL, 0);
	inflame_symbolize_free(s);
}

/* Generated code (PERFMAP entries): addresses in no module are named from the entries, the
 * last one added winning an overlap; anonymous regions give [anon:jit]; modules come first. */
static void test_jit(void **state)
{
	struct inflame_symbolizer *s = inflame_symbolize_new(1, NULL);

	(void)state;
	inflame_symbolize_add_module(s, 0x10000, 0x11000, 0x20000, "/nonexistent/libgone.so", 23,
				     NULL, 0);
	assert_int_equal(inflame_symbolize_add_jit(s, 0x7000000, 0x10000, "", 0), 0);
	assert_int_equal(inflame_symbolize_add_jit(s, 0x7001000, 0x100, "JS:*hot a.js:1", 14), 0);
	assert_int_equal(inflame_symbolize_add_jit(s, 0x7002000, 0x40, "first", 5), 0);
	/* moved code: a later, larger entry over the earlier one */
	assert_int_equal(inflame_symbolize_add_jit(s, 0x7001f00, 0x200, "second", 6), 0);
	/* a name with a NUL in it, an empty range, a range that wraps: kept, ignored, ignored */
	assert_int_equal(inflame_symbolize_add_jit(s, 0x7003000, 0x10, "a\0b", 3), 0);
	assert_int_equal(inflame_symbolize_add_jit(s, 0x7004000, 0, "empty", 5), 0);
	assert_int_equal(inflame_symbolize_add_jit(s, UINT64_MAX - 4, 0x10, "wraps", 5), 0);
	/* an entry over a module does not rename the module's code */
	assert_int_equal(inflame_symbolize_add_jit(s, 0x11000, 0x100, "over", 4), 0);

	assert_string_equal(sym1(s, 0x7001010, 0), "JS:*hot a.js:1");
	assert_string_equal(sym1(s, 0x70010ff, 0), "JS:*hot a.js:1");
	assert_string_equal(sym1(s, 0x7001100, 0), "[anon:jit]");
	assert_string_equal(sym1(s, 0x7002010, 0), "second");
	assert_string_equal(sym1(s, 0x7001f10, 0), "second");
	assert_string_equal(sym1(s, 0x7003001, 0), "a?b");
	assert_string_equal(sym1(s, 0x7004000, 0), "[anon:jit]");
	assert_string_equal(sym1(s, 0x7010000, 0), "0x7010000");
	assert_string_equal(sym1(s, UINT64_MAX - 2, 0), "0xfffffffffffffffd");
	assert_string_equal(sym1(s, 0x11010, 0), "[libgone.so+0x1010]");
	inflame_symbolize_free(s);
}

/* Many distinct addresses: the cache grows and keeps answers. */
static void test_cache_growth(void **state)
{
	struct inflame_symbolizer *s = inflame_symbolize_new(1, NULL);
	char want[64];

	(void)state;
	inflame_symbolize_add_module(s, 0, 0, 1u << 20, "/nonexistent/big", 16, NULL, 0);
	for (uint64_t a = 0; a < 5000; a++)
		sym1(s, a * 16, 0);
	for (uint64_t a = 0; a < 5000; a += 97) {
		snprintf(want, sizeof(want), "[big+0x%llx]", (unsigned long long)(a * 16));
		assert_string_equal(sym1(s, a * 16, 0), want);
	}
	inflame_symbolize_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_functions),
	    cmocka_unit_test(test_inlines),
	    cmocka_unit_test(test_nested_inlines),
	    cmocka_unit_test(test_stripped),
	    cmocka_unit_test(test_buildid_mismatch),
	    cmocka_unit_test(test_demangle),
	    cmocka_unit_test(test_unknowns),
	    cmocka_unit_test(test_cache_growth),
	    cmocka_unit_test(test_jit),
	    cmocka_unit_test(test_other_languages_and_aliases),
	    cmocka_unit_test(test_libc_names),
	    cmocka_unit_test(test_stripped_entry_and_plt),
	    cmocka_unit_test(test_debug_dirs),
	};

	unsetenv("DEBUGINFOD_URLS");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
