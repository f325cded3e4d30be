/*
 * Was a loaded object built with frame pointers? The answer decides, per object and once per
 * load, whether INFLAME_UNWIND=auto walks its code with frame pointers or with the unwind
 * tables. Writer thread only (it reads the object's mapped memory from inside a
 * dl_iterate_phdr callback, where the object cannot go away); not async-signal-safe.
 */
#ifndef INFLAME_FPSCAN_H
#define INFLAME_FPSCAN_H

#include <link.h>

/* The least number of function entries looked at before the share is trusted. */
#define INFLAME_FPSCAN_MIN_FUNCS 4
/* Percentage of entries that must set up a frame pointer. Measured on Debian 12 (x86_64): code
 * built without frame pointers shows 0-4% (functions with variable-sized frames: libc 2%,
 * ld.so 4%, libstdc++ 1%, libpython, libsqlite3, liblzma, libzstd, libcrypto 0%); code built
 * with -fno-omit-frame-pointer shows 25-100% (the rest are leaves built with
 * -momit-leaf-frame-pointer, which the frame-pointer walk recovers anyway, and
 * compiler-generated start-up stubs). */
#define INFLAME_FPSCAN_MIN_PERCENT 20

/* Looks at up to 512 function entries, in 16 runs of neighbours spread evenly over the
 * object's .eh_frame_hdr search table (every function with unwind information: a run's reads
 * share a few pages of code), and counts those whose first instructions
 * set up a frame pointer: x86_64 `[endbr64;] push %rbp; mov %rsp,%rbp`, aarch64
 * `[paciasp|bti;] stp x29, x30, [sp, #-N]!` (or `sub sp; stp x29, x30, [sp, #M]`). Reads only
 * inside the object's loaded segments. Sets *fp and *total. Returns 1 when the object counts
 * as built with frame pointers, 0 when it does not, -1 when it cannot tell (no search table,
 * an encoding we do not read, or fewer than INFLAME_FPSCAN_MIN_FUNCS entries in code). */
int inflame_fpscan(const struct dl_phdr_info *info, unsigned *fp, unsigned *total);

#endif
