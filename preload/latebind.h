/*
 * The C library functions libinflame.so calls only when an image sets up fully (the writer,
 * symbols, threads, the configuration's rarer paths), bound at their first call instead of at
 * load. The library is linked with -z now: the loader looks up every function it imports as
 * it loads, in every profiled process, about 0.12 us each (issue 11), and a short image that
 * waits calls none of these. Where the linker wraps symbols (configure.ac), a call of the
 * library's to one of these names reaches __wrap_NAME here, which calls the C library's
 * function through a pointer found at the first call.
 *
 * Contract. Each wrapper calls the same function the loader bound before: the next
 * definition after libinflame.so, the default version, as dlsym(RTLD_NEXT) finds it. The
 * lookup is the interposition layer's (inflame__interpose_next): the own lookup of the
 * objects loaded with the program, lock free and async-signal-safe, and dlsym only for a name
 * it cannot answer (an IFUNC) or when it has no span (LD_AUDIT and the like; then
 * inflame_latebind_resolve binds every function in the constructor, so that no handler ever
 * reaches dlsym). None of these functions may be called by the start, the end or a signal
 * handler of a short image, in any configuration: the first call of a late function costs a
 * lookup and writes the page of the table of pointers, a page fault (tests/dumpcost_test.sh).
 * Those stay bound at load (tests/imports_test.sh holds the list): getenv (the start of an
 * image that does not follow its children reads LD_PRELOAD), open and fstat (a dump file of
 * its own), the writer's lock (the general end), fcntl and readlink (the start under wall or
 * alloc events), pthread_getcpuclockid and sysconf (the wall ticker's start). A function the
 * program itself defines (its own qsort or secure_getenv) was reached by inflame through ELF
 * interposition before and now is not: inflame calls the C library's, which is the function it was
 * written against and the one whose behaviour it relies on (a program's own may not be ready
 * while inflame sets up). When the lookup finds nothing, which no C library inflame links against
 * allows, a wrapper fails as the function does on error (ENOSYS), never aborts.
 */
#ifndef INFLAME_LATEBIND_H
#define INFLAME_LATEBIND_H

/* Binds every late function now, with dlsym where the own lookup cannot answer. Called by the
 * constructor when the own lookup has no span: later calls may come from signal handlers. */
void inflame_latebind_resolve(void);

#endif
