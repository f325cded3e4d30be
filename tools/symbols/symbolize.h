/*
 * Offline symbolization: turning the addresses of a dump's stacks into function names, with
 * libdw, from the module map the dump recorded (load bias, executable range, path, build-id).
 *
 * A symbolizer is filled with every module the dump ever reported (all generations: stacks may
 * refer to objects unloaded since), then queried address by address. Each query yields one or
 * more names, innermost first: the function containing the address and, when inlined-frame
 * expansion is on and the debug information says so, the functions inlined into it. Where
 * nothing is known the name is "[module+0xoffset]" (offset from the module's load bias), and
 * an address in no module is "0x..." alone. Results are cached per address. Nothing here
 * prints.
 */
#ifndef INFLAME_SYMBOLIZE_H
#define INFLAME_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

struct inflame_symbolizer;

/* The most names one address can expand to (an address inlined this deep is cut). */
#define INFLAME_SYMBOLIZE_MAX_NAMES 16

/* The debug directories used when none are given (INFLAME_DEBUG_DIRS, --debug-dir). */
#define INFLAME_SYMBOLIZE_DEBUG_DIRS "/usr/lib/debug"

/*
 * Returns a new symbolizer, or NULL when out of memory. With inlines set, addresses whose
 * debug information records inlined calls expand to one name per inlined function.
 * debug_dirs is a colon-separated list of directories holding separate debug files
 * (DIR/.build-id/xx/rest.debug, DIR/path/of/file.debug, and the .gnu_debuglink places under
 * DIR), or NULL for INFLAME_SYMBOLIZE_DEBUG_DIRS.
 */
struct inflame_symbolizer *inflame_symbolize_new(int inlines, const char *debug_dirs);
/* Frees the symbolizer; accepts NULL. */
void inflame_symbolize_free(struct inflame_symbolizer *s);

/*
 * Adds a module: base is its load bias, [lo, hi) the range of its executable segments, path
 * (plen bytes, need not be NUL-terminated) the file it was loaded from, build_id the raw
 * build-id bytes recorded at run time (may be empty). A module identical to one already added
 * is ignored; where modules overlap, the one added last wins. Returns 0 or -ENOMEM. The ELF
 * file is opened lazily, on the first address that falls in the module.
 */
int inflame_symbolize_add_module(struct inflame_symbolizer *s, uint64_t base, uint64_t lo,
				 uint64_t hi, const char *path, size_t plen,
				 const uint8_t *build_id, size_t build_id_len);

/*
 * Adds generated code from a dump's PERFMAP chunk (jitmap.h): [start, start + size) named name
 * (n bytes), or with n = 0 an anonymous executable region. An address in no module is named
 * after the last named entry covering it, else "[anon:jit]" in an anonymous region. Returns 0
 * or -ENOMEM.
 */
int inflame_symbolize_add_jit(struct inflame_symbolizer *s, uint64_t start, uint64_t size,
			      const char *name, size_t n);

/*
 * Symbolizes addr. When is_return is set, addr is a return address and the call site
 * (addr - 1) is looked up instead. Fills names[0..n) innermost first (at most
 * INFLAME_SYMBOLIZE_MAX_NAMES) and returns n >= 1, or -ENOMEM. The strings stay valid until
 * the next call on s.
 */
int inflame_symbolize_addr(struct inflame_symbolizer *s, uint64_t addr, int is_return,
			   const char **names);

/* Where one name of an address comes from (inflame_symbolize_where()). Strings point into the
 * symbolizer (valid until it is freed) or are "". */
struct inflame_symbolize_where {
	const char *module;	 /* the module's recorded path, "" when in none */
	uint64_t base, lo, hi;	 /* its load bias and executable range */
	const uint8_t *build_id; /* recorded build-id bytes */
	size_t build_id_len;
	const char *file; /* the source file of the line, "" when unknown */
	uint64_t line;	  /* 0 when unknown */
	int inlined;	  /* this name is inlined into the next (outer) one at that address */
	/* The function's own symbol where the name shown is its demangled form (a C++ or Rust
	 * mangled name), else "". Valid until the next call. */
	const char *system_name;
	uint64_t start_line; /* the line the function's declaration starts at, 0 when unknown */
};

/*
 * Describes names[idx] of inflame_symbolize_addr(s, addr, is_return, names) (same addr and
 * is_return): its module and, from the debug information, the source line executing in that
 * function (for an inlined function's caller, the line of the call), the line the function is
 * declared at (DW_AT_decl_line of its subprogram, or of an inlined one's abstract origin) and
 * its mangled name where the name shown was demangled. Not cached: meant for once
 * per distinct frame. Returns 0, or -ENOENT when idx is out of range.
 */
int inflame_symbolize_where(struct inflame_symbolizer *s, uint64_t addr, int is_return, int idx,
			    struct inflame_symbolize_where *out);

/*
 * Stale modules: those whose file at the recorded path has a build-id other than the one
 * recorded, and for which no file with the recorded build-id was found in the debug
 * directories either. Their addresses are named "[module+0xoffset]" rather than after
 * functions of another build. Counted once each, among the modules opened so far.
 */
uint64_t inflame_symbolize_mismatches(const struct inflame_symbolizer *s);
/* The path of the i-th stale module (0 <= i < mismatches), for messages. */
const char *inflame_symbolize_mismatch_path(const struct inflame_symbolizer *s, uint64_t i);
/* The recorded build-id of the i-th stale module, in hex. */
const char *inflame_symbolize_mismatch_build_id(const struct inflame_symbolizer *s, uint64_t i);

#endif
