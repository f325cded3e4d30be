/*
 * A program that generates code, as a JIT compiler does: it copies a function into an
 * anonymous executable mapping, names it in its own /tmp/perf-PID.map, and runs it hot.
 *
 * usage: jitprog MODE SECONDS
 *   map    write the map line before running the code, remove the map before exiting
 *   late   write the map line only after the run, just before exiting (and keep it)
 *   nomap  write no map: the code is anonymous
 *   foreign write the map line, then give the map to user nobody (root only): not to be read
 *   remap  map the page of its own executable that holds the function a second time, and run
 *          the function there (as V8 runs the node binary's builtins): no map line
 * Prints the map line it wrote (or would have written) on standard output.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* The function to copy, alone in a section of its own so that its bytes can be found: a leaf
 * with only relative jumps, which runs the same wherever it is copied. */
__attribute__((section("jitsrc"), noinline, used)) uint64_t jit_source(uint64_t n)
{
	uint64_t x = 1;

	for (uint64_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}
extern const char __start_jitsrc[], __stop_jitsrc[];

/* The file offset of the main program's code at address p, from its loadable segments. */
struct where {
	uintptr_t addr;
	off_t off;
	int found;
};

static int where_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct where *w = arg;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && w->addr >= lo && w->addr < lo + ph->p_filesz) {
			w->off = (off_t)(ph->p_offset + (w->addr - lo));
			w->found = 1;
		}
	}
	return 1; /* the main program is the first */
}

/* jit_source run from a second mapping of the executable's page that holds it. */
static void *remapped(void)
{
	struct where w = {(uintptr_t)jit_source, 0, 0};
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	off_t page;
	char *p;

	dl_iterate_phdr(where_cb, &w);
	if (fd < 0 || !w.found)
		return NULL;
	page = w.off & ~(off_t)4095;
	p = mmap(NULL, 8192, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, page);
	close(fd);
	return p == MAP_FAILED ? NULL : p + (w.off - page);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_map(const char *line)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	f = fopen(path, "a");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(line, f);
	fclose(f);
}

int main(int argc, char **argv)
{
	size_t size = (size_t)(__stop_jitsrc - __start_jitsrc);
	uint64_t (*fn)(uint64_t);
	char line[128], path[64];
	double end, seconds;
	volatile uint64_t sink = 0;
	void *code;

	if (argc != 3) {
		fprintf(stderr, "usage: jitprog map|late|nomap SECONDS\n");
		return 2;
	}
	seconds = atof(argv[2]);
	if (!strcmp(argv[1], "remap")) {
		fn = (uint64_t(*)(uint64_t))remapped();
		if (!fn) {
			perror("remap");
			return 1;
		}
		end = now() + seconds;
		while (now() < end)
			sink += fn(200000);
		return sink == 42;
	}
	code = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code == MAP_FAILED || size == 0 || size > 4096) {
		perror("mmap");
		return 1;
	}
	memcpy(code, __start_jitsrc, size);
	if (mprotect(code, 4096, PROT_READ | PROT_EXEC) < 0) {
		perror("mprotect");
		return 1;
	}
	__builtin___clear_cache((char *)code, (char *)code + size);
	fn = (uint64_t(*)(uint64_t))code;
	snprintf(line, sizeof(line), "%lx %zx jit_spin_loop\n", (unsigned long)(uintptr_t)code,
		 size);
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	if (!strcmp(argv[1], "map") || !strcmp(argv[1], "foreign"))
		write_map(line);
	if (!strcmp(argv[1], "foreign") && chown(path, 65534, 65534) < 0) {
		perror("chown");
		unlink(path);
		return 1;
	}
	end = now() + seconds;
	while (now() < end)
		sink += fn(200000);
	if (!strcmp(argv[1], "late"))
		write_map(line);
	else if (!strcmp(argv[1], "map") || !strcmp(argv[1], "foreign"))
		unlink(path);
	fputs(line, stdout);
	return sink == 42; /* (never: keeps the calls) */
}
